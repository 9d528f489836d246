#!/usr/bin/env bash
# Training-step benchmark: UNetKit (`unet bench`, oneDNN) against PyTorch
# running ../shared/bench/torch_unet_ref.py (the same network, loss and
# optimiser: valid convolutions, pixel-weighted softmax cross-entropy, SGD
# with momentum 0.99, batch 1), measured in the same run on all cores, for
#   - two networks: the paper's (572 tile, 64 base channels, depth 4) and
#     the main job's (188, 16, depth 3); and a 3-D U-Net (Cicek et al.
#     2016; 116x116x52 voxels, 16 base channels, depth 3, the first pooling
#     in-plane as for slices 4 times further apart than pixels; with every
#     pooling 2x2x2 the nearest valid depth would be 92), against
#     Benchmarks/torch_unet3d.py (examples/pytorch's UNet(dimensions=3),
#     nn.Conv3d, with the same loss and optimiser);
#   - every instruction-set tier the machine reaches: native, and AVX2
#     (UNetKit with ONEDNN_MAX_CPU_ISA=AVX2, PyTorch with that and
#     ATEN_CPU_CAPABILITY=avx2) when the machine has AVX-512.
#
#   Benchmarks/train.sh [--rounds 3] [--only paper|main|volume] [--tiers native,avx2]
#
# Each round runs both programs once per network and tier, alternating, so
# that both see the same machine load; the summary takes medians over rounds.
# Peak memory is each process's maximum resident set. Targets: step ratio
# (UNetKit / PyTorch) <= 0.8 and peak memory no more than PyTorch's.
#
# Environment: UNETKIT_BENCH (default ../shared/bench), PEERS (a Python venv
# with torch; default Benchmarks/.venv-torch, created when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
bench=${UNETKIT_BENCH:-$root/../shared/bench}
peers=${PEERS:-$root/Benchmarks/.venv-torch}
rounds=3 only="" tiers=""
while [ $# -gt 0 ]; do
  case "$1" in
    --rounds) rounds=$2 ;; --only) only=$2 ;; --tiers) tiers=$2 ;;
    *) echo "train.sh: unknown option $1" >&2; exit 2 ;;
  esac
  shift 2
done

if ! "$peers/bin/python" -c 'import torch' 2>/dev/null; then
  python3 -m venv "$peers"
  "$peers/bin/pip" install -q --upgrade pip
  # The CPU-only wheel where its index is reachable, else PyPI's.
  "$peers/bin/pip" install -q --retries 0 --timeout 10 --index-url https://download.pytorch.org/whl/cpu torch 2>/dev/null \
    || "$peers/bin/pip" install -q torch
fi
source Benchmarks/common.sh

if [ -z "$tiers" ]; then
  tiers=native
  grep -qw avx512f /proc/cpuinfo && tiers=native,avx2
fi
# name, tile, base channels, depth, steps, warm-up steps, in-plane poolings (3-D)
configs=("paper 572 64 4 3 1 -" "main 188 16 3 20 3 -" "volume 116x116x52 16 3 3 1 1")

machine
echo "# flags: $(grep -m1 -o -w 'avx512f\|avx512_bf16\|avx512_vnni\|amx_tile' /proc/cpuinfo | sort -u | tr '\n' ' ')avx2 $(grep -qw avx2 /proc/cpuinfo && echo yes || echo no)"
echo "# torch $("$peers/bin/python" -c 'import torch; print(torch.__version__, "threads", torch.get_num_threads())' 2>/dev/null)"

# Runs a command (with environment assignments first) and prints its last
# JSON line with the peak RSS, the network, the tier and the program added.
measure() {
  local who=$1 config=$2 tier=$3
  shift 3
  python3 - "$who" "$config" "$tier" "$@" <<'PY'
import json, os, resource, subprocess, sys
who, config, tier, *cmd = sys.argv[1:]
env = dict(os.environ)
while cmd and "=" in cmd[0] and not cmd[0].startswith("/"):
    key, value = cmd.pop(0).split("=", 1)
    env[key] = value
out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
line = json.loads([l for l in out.splitlines() if l.startswith("{")][-1])
row = {"who": who, "config": config, "tier": tier,
       "step_s": line.get("stepSeconds", line.get("step_s")),
       "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024),
       "isa": line.get("isa", ""), "references": sum(1 for k in line.get("kernels", []) if k["isReference"])}
print(json.dumps(row), flush=True)
PY
}

results=$(mktemp)
for round in $(seq "$rounds"); do
  for c in "${configs[@]}"; do
    read -r name size base depth steps warm planar <<<"$c"
    [ -n "$only" ] && [ "$only" != "$name" ] && continue
    for tier in ${tiers//,/ }; do
      case $tier in
        native) ours_env=() torch_env=() ;;
        avx2) ours_env=(ONEDNN_MAX_CPU_ISA=AVX2) torch_env=(ONEDNN_MAX_CPU_ISA=AVX2 ATEN_CPU_CAPABILITY=avx2) ;;
        *) echo "train.sh: unknown tier $tier" >&2; exit 2 ;;
      esac
      if [ "$planar" = - ]; then
        ours_net=() torch_cmd=("$bench/torch_unet_ref.py" --device cpu --size "$size")
      else
        ours_net=(--in-plane-poolings "$planar")
        torch_cmd=(Benchmarks/torch_unet3d.py --tile "$size" --in-plane-poolings "$planar")
      fi
      measure unetkit "$name" "$tier" ${ours_env[@]+"${ours_env[@]}"} "$unet" bench --json --tile "$size" \
        --base-channels "$base" --depth "$depth" ${ours_net[@]+"${ours_net[@]}"} --steps "$steps" --warmup "$warm" \
        | tee -a "$results"
      measure pytorch "$name" "$tier" ${torch_env[@]+"${torch_env[@]}"} "$peers/bin/python" "${torch_cmd[@]}" \
        --base "$base" --depth "$depth" --steps "$steps" --warm "$warm" | tee -a "$results"
    done
  done
done
python3 - "$results" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
keys = sorted({(r["config"], r["tier"]) for r in rows}, key=lambda k: (["paper", "main", "volume"].index(k[0]), k[1] != "native"))
print("| network | tier | UNetKit s/step | PyTorch s/step | ratio (target <= 0.8) | UNetKit peak MiB | PyTorch peak MiB | memory ratio (target <= 1) | reference kernels |")
print("|---|---|---|---|---|---|---|---|---|")
for config, tier in keys:
    ours = [r for r in rows if (r["config"], r["tier"], r["who"]) == (config, tier, "unetkit")]
    torch = [r for r in rows if (r["config"], r["tier"], r["who"]) == (config, tier, "pytorch")]
    o = statistics.median(r["step_s"] for r in ours)
    t = statistics.median(r["step_s"] for r in torch)
    om = max(r["peak_rss_mib"] for r in ours)
    tm = max(r["peak_rss_mib"] for r in torch)
    print(f"| {config} | {tier} ({ours[0]['isa']}) | {o:.3f} | {t:.3f} | {o / t:.2f} | {om} | {tm} | {om / tm:.2f} | {max(r['references'] for r in ours)} |")
PY
rm -f "$results"
