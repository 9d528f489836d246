#!/usr/bin/env bash
# The paper's first experiment: ISBI 2012 EM segmentation (Ronneberger et
# al. 2015, Sec. 4), on the 25 labelled sections in ../shared/datasets.
#
# Sections 0-19 train; sections 20-24 are held out: they stay out of the
# weight maps, the augmentation and the training, and only predict and eval
# see them. (The challenge scored 30 hidden test sections instead.)
#
#   examples/isbi2012.sh                      # the configuration measured in the README
#   MINUTES=120 examples/isbi2012.sh          # train longer (resumes a shorter run)
#   RECIPE=paper BASE=64 STEPS=20000 MINUTES=100000 SAMPLES=5000 examples/isbi2012.sh
#                                             # the paper's recipe at full length
#
# Training uses unet train's default recipe (docs/recipe-study.md: 16 base
# channels, Adam at 0.0003) for MINUTES minutes of training time or STEPS
# steps, whichever comes first; a slower CPU gets fewer steps in the same
# minutes.
#
# Environment: UNETKIT_DATASETS (default ../shared/datasets), OUT (default
# out/isbi2012), RECIPE (default: default), BASE (base channels, default:
# the recipe's), MINUTES (training minutes, default 30), STEPS (default
# 10000), SAMPLES (augmented samples, default 1000), THREADS (default: all
# cores). About 33 minutes on 2 cores with the defaults.
# Re-running continues: complete shards are kept and training resumes.
set -euo pipefail
cd "$(dirname "$0")/.."
datasets=${UNETKIT_DATASETS:-../shared/datasets}/isbi2012
out=${OUT:-out/isbi2012}
recipe=${RECIPE:-default}
base=${BASE:+--base-channels $BASE}
minutes=${MINUTES:-30}
steps=${STEPS:-10000}
samples=${SAMPLES:-1000}
threads=${THREADS:+--threads $THREADS}

scripts/setup.sh
swift build -c release --product unet >/dev/null
unet=$(swift build -c release --show-bin-path)/unet
start=$(date +%s)

# The split, as links: train/{image,label}/0..19, test/{image,label}/20..24.
for part in train test; do mkdir -p "$out/split/$part/image" "$out/split/$part/label"; done
for i in $(seq 0 24); do
  part=$([ "$i" -lt 20 ] && echo train || echo test)
  for kind in image label; do
    ln -sf "$(realpath "$datasets/$kind/$i.png")" "$out/split/$part/$kind/$i.png"
  done
done

echo "== weights (training sections)"
"$unet" weights "$out/split/train/label" --out "$out/weights" --preview
echo "== augment: $samples samples"
"$unet" augment --images "$out/split/train/image" --labels "$out/split/train/label" --out "$out/shards" \
  --samples "$samples" --per-shard 100 --seed 1 --resume
echo "== train: --recipe $recipe $base for $minutes minutes or $steps steps"
if [ -e "$out/run/last.ckpt" ]; then
  "$unet" train --shards "$out/shards" --out "$out/run" --resume --steps "$steps" --time-limit "$minutes" $threads
else
  # shellcheck disable=SC2086
  "$unet" train --shards "$out/shards" --out "$out/run" --recipe "$recipe" $base --steps "$steps" \
    --time-limit "$minutes" --checkpoint-every 100 $threads
fi
echo "== predict the held-out sections (8-fold averaging)"
"$unet" predict --model "$out/run" "$out/split/test/image" --out "$out/pred" --tta
echo "== eval"
"$unet" eval --pred "$out/pred" --truth "$out/split/test/label" --thresholds 10
"$unet" eval --pred "$out/pred" --truth "$out/split/test/label" --thresholds 10 --json > "$out/eval.json"
"$unet" report --out "$out/report" --eval "$out/eval.json" --images "$out/split/test/image" \
  --truth "$out/split/test/label" --pred "$out/pred" --run "$out/run" --weights "$out/weights" \
  --title "ISBI 2012, sections 20-24 held out"
echo "isbi2012: done in $(( $(date +%s) - start )) s; scores in $out/eval.json, report $out/report/report.md"
