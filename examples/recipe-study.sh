#!/usr/bin/env bash
# A recipe study on ISBI 2012 with an honest split: each candidate recipe
# trains on sections 0-14 for the same budget of training minutes and is
# validated on sections 15-19 while it trains (metrics.jsonl); sections
# 20-24 are scored once, for the chosen recipe only, after it trains on
# sections 0-19 ("final" mode).
#
#   examples/recipe-study.sh                 # every candidate, BUDGET minutes each
#   RECIPES="paper adam" examples/recipe-study.sh
#   examples/recipe-study.sh final nnunet    # the chosen recipe on 0-19, scored on 20-24
#   examples/recipe-study.sh list            # the candidates and their options
#   examples/recipe-study.sh peer base16-adam  # the same recipe in PyTorch (examples/pytorch/train.py)
#
# "peer" trains a recipe with examples/pytorch/train.py on the final split
# (0-19) for the same BUDGET of training minutes (--time-limit), then scores
# its weights file once on 20-24 with unet predict and unet eval, as "final"
# does: the same network, loss, optimiser and shards in another framework.
# Its Python (PYTHON, default .venv-test/bin/python) needs torch,
# webdataset, safetensors and numpy. A peer run is not resumable: an
# interrupted one starts again.
#
# Every run is resumable: re-running the script continues unfinished runs
# (--resume; the budget counts the training time of all segments together)
# and skips finished ones. Results are appended to OUT/results.tsv and
# OUT/results.jsonl: recipe, options, steps done, training minutes, mean
# training loss of the last 20 steps, and the last validation scores in
# metrics.jsonl (val_loss, val_pixel_error, val_rand_error when present).
#
# Environment: UNETKIT_DATASETS (default ../shared/datasets), OUT (default
# out/recipe-study), BUDGET (training minutes per run, default 30), STEPS
# (the run length that schedules decay over, default 3000; a run stops at
# STEPS or BUDGET, whichever comes first, so constant-rate candidates need
# STEPS beyond what fits in BUDGET; a resumed run takes STEPS as its new
# total), SAMPLES
# (augmented samples, default 1000), VAL_EVERY (default 100), THREADS
# (default: all cores), RECIPES (names, default all), EXTRA (options added
# after every recipe's, which override them: for smoke tests), UNET (a
# built unet; default: build the release one).
set -euo pipefail
cd "$(dirname "$0")/.."
datasets=${UNETKIT_DATASETS:-../shared/datasets}/isbi2012
out=${OUT:-out/recipe-study}
budget=${BUDGET:-30}
steps=${STEPS:-3000}
samples=${SAMPLES:-1000}
val_every=${VAL_EVERY:-100}
threads=${THREADS:+--threads $THREADS}
extra=${EXTRA:-}

# name|options[|data options] (each but default on top of the paper's
# recipe, so that a candidate keeps its meaning whatever --recipe default
# becomes). Data options go to `unet augment` (the weight maps' border
# weight w0 and class weights): such a candidate trains on shards of its own,
# made once per distinct set of data options.
candidates=(
  "paper|--recipe paper"
  "default|--recipe default"
  "nnunet|--recipe paper --optimizer sgd --nesterov --schedule poly --lr 0.01"
  "adam|--recipe paper --optimizer adam --lr 1e-4"
  "adamw|--recipe paper --optimizer adamw --lr 1e-4 --weight-decay 0.01"
  "batchnorm|--recipe paper --norm-layer batch"
  "base16|--recipe paper --base-channels 16"
  "base32|--recipe paper --base-channels 32"
  "base64|--recipe paper --base-channels 64"
  "batch2-tile444|--recipe paper --batch 2 --tile 444"
  "batch4-tile316|--recipe paper --batch 4 --tile 316"
  "batch8-tile252|--recipe paper --batch 8 --tile 252"
  "base32-adam|--recipe paper --base-channels 32 --optimizer adam --lr 3e-4"
  "base32-adam1e3|--recipe paper --base-channels 32 --optimizer adam --lr 1e-3"
  "base16-adam|--recipe paper --base-channels 16 --optimizer adam --lr 3e-4"
  "base16-adam-batchnorm|--recipe paper --base-channels 16 --optimizer adam --lr 3e-4 --norm-layer batch"
  "base16-adam-batch4-tile316|--recipe paper --base-channels 16 --optimizer adam --lr 3e-4 --batch 4 --tile 316"
  "base16-adam-w0-0|--recipe paper --base-channels 16 --optimizer adam --lr 3e-4|--w0 0"
  "base16-adam-w0-5|--recipe paper --base-channels 16 --optimizer adam --lr 3e-4|--w0 5"
  "base16-adam-w0-20|--recipe paper --base-channels 16 --optimizer adam --lr 3e-4|--w0 20"
  "base16-adam-unbalanced|--recipe paper --base-channels 16 --optimizer adam --lr 3e-4|--class-weights none"
  "base32-nnunet|--recipe paper --base-channels 32 --optimizer sgd --nesterov --schedule poly --lr 0.01"
  "base32-batch4-tile252|--recipe paper --base-channels 32 --batch 4 --tile 252"
)

