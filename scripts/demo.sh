#!/usr/bin/env bash
# Sets up, builds, and runs the main job on generated data into ./out.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release --product unet
unet=$(swift build -c release --show-bin-path)/unet
out=${OUT:-out}

"$unet" synth --out "$out/synth" --count 4 --size 512x512 --seed 1
"$unet" info "$out"/synth/images/*.png "$out"/synth/labels/*.png
"$unet" weights "$out"/synth/labels --out "$out/weights" --preview
"$unet" info "$out"/weights/*.weight.tiff
rm -rf "$out/shards"
"$unet" augment --images "$out/synth/images" --labels "$out/synth/labels" --out "$out/shards" \
  --samples 64 --per-shard 16 --seed 1 --preview 4
"$unet" manifest verify "$out/shards"
rm -rf "$out/run"
"$unet" train --shards "$out/shards" --out "$out/run" --steps 60 --base-channels 16 --depth 3 --tile 188 \
  --checkpoint-every 20
"$unet" export --model "$out/run" --out "$out/unet.safetensors"
