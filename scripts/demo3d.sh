#!/usr/bin/env bash
# The 3-D main job: the 3-D U-Net (Çiçek et al. 2016) on generated nuclei
# volumes, into ./out3d.
#
# Synthesises volumes of touching ellipsoidal nuclei (4 to train on, 1 held
# out), augments the training volumes into WebDataset shards (weight maps
# recomputed exactly per sample), trains a small 3-D U-Net, predicts the
# held-out volume (overlap-tile in 3-D, instances by watershed from the
# distance to the background), evaluates it (IoU, Rand error, instance AP
# at IoU 0.5 to 0.9 with StarDist's matching rule) and writes
# out3d/report/report.md with orthogonal slices.
#
# Environment: OUT (default out3d); UNET (a built unet, skips the build);
# SIZE, CELLS, SAMPLES, STEPS, BASE, DEPTH, TILE, LR to change the run's size.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-out3d}
size=${SIZE:-96x96x40}
cells=${CELLS:-8}
samples=${SAMPLES:-120}
steps=${STEPS:-600}
base=${BASE:-16}
depth=${DEPTH:-2}
tile=${TILE:-76x76x52}
lr=${LR:-0.001}
if [ -n "${UNET:-}" ]; then
  unet=$UNET
else
  scripts/setup.sh
  echo "== build"
  swift build -c release --product unet
  unet=$(swift build -c release --show-bin-path)/unet
fi
start=$(date +%s)
rm -rf "$out/synth" "$out/test" "$out/shards" "$out/run" "$out/pred" "$out/report"

echo "== synthesise nuclei volumes; hold out the last one"
"$unet" synth --out "$out/synth" --count 5 --size "$size" --cells "$cells" --seed 1
mkdir -p "$out/test/images" "$out/test/labels"
mv "$out/synth/images/cells_004.tif" "$out/test/images/"
mv "$out/synth/labels/cells_004.tif" "$out/test/labels/"

echo "== augment into shards (weight maps per sample)"
"$unet" augment --volume --images "$out/synth/images" --labels "$out/synth/labels" --out "$out/shards" \
  --samples "$samples" --per-shard 40 --seed 1
"$unet" manifest verify "$out/shards"

echo "== train the 3-D U-Net"
"$unet" train --shards "$out/shards" --out "$out/run" --steps "$steps" --lr "$lr" --base-channels "$base" \
  --depth "$depth" --tile "$tile" --checkpoint-every 100

echo "== predict and evaluate the held-out volume"
"$unet" predict --volume --model "$out/run" "$out/test/images" --out "$out/pred" --instances watershed --seeds distance
"$unet" eval --volume --pred "$out/pred" --truth "$out/test/labels"
"$unet" eval --volume --pred "$out/pred" --truth "$out/test/labels" --json > "$out/eval.json"
"$unet" report --out "$out/report" --eval "$out/eval.json" --images "$out/test/images" \
  --truth "$out/test/labels" --pred "$out/pred" --run "$out/run" \
  --title "UNetKit 3-D main job: touching nuclei"
echo "demo3d: done in $(( $(date +%s) - start )) s; open $out/report/report.md"
