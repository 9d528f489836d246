#!/usr/bin/env bash
# What batch normalisation costs per training step: `unet bench` of the same
# network with `--norm-layer batch` and without (its peer), measured in the
# same run on all cores, for the paper's network (572 tile, 64 base
# channels, depth 4) and the main job's (188, 16, depth 3).
#
#   Benchmarks/norm-layer.sh [--rounds 3] [--only paper|main]
#
# Each round runs both variants once per network, alternating, so that both
# see the same machine load; the summary takes medians over rounds of each
# run's median step time, and prints the ratio (batch / none). Peak memory
# is each process's maximum resident set. No target: the table in
# BENCHMARKS.md says what the option costs.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=3 only=""
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2 ;; --only) only=$2 ;;
    *) echo "norm-layer.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift 2
done

source Benchmarks/common.sh

machine
echo "# flags: $(grep -m1 -o -w 'avx512f\|avx512_bf16\|avx512_vnni\|amx_tile' /proc/cpuinfo | sort -u | tr '\n' ' ')avx2 $(grep -qw avx2 /proc/cpuinfo && echo yes || echo no)"

# name tile base depth steps
configs=("paper 572 64 4 3" "main 188 16 3 20")
results=$(mktemp)
trap 'rm -f "$results"' EXIT
for round in $(seq "$rounds"); do
  for config in "${configs[@]}"; do
    read -r name tile base depth steps <<<"$config"
    [ -n "$only" ] && [ "$only" != "$name" ] && continue
    for norm in none batch; do
      json=$(/usr/bin/time -f '%M' -o "$results.rss" "$unet" bench --json --tile "$tile" --base-channels "$base" \
        --depth "$depth" --steps "$steps" --norm-layer "$norm")
      echo "$name $norm $round $(python3 -c 'import json,sys; r=json.loads(sys.argv[1]); print(r["stepSeconds"], r["isa"])' "$json") $(cat "$results.rss")" >>"$results"
      echo "round $round: $(tail -1 "$results")" >&2
    done
  done
done

python3 - "$results" <<'PY'
import statistics, sys
rows = [line.split() for line in open(sys.argv[1]) if line.strip()]
print("| network | ISA | none (s/step) | batch (s/step) | batch / none | peak MiB none | peak MiB batch |")
print("|---|---|---|---|---|---|---|")
for name in ["paper", "main"]:
    none = [r for r in rows if r[0] == name and r[1] == "none"]
    batch = [r for r in rows if r[0] == name and r[1] == "batch"]
    if not none or not batch:
        continue
    a = statistics.median(float(r[3]) for r in none)
    b = statistics.median(float(r[3]) for r in batch)
    ma = statistics.median(int(r[5]) for r in none) // 1024
    mb = statistics.median(int(r[5]) for r in batch) // 1024
    print(f"| {name} | {none[0][4]} | {a:.3f} | {b:.3f} | {b / a:.2f} | {ma} | {mb} |")
PY
