#!/usr/bin/env bash
# Training-step benchmark: the paper's full U-Net (572 tile, 64 base
# channels, depth 4, batch 1: forward, weighted softmax cross-entropy,
# backward, SGD with momentum 0.99) on UNetKit's oneDNN backend against
# PyTorch running ../shared/bench/torch_unet_ref.py (same architecture, loss
# and optimiser), measured in the same run, both on all cores.
#
#   Benchmarks/train.sh [--size 572] [--base 64] [--depth 4] [--steps 5] [--warm 2] [--rounds 2]
#
# Each round runs both programs once, alternating, so that both see the same
# machine load; the summary takes medians over rounds. Peak memory is each
# process's maximum resident set.
#
# Environment: UNETKIT_BENCH (default ../shared/bench), PEERS (a Python venv
# with torch; default Benchmarks/.venv-torch, created when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
bench=${UNETKIT_BENCH:-$root/../shared/bench}
peers=${PEERS:-$root/Benchmarks/.venv-torch}
size=572 base=64 depth=4 steps=5 warm=2 rounds=2
while [ $# -gt 0 ]; do
  case "$1" in
    --size) size=$2 ;; --base) base=$2 ;; --depth) depth=$2 ;;
    --steps) steps=$2 ;; --warm) warm=$2 ;; --rounds) rounds=$2 ;;
    *) echo "train.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift 2
done

if ! "$peers/bin/python" -c 'import torch' 2>/dev/null; then
  python3 -m venv "$peers"
  "$peers/bin/pip" install -q --index-url https://download.pytorch.org/whl/cpu torch \
    || "$peers/bin/pip" install -q torch
fi
scripts/setup.sh
build() { local log; log=$("$@" 2>&1) || { echo "$log" >&2; exit 1; }; }
build swift build -c release --package-path Benchmarks
ours=$(swift build -c release --package-path Benchmarks --show-bin-path)/train-bench

# Runs a command and prints its last JSON line with the peak RSS added.
measure() {
  python3 - "$@" <<'PY'
import json, resource, subprocess, sys
out = subprocess.run(sys.argv[1:], check=True, capture_output=True, text=True).stdout
line = json.loads([l for l in out.splitlines() if l.startswith("{")][-1])
line["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
print(json.dumps(line))
PY
}

echo "# machine: $(uname -m), $(nproc --all) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); $(date -u +%Y-%m-%d)"
echo "# torch $("$peers/bin/python" -c 'import torch; print(torch.__version__, "threads", torch.get_num_threads())')"
results=$(mktemp)
for round in $(seq "$rounds"); do
  measure "$ours" --size "$size" --base "$base" --depth "$depth" --steps "$steps" --warm "$warm" | tee -a "$results"
  measure "$peers/bin/python" "$bench/torch_unet_ref.py" --device cpu --size "$size" --base "$base" \
    --depth "$depth" --steps "$steps" --warm "$warm" | tee -a "$results"
done
python3 - "$results" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
ours = [r for r in rows if r.get("peer") == "unetkit-onednn"]
torch = [r for r in rows if "peer" not in r]
o = statistics.median(r["step_s"] for r in ours)
t = statistics.median(r["step_s"] for r in torch)
gflop = ours[0]["gflop_per_step"]
print(f"summary: UNetKit {o:.2f} s/step ({gflop / o:.0f} GFLOP/s, peak {max(r['peak_rss_mib'] for r in ours)} MiB), "
      f"PyTorch {t:.2f} s/step ({gflop / t:.0f} GFLOP/s, peak {max(r['peak_rss_mib'] for r in torch)} MiB), "
      f"ratio {o / t:.3f} (target <= 1)")
PY
rm -f "$results"