# The training options (field 2) and the data options (field 3, maybe
# empty) of a candidate.
field_of() { # name field
  local c rest
  for c in "${candidates[@]}"; do
    if [ "${c%%|*}" = "$1" ]; then
      rest=${c#*|}
      if [ "$2" = 2 ]; then echo "${rest%%|*}"; elif [[ "$rest" == *"|"* ]]; then echo "${rest#*|}"; fi
      return 0
    fi
  done
  echo "recipe-study: no recipe $1 (see: $0 list)" >&2
  return 1
}
options_of() { field_of "$1" 2; }
data_of() { field_of "$1" 3; }

mode=${1:-screen}
if [ "$mode" = list ]; then
  for c in "${candidates[@]}"; do
    name=${c%%|*} data=$(data_of "${c%%|*}")
    printf '%-16s %s%s\n' "$name" "$(options_of "$name")" "${data:+ (data: $data)}"
  done
  exit 0
fi
case "$mode" in
  screen) ;;
  final|peer) [ $# -eq 2 ] || { echo "usage: $0 $mode RECIPE" >&2; exit 2; }; options_of "$2" >/dev/null ;;
  *) echo "usage: $0 [screen|final RECIPE|peer RECIPE|list]" >&2; exit 2 ;;
esac

if [ -n "${UNET:-}" ]; then
  unet=$UNET
else
  scripts/setup.sh
  swift build -c release --product unet >/dev/null
  unet=$(swift build -c release --show-bin-path)/unet
fi

# The split, as links: train 0-14, val 15-19, test 20-24, and final 0-19.
link() { # part first last
  mkdir -p "$out/split/$1/image" "$out/split/$1/label"
  for i in $(seq "$2" "$3"); do
    for kind in image label; do ln -sf "$(realpath "$datasets/$kind/$i.png")" "$out/split/$1/$kind/$i.png"; done
  done
}
link train 0 14
link val 15 19
link test 20 24
link final 0 19

# Makes (or completes) the shards of a part with the given data options and
# prints their folder: shards-PART, or shards-PART-SLUG for data options.
shards() { # part [data options]
  local slug dir
  slug=$(printf '%s' "${2:-}" | tr -c 'A-Za-z0-9.' '-' | sed 's/--*/-/g; s/^-//; s/-$//')
  dir=$out/shards-$1${slug:+-$slug}
  # shellcheck disable=SC2086
  "$unet" augment --images "$out/split/$1/image" --labels "$out/split/$1/label" --out "$dir" \
    --samples "$samples" --per-shard 100 --seed 1 --resume ${2:-} >&2
  echo "$dir"
}

# One result row from a finished run's metrics.jsonl.
record() { # name split options run
  python3 - "$@" "$out/results.tsv" "$out/results.jsonl" <<'PY'
import json, os, sys
name, split, options, run, tsv, jsonl = sys.argv[1:7]
rows = [json.loads(line) for line in open(os.path.join(run, "metrics.jsonl")) if line.strip()]
steps = [r for r in rows if "loss" in r]
vals = [r for r in rows if "val_loss" in r]
last = vals[-1] if vals else {}
tail = [r["loss"] for r in steps[-20:]]
result = {
    "recipe": name, "split": split, "options": options,
    "steps": steps[-1]["step"] if steps else 0,
    "train_minutes": round((steps[-1].get("elapsed") if steps and "elapsed" in steps[-1]
                            else sum(r.get("seconds", 0) for r in steps)) / 60, 3),
    "train_loss": round(sum(tail) / len(tail), 6) if tail else None,
    "val_step": last.get("step"),
}
for key in ("val_loss", "val_pixel_error", "val_rand_error"):
    if key in last:
        result[key] = last[key]
fields = ["recipe", "split", "options", "steps", "train_minutes", "train_loss", "val_step",
          "val_loss", "val_pixel_error", "val_rand_error"]
new = not os.path.exists(tsv)
with open(tsv, "a") as f:
    if new:
        f.write("\t".join(fields) + "\n")
    f.write("\t".join("" if result.get(k) is None else str(result[k]) for k in fields) + "\n")
with open(jsonl, "a") as f:
    f.write(json.dumps(result) + "\n")
print("\t".join(f"{k}={result[k]}" for k in fields if k in result))
PY
}

