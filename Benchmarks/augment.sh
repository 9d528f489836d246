#!/usr/bin/env bash
# Augmentation benchmark: one 512x512 ISBI sample through UNetKit's Augment
# library against elasticdeform and albumentations (one thread each,
# measured in the same run), then `unet augment` on all cores; then the
# same in 3-D: a 64x256x256 volume of touching nuclei (`unet synth`)
# against elasticdeform's 3-D deform_random_grid.
#
#   Benchmarks/augment.sh [2d|3d]   # from the package root; 2d or 3d runs one half
#
# Environment: UNETKIT_DATASETS (default ../shared/datasets), PEERS (a
# Python venv; default Benchmarks/.venv-augment, created when missing:
# numpy, scipy, pillow, albumentations, opencv-python-headless and
# elasticdeform built against NumPy 2), WORK (scratch folder).
set -euo pipefail
part=${1:-all}
case $part in all|2d|3d) ;; *) echo "usage: $0 [2d|3d]" >&2; exit 64 ;; esac
cd "$(dirname "$0")/.."
root=$PWD
datasets=${UNETKIT_DATASETS:-$root/../shared/datasets}
peers=${PEERS:-$root/Benchmarks/.venv-augment}
work=${WORK:-$(mktemp -d)}
mkdir -p "$work"
cores=$(nproc --all)
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1

if ! "$peers/bin/python" -c 'import elasticdeform, albumentations, scipy, PIL' 2>/dev/null; then
  python3 -m venv "$peers"
  "$peers/bin/pip" install -q numpy scipy pillow albumentations opencv-python-headless setuptools wheel
  "$peers/bin/pip" install -q --no-binary elasticdeform --no-build-isolation elasticdeform
fi
source Benchmarks/common.sh
build swift build -c release --package-path Benchmarks --product augment-bench
bench=$(swift build -c release --package-path Benchmarks --show-bin-path)/augment-bench

image="$datasets/isbi2012/image/0.png"
label="$datasets/isbi2012/label/0.png"
machine
if [ "$part" != 3d ]; then
echo "## one 512x512 sample, one thread (median seconds)"
echo "# glibc's default allocator (fresh pages for every large array):"
"$bench" --reps 50 "$image" "$label" | tee "$work/ours-default.jsonl"
echo "# allocator settings as \`unet\` uses them (large buffers stay in the heap):"
MALLOC_MMAP_THRESHOLD_=67108864 MALLOC_TRIM_THRESHOLD_=268435456 \
  "$bench" --reps 50 "$image" "$label" | tee "$work/ours.jsonl"
"$peers/bin/python" Benchmarks/peer_augment.py "$label" "$image" 20 | tee "$work/peers.jsonl"
python3 - "$work/ours.jsonl" "$work/peers.jsonl" "$work/ours-default.jsonl" <<'PY'
import json, sys
ours = {d["task"]: d["s"] for d in map(json.loads, open(sys.argv[1]))}
peers = {d["peer"]: d["s"] for d in map(json.loads, open(sys.argv[2]))}
default = {d["task"]: d["s"] for d in map(json.loads, open(sys.argv[3]))}
task = "geometry+resample image(cubic)+labels(nearest)"
geo = ours[task]
ed = peers["elasticdeform"]
print(f"geometry + resampling: unetkit {geo * 1e3:.2f} ms vs elasticdeform {ed * 1e3:.1f} ms: "
      f"ratio {geo / ed:.4f} ({ed / geo:.0f}x faster; target <= 0.05)")
print(f"  with glibc's default allocator: {default[task] * 1e3:.2f} ms, ratio {default[task] / ed:.4f}")
for k, v in ours.items():
    if k.startswith("whole"):
        print(f"{k}: {v * 1e3:.2f} ms ({ed / v:.1f}x elasticdeform's time for geometry alone)")
for k, v in peers.items():
    print(f"{k}: {v * 1e3:.1f} ms")
PY

echo "## unet augment, 25 ISBI sources, 200 samples, all $cores cores"
for weights in recompute warp; do
  rm -rf "$work/ds-$weights"
  "$unet" augment --images "$datasets/isbi2012/image" --labels "$datasets/isbi2012/label" \
    --out "$work/ds-$weights" --samples 200 --per-shard 50 --seed 1 --weights "$weights" | tail -1
done

fi
if [ "$part" != 2d ]; then
echo "## 3-D: one 64x256x256 volume (unet synth --size 256x256x64) and its labels, one thread (median seconds)"
"$unet" synth --out "$work/vol" --size 256x256x64 --seed 1 >/dev/null
vimage="$work/vol/images/cells_000.tif"
vlabels="$work/vol/labels/cells_000.tif"
MALLOC_MMAP_THRESHOLD_=67108864 MALLOC_TRIM_THRESHOLD_=268435456 \
  "$bench" --reps 10 --volume "$vimage" "$vlabels" | tee "$work/ours-vol.jsonl"
"$peers/bin/python" Benchmarks/peer_augment.py --volume "$vlabels" "$vimage" 3 | tee "$work/peers-vol.jsonl"
python3 - "$work/ours-vol.jsonl" "$work/peers-vol.jsonl" <<'PY'
import json, sys
ours = {d["task"]: d["s"] for d in map(json.loads, open(sys.argv[1]))}
ed = next(d["s"] for d in map(json.loads, open(sys.argv[2])))
geo = ours["3-D geometry+resample image(cubic)+labels(nearest)"]
print(f"3-D geometry + resampling: unetkit {geo:.3f} s vs elasticdeform {ed:.2f} s: "
      f"ratio {geo / ed:.4f} ({ed / geo:.0f}x faster; target <= 0.05)")
PY
rm -rf "$work/ds-vol"
"$unet" augment --volume --images "$work/vol/images" --labels "$work/vol/labels" \
  --out "$work/ds-vol" --samples 8 --per-shard 4 --seed 1 | tail -1
fi
