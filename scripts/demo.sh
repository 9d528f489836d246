#!/usr/bin/env bash
# The main job: the whole U-Net pipeline on generated data, into ./out.
#
# Synthesises touching cells (5 images to train on, 1 held out), computes
# their weight maps, augments the training images into WebDataset shards,
# trains a small U-Net, predicts the held-out image, evaluates it, and
# writes out/report/report.md with pictures. About 5 minutes on 2 cores
# (about 2 of them the first build).
#
# Environment: OUT (default out); UNET (a built unet, skips the build);
# SIZE, SAMPLES, STEPS, BASE, DEPTH, TILE to change the run's size.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-out}
size=${SIZE:-256}
samples=${SAMPLES:-300}
steps=${STEPS:-2500}
base=${BASE:-16}
depth=${DEPTH:-3}
tile=${TILE:-188}
if [ -n "${UNET:-}" ]; then
  unet=$UNET
else
  scripts/setup.sh
  echo "== build"
  swift build -c release --product unet
  unet=$(swift build -c release --show-bin-path)/unet
fi
start=$(date +%s)
rm -rf "$out/synth" "$out/test" "$out/weights" "$out/shards" "$out/run" "$out/pred" "$out/report"

echo "== synthesise touching cells; hold out the last image"
"$unet" synth --out "$out/synth" --count 6 --size "${size}x${size}" --seed 1
mkdir -p "$out/test/images" "$out/test/labels"
mv "$out/synth/images/cells_005.png" "$out/test/images/"
mv "$out/synth/labels/cells_005.png" "$out/test/labels/"
"$unet" info "$out"/synth/images/*.png "$out"/synth/labels/*.png

echo "== weight maps"
"$unet" weights "$out/synth/labels" --out "$out/weights" --preview

echo "== augment into shards"
"$unet" augment --images "$out/synth/images" --labels "$out/synth/labels" --out "$out/shards" \
  --samples "$samples" --per-shard 100 --seed 1 --preview 4
"$unet" manifest verify "$out/shards"

echo "== train"
"$unet" train --shards "$out/shards" --out "$out/run" --steps "$steps" --base-channels "$base" \
  --depth "$depth" --tile "$tile" --checkpoint-every 500
"$unet" export --model "$out/run" --out "$out/run/unet.safetensors"

echo "== predict and evaluate the held-out image"
"$unet" predict --model "$out/run" "$out/test/images" --out "$out/pred"
"$unet" eval --pred "$out/pred" --truth "$out/test/labels"
"$unet" eval --pred "$out/pred" --truth "$out/test/labels" --json > "$out/eval.json"
"$unet" report --out "$out/report" --eval "$out/eval.json" --images "$out/test/images" \
  --truth "$out/test/labels" --pred "$out/pred" --run "$out/run" --weights "$out/weights" \
  --title "UNetKit main job: touching cells"
echo "demo: done in $(( $(date +%s) - start )) s; open $out/report/report.md"