train() { # name shards run options...
  local name=$1 data=$2 run=$3
  shift 3
  local resume=
  [ -e "$run/last.ckpt" ] && resume=--resume
  echo "== $name (${data##*/}): $* for $budget minutes${resume:+, resumed}"
  # shellcheck disable=SC2086
  if [ -n "$resume" ]; then
    # A resumed run keeps its stored choices; only the budget and the logs change.
    "$unet" train --shards "$data" --out "$run" --resume --steps "$steps" --time-limit "$budget" \
      --checkpoint-every "$val_every" ${val_args:-} $threads
  else
    "$unet" train --shards "$data" --out "$run" --steps "$steps" --time-limit "$budget" \
      --checkpoint-every "$val_every" ${val_args:-} $threads "$@"
  fi
}

mkdir -p "$out/runs" "$out/final"
if [ "$mode" = screen ]; then
  val_args="--val-images $out/split/val/image --val-labels $out/split/val/label --val-every $val_every"
  for c in "${candidates[@]}"; do
    name=${c%%|*}
    if [ -n "${RECIPES:-}" ] && [[ " $RECIPES " != *" $name "* ]]; then continue; fi
    run=$out/runs/$name
    if [ -e "$run/finished" ]; then echo "== $name: finished, skipped"; continue; fi
    # shellcheck disable=SC2086
    data=$(data_of "$name")
    dir=$(shards train "$data")
    train "$name" "$dir" "$run" $(options_of "$name") $extra
    record "$name" "train 0-14, val 15-19" "$(options_of "$name") $extra${data:+ | data: $data}" "$run"
    touch "$run/finished"
  done
  echo "recipe-study: results in $out/results.tsv"
elif [ "$mode" = peer ]; then
  name=$2
  dir=$(shards final "$(data_of "$name")")
  python=${PYTHON:-.venv-test/bin/python}
  weights=$out/final/$name-pytorch.safetensors
  if [ -e "$weights" ]; then
    echo "== $name in PyTorch: finished; its score is $out/final/$name-pytorch-eval.json"
  else
    # unet train's options minus --recipe paper, whose values are train.py's
    # defaults, plus the warm-up that unet train adds.
    options=$(options_of "$name" | sed 's/--recipe paper//')
    echo "== $name in PyTorch: $options for $budget minutes"
    # shellcheck disable=SC2086
    "$python" examples/pytorch/train.py --shards "$dir" --out "$out/final/$name-pytorch.tmp.safetensors" \
      --steps "$steps" --time-limit "$budget" --warmup 100 --workers 1 --cpu --log-every 100 $options \
      | tee "$out/final/$name-pytorch.log"
    "$unet" predict --model "$out/final/$name-pytorch.tmp.safetensors" "$out/split/test/image" \
      --out "$out/final/$name-pytorch-pred"
    "$unet" eval --pred "$out/final/$name-pytorch-pred" --truth "$out/split/test/label" --thresholds 10
    "$unet" eval --pred "$out/final/$name-pytorch-pred" --truth "$out/split/test/label" --thresholds 10 --json \
      > "$out/final/$name-pytorch-eval.json"
    mv "$out/final/$name-pytorch.tmp.safetensors" "$weights"
    echo "recipe-study: $name in PyTorch scored once on sections 20-24: $out/final/$name-pytorch-eval.json"
  fi
else
  name=$2
  run=$out/final/$name
  data=$(data_of "$name")
  dir=$(shards final "$data")
  val_args=
  if [ -e "$run/finished" ]; then
    echo "== $name: finished; its score is $out/final/$name-eval.json"
  else
    # shellcheck disable=SC2086
    train "$name" "$dir" "$run" $(options_of "$name") $extra
    record "$name" "train 0-19, test 20-24" "$(options_of "$name") $extra${data:+ | data: $data}" "$run"
    "$unet" predict --model "$run" "$out/split/test/image" --out "$out/final/$name-pred"
    "$unet" eval --pred "$out/final/$name-pred" --truth "$out/split/test/label" --thresholds 10
    "$unet" eval --pred "$out/final/$name-pred" --truth "$out/split/test/label" --thresholds 10 --json \
      > "$out/final/$name-eval.json"
    touch "$run/finished"
    echo "recipe-study: $name scored once on sections 20-24: $out/final/$name-eval.json"
  fi
fi
