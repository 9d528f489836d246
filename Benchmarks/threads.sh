#!/usr/bin/env bash
# How oneDNN's OpenMP threads should wait, on an idle machine and on one
# where another process keeps a core busy: the main job's training step
# (`unet bench --tile 188 --base-channels 16 --depth 3`) with
# OMP_WAIT_POLICY=ACTIVE (libgomp's spinning, which unet keeps as its
# default) against PASSIVE, alternating, medians over rounds.
#
#   Benchmarks/threads.sh [--rounds 3] [--steps 30]
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=3 steps=30
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2 ;; --steps) steps=$2 ;;
    *) echo "threads.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift 2
done
source Benchmarks/common.sh
machine

step() {
  OMP_WAIT_POLICY=$1 "$unet" bench --json --tile 188 --base-channels 16 --depth 3 --steps "$steps" --warmup 3 \
    | python3 -c 'import json, sys; print(json.load(sys.stdin)["stepSeconds"])'
}

results=$(mktemp)
busy=""
trap '[ -n "$busy" ] && kill "$busy" 2>/dev/null; rm -f "$results"' EXIT
for load in idle busy; do
  if [ "$load" = busy ]; then
    # Another program holding one core, as a compile or a second job would.
    sh -c 'while :; do :; done' &
    busy=$!
  fi
  for round in $(seq "$rounds"); do
    for policy in ACTIVE PASSIVE; do
      echo "$load $policy $(step "$policy")" | tee -a "$results"
    done
  done
  if [ -n "$busy" ]; then kill "$busy"; wait "$busy" 2>/dev/null || true; busy=""; fi
done
python3 - "$results" <<'PY'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1])]
print("| machine | ACTIVE s/step | PASSIVE s/step | PASSIVE / ACTIVE |")
print("|---|---|---|---|")
for load in ("idle", "busy"):
    a = statistics.median(float(r[2]) for r in rows if r[:2] == [load, "ACTIVE"])
    p = statistics.median(float(r[2]) for r in rows if r[:2] == [load, "PASSIVE"])
    print(f"| {load} | {a:.4f} | {p:.4f} | {p / a:.2f} |")
PY
