#!/usr/bin/env bash
# Peak memory of `unet train` against its target and against PyTorch, for
# the paper's network (572 tile, 64 base channels, depth 4, batch 1): a few
# steps and the final checkpoint, with SGD (momentum 0.99, lr 0.001, the
# paper's recipe) and with Adam (lr 0.0003), on shards of the ISBI 2012
# images made here with `unet augment`; `unet bench` of the same network;
# and examples/pytorch/train.py with the same recipe and shards, in one
# process (--workers 0, as unet train reads its shards) and with its
# default 2 DataLoader worker processes (the peak of its largest process).
#
#   Benchmarks/memory.sh [--steps 3] [--samples 20]
#
# Target: unet train's peak resident set at most 1.1 x (the memory the step
# works in + weights + gradients + optimiser state), with the step's memory
# (the arena of activations and gradients, the weight gradients' scratch,
# the graph's other buffers and oneDNN's scratchpad) and the parameter
# bytes as `unet bench --json` reports them. Peak memory is each
# process's maximum resident set (getrusage of the waited child); CPU load
# from other work does not change it.
#
# Environment: UNETKIT_DATASETS (default ../shared/datasets), PEERS (a
# Python venv with torch; default Benchmarks/.venv-torch, created when
# missing).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
datasets=${UNETKIT_DATASETS:-$root/../shared/datasets}
peers=${PEERS:-$root/Benchmarks/.venv-torch}
steps=3 samples=20
while [ $# -gt 0 ]; do
  case "$1" in
    --steps) steps=$2 ;; --samples) samples=$2 ;;
    *) echo "memory.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift 2
done

if ! "$peers/bin/python" -c 'import torch, webdataset, safetensors, PIL' 2>/dev/null; then
  python3 -m venv "$peers"
  "$peers/bin/pip" install -q --upgrade pip
  # The CPU-only wheel where its index is reachable, else PyPI's.
  "$peers/bin/pip" install -q --retries 0 --timeout 10 --index-url https://download.pytorch.org/whl/cpu torch 2>/dev/null \
    || "$peers/bin/pip" install -q torch
  "$peers/bin/pip" install -q numpy safetensors webdataset pillow
fi
source Benchmarks/common.sh
machine
echo "# flags: $(grep -m1 -o -w 'avx512f\|avx2' /proc/cpuinfo | sort -u | tr '\n' ' ')"
echo "# torch $("$peers/bin/python" -c 'import torch; print(torch.__version__, "threads", torch.get_num_threads())')"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$unet" augment --images "$datasets/isbi2012/image" --labels "$datasets/isbi2012/label" --out "$work/shards" \
  --samples "$samples" --per-shard 10 --seed 1 >/dev/null

# Runs a command; prints its peak resident set in MiB.
peak() {
  python3 - "$@" <<'PY'
import resource, subprocess, sys
subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)
print(round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024))
PY
}

bench=$("$unet" bench --json --steps "$steps" --warmup 0)
sgd=(--recipe paper)
adam=(--recipe paper --optimizer adam --lr 0.0003)
rows=$work/rows
for optimizer in sgd adam; do
  if [ "$optimizer" = sgd ]; then options=("${sgd[@]}"); else options=("${adam[@]}"); fi
  ours=$(peak "$unet" train --shards "$work/shards" --out "$work/run-$optimizer" --steps "$steps" "${options[@]}")
  lr=$([ "$optimizer" = sgd ] && echo 0.001 || echo 0.0003)
  torch0=$(peak "$peers/bin/python" examples/pytorch/train.py --shards "$work/shards" --out "$work/torch-$optimizer.safetensors" \
    --steps "$steps" --optimizer "$optimizer" --lr "$lr" --workers 0 --cpu --log-every "$steps")
  torch2=$(peak "$peers/bin/python" examples/pytorch/train.py --shards "$work/shards" --out "$work/torch-$optimizer.safetensors" \
    --steps "$steps" --optimizer "$optimizer" --lr "$lr" --cpu --log-every "$steps")
  checkpoint=$(stat -c %s "$work/run-$optimizer/last.ckpt")
  echo "$optimizer $ours $torch0 $torch2 $checkpoint" | tee -a "$rows"
done
python3 - "$rows" "$bench" <<'PY'
import json, sys
bench = json.loads(sys.argv[2])
mib = 1 << 20
parts = {"arena": "arenaBytes", "weight-gradient scratch": "scratchBytes", "other buffers": "bufferBytes",
         "oneDNN scratchpad": "libraryScratchBytes"}
step = sum(bench[k] for k in parts.values()) / mib
weights = bench["parameterBytes"] / mib
print(f"unet bench: peak {bench['peakMemoryMiB']} MiB; the step works in {step:.0f} MiB ("
      + ", ".join(f"{name} {bench[key] / mib:.0f}" for name, key in parts.items()) + f"); weights {weights:.0f} MiB")
print()
print("| optimiser | unet train peak MiB | target MiB: 1.1 x (step + weights + gradients + state) | peak / target "
      "| PyTorch peak MiB, 1 process | with 2 workers (largest process) | unet / PyTorch (1 process) | checkpoint MB |")
print("|---|---|---|---|---|---|---|---|")
for line in open(sys.argv[1]):
    name, ours, torch0, torch2, checkpoint = line.split()
    slots = 1 if name == "sgd" else 2
    base = step + (2 + slots) * weights
    target = 1.1 * base
    print(f"| {name} | {ours} | {target:.0f} ({base:.0f} + 10 %) | {int(ours) / target:.2f} | {torch0} | {torch2} "
          f"| {int(ours) / int(torch0):.2f} | {int(checkpoint) / 1e6:.0f} |")
PY
