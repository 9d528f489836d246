#!/usr/bin/env bash
# Prediction against onnxruntime: `unet predict` over ISBI 2012 sections
# against onnxruntime running the same network exported by `unet export
# --format onnx` (opset 17), on the same overlap-tile plan (tile, stride,
# mirrored borders, batch 1) and the same thread count, alternating in the
# same run; medians over rounds. The network is He-initialised (the
# timing does not depend on the weights). The two results are compared
# too: their foreground probabilities must agree within 1e-4.
#
#   Benchmarks/predict.sh [--sections 4] [--base-channels 64] [--depth 4] [--tile 572] [--threads N] [--rounds 3]
#
# unet predict is timed as a whole process (reading the PNGs, compiling the
# network, predicting, writing probabilities, masks and instances);
# onnxruntime's time is that of its Python loop (reading, normalising,
# tiling, running, stitching) with the session created once beforehand and
# timed apart. Both run under `taskset` on the first N cores (default: all).
#
# Environment: UNETKIT_DATASETS (default ../shared/datasets), PEERS (a
# Python venv with numpy, pillow, onnx and onnxruntime; default
# Benchmarks/.venv-onnx, created when missing), WORK (scratch folder).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
sections=4 base=64 depth=4 tile=572 threads=$(nproc) rounds=3
while [ $# -gt 0 ]; do
  case "$1" in
    --sections) sections=$2 ;; --base-channels) base=$2 ;; --depth) depth=$2 ;; --tile) tile=$2 ;;
    --threads) threads=$2 ;; --rounds) rounds=$2 ;;
    *) echo "predict.sh: unknown option $1" >&2; exit 64 ;;
  esac
  shift 2
done
datasets=${UNETKIT_DATASETS:-$root/../shared/datasets}
peers=${PEERS:-$root/Benchmarks/.venv-onnx}
work=${WORK:-$(mktemp -d)}
mkdir -p "$work/images"
if ! "$peers/bin/python" -c 'import numpy, PIL, onnx, onnxruntime' 2>/dev/null; then
  python3 -m venv "$peers"
  "$peers/bin/pip" install -q --disable-pip-version-check numpy pillow onnx onnxruntime
fi
source Benchmarks/common.sh
machine
cores=0-$((threads - 1))
echo "# $sections ISBI 2012 sections of 512x512, base $base, depth $depth, tile $tile, $threads threads (cores $cores); onnxruntime $("$peers/bin/python" -c 'import onnxruntime; print(onnxruntime.__version__)')"

for i in $(seq 0 $((sections - 1))); do cp "$datasets/isbi2012/image/$i.png" "$work/images/$i.png"; done
"$peers/bin/python" Benchmarks/peer_predict.py weights "$work/model.safetensors" "$base" "$depth" "$tile"
rm -f "$work/model.onnx"
"$unet" export --model "$work/model.safetensors" --format onnx --out "$work/model.onnx" >/dev/null

: > "$work/times"
for round in $(seq "$rounds"); do
  rm -rf "$work/pred"
  start=$(date +%s.%N)
  taskset -c "$cores" "$unet" predict --model "$work/model.safetensors" "$work/images" --out "$work/pred" >/dev/null
  echo "unet $(echo "$(date +%s.%N) - $start" | bc)" | tee -a "$work/times"
  taskset -c "$cores" "$peers/bin/python" Benchmarks/peer_predict.py predict "$work/model.onnx" "$threads" 1 \
    "$work"/images/*.png > "$work/peer.jsonl"
  "$peers/bin/python" -c '
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print("onnxruntime", rows[1]["s"], "tiles", rows[1]["tiles"], "session", rows[0]["session_s"])' "$work/peer.jsonl" \
    | tee -a "$work/times"
done

"$peers/bin/python" - "$work" <<'PY'
import glob, os, statistics, sys
import numpy as np
from PIL import Image
work = sys.argv[1]
worst = 0.0
for path in glob.glob(os.path.join(work, "onnx", "*.npy")):
    name = os.path.splitext(os.path.basename(path))[0]
    ours = np.asarray(Image.open(os.path.join(work, "pred", name + ".prob.tiff")), np.float32)
    worst = max(worst, float(np.abs(ours - np.load(path)).max()))
rows = [l.split() for l in open(os.path.join(work, "times"))]
u = statistics.median(float(r[1]) for r in rows if r[0] == "unet")
o = statistics.median(float(r[1]) for r in rows if r[0] == "onnxruntime")
print(f"# probabilities differ by at most {worst:.2e}")
print("| runtime | seconds (median) | per section | unet / onnxruntime |")
print("|---|---|---|---|")
n = len(glob.glob(os.path.join(work, "images", "*.png")))
print(f"| unet predict (whole process) | {u:.2f} | {u / n:.2f} | {u / o:.2f} |")
print(f"| onnxruntime (Python loop, session apart) | {o:.2f} | {o / n:.2f} | 1.00 |")
assert worst <= 1e-4, worst
PY
