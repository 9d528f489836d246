#!/usr/bin/env bash
# Weight-map benchmark: UNetKit's library and `unet weights` against the
# common scipy recipe (one distance transform per instance,
# ../shared/bench/peers_preproc.py), measured in the same run; in 2-D, and
# in 3-D on a 64 x 256 x 256 volume of about 150 touching nuclei.
#
#   Benchmarks/weights.sh [2d|3d]   # from the package root; 2d or 3d runs one half
#
# Environment: UNETKIT_DATASETS (default ../shared/datasets), UNETKIT_BENCH
# (default ../shared/bench), PEERS (a Python venv; default Benchmarks/.venv,
# created with numpy, scipy and pillow when missing), WORK (scratch folder).
set -euo pipefail
part=${1:-all}
case $part in all|2d|3d) ;; *) echo "usage: $0 [2d|3d]" >&2; exit 64 ;; esac
cd "$(dirname "$0")/.."
root=$PWD
datasets=${UNETKIT_DATASETS:-$root/../shared/datasets}
bench=${UNETKIT_BENCH:-$root/../shared/bench}
peers=${PEERS:-$root/Benchmarks/.venv}
work=${WORK:-$(mktemp -d)}
mkdir -p "$work"
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1

if [ ! -x "$peers/bin/python" ]; then
  python3 -m venv "$peers"
  "$peers/bin/pip" install -q numpy scipy pillow
fi
source Benchmarks/common.sh
build swift build -c release --package-path Benchmarks
lib=$(swift build -c release --package-path Benchmarks --show-bin-path)/weightmap-bench

isbi=("$datasets"/isbi2012/label/*.png)
machine

seconds() { python3 -c 'import sys; print(f"{float(sys.argv[1]):.3f}")' "$1"; }
wall() {  # wall seconds of a command, its output discarded
  local t0 t1
  t0=$(date +%s.%N); "$@" >/dev/null; t1=$(date +%s.%N)
  python3 -c 'import sys; print(f"{float(sys.argv[2]) - float(sys.argv[1]):.3f}")' "$t0" "$t1"
}
field() { python3 -c 'import json, sys; print(json.loads(sys.stdin.read().strip().splitlines()[-1])[sys.argv[1]])' "$1"; }

if [ "$part" != 3d ]; then
echo "## (a) ${#isbi[@]} ISBI 2012 labels, 512x512, one thread"
ours=$("$lib" --reps 5 "${isbi[@]}" | tee "$work/lib-isbi.jsonl" | tail -1)
peer=$("$peers/bin/python" Benchmarks/peer_weights.py "$bench" "${isbi[@]}" | tee "$work/peer-isbi.jsonl" | tail -1)
ours_s=$(echo "$ours" | field median_s)
peer_s=$(echo "$peer" | field median_s)
echo "unetkit library: median $(seconds "$ours_s") s per label ($(echo "$ours" | field median_ns_per_pixel) ns/pixel)"
echo "scipy recipe:    median $(seconds "$peer_s") s per label"
python3 -c "import sys; a, b = map(float, sys.argv[1:]); print(f'ratio: unetkit is {b / a:.0f}x faster (time ratio {a / b:.5f}; target <= 0.01)')" "$ours_s" "$peer_s"
echo "unet weights, 25 files, --jobs 1: $(wall "$unet" weights "${isbi[@]}" --out "$work/cli1" --jobs 1) s wall"
echo "unet weights, 25 files, all cores: $(wall "$unet" weights "${isbi[@]}" --out "$work/clin") s wall"

echo "## dsb2018 mask2d.tif, 512x512, 125 touching nuclei, one thread"
ours=$("$lib" --reps 5 "$datasets/dsb2018-sample/mask2d.tif" | tail -1)
peer=$("$peers/bin/python" Benchmarks/peer_weights.py "$bench" "$datasets/dsb2018-sample/mask2d.tif" | tail -1)
python3 -c "import sys; a, b = map(float, sys.argv[1:]); print(f'unetkit {a:.4f} s, scipy {b:.3f} s, ratio {a / b:.5f}')" \
  "$(echo "$ours" | field median_s)" "$(echo "$peer" | field median_s)"

echo "## (b) 4096x4096 synthetic label with touching cells, one thread"
"$unet" synth --out "$work/big" --size 4096x4096 --cells 6000 --seed 1 >/dev/null
big="$work/big/labels/cells_000.png"
"$unet" info "$big"
/usr/bin/time -f '%M' -o "$work/lib-big.rss" "$lib" --reps 3 "$big" | tail -2 | head -1 > "$work/lib-big.json"
echo "unetkit library: $(seconds "$(field s < "$work/lib-big.json")") s ($(field ns_per_pixel < "$work/lib-big.json") ns/pixel), peak RSS $(( $(cat "$work/lib-big.rss") / 1024 )) MiB (process, incl. the decoded 16-bit PNG)"
t=$( { /usr/bin/time -f '%e %M' "$unet" weights "$big" --out "$work/bigw" --jobs 1 >/dev/null; } 2>&1 | tail -1)
echo "unet weights --jobs 1: $(echo "$t" | cut -d' ' -f1) s wall, peak RSS $(( $(echo "$t" | cut -d' ' -f2) / 1024 )) MiB"
inst=$(field instances < "$work/lib-big.json")
python3 -c "import sys; n = int(sys.argv[1]); print(f'scipy recipe: not run; its distance stack alone needs 4096*4096*{n}*8 bytes = {4096*4096*n*8/2**30:.0f} GiB')" "$inst"

fi
if [ "$part" != 2d ]; then
echo "## (c) 3-D: a 64x256x256 volume (unet synth --size 256x256x64) of touching nuclei, one thread"
"$unet" synth --out "$work/vol" --size 256x256x64 --seed 1 >/dev/null
vol="$work/vol/labels/cells_000.tif"
"$unet" info "$vol" | cut -d';' -f1,2
/usr/bin/time -f '%M' -o "$work/lib-vol.rss" "$lib" --reps 5 --volume "$vol" > "$work/lib-vol.jsonl"
head -1 "$work/lib-vol.jsonl" > "$work/lib-vol.json"
ours_s=$(field s < "$work/lib-vol.json")
echo "unetkit library: median $(seconds "$ours_s") s ($(field ns_per_pixel < "$work/lib-vol.json") ns/voxel), peak RSS $(( $(cat "$work/lib-vol.rss") / 1024 )) MiB (process, incl. the decoded labels)"
t=$( { /usr/bin/time -f '%e %M' "$unet" weights --volume "$vol" --out "$work/volw" --jobs 1 >/dev/null; } 2>&1 | tail -1)
echo "unet weights --volume --jobs 1: $(echo "$t" | cut -d' ' -f1) s wall (read, compute, write TIFF stacks), peak RSS $(( $(echo "$t" | cut -d' ' -f2) / 1024 )) MiB"
t=$( { /usr/bin/time -f '%M' "$peers/bin/python" Benchmarks/peer_weights.py "$bench" --volume "$vol" | tail -1 > "$work/peer-vol.json"; } 2>&1 | tail -1)
peer_s=$(field median_s < "$work/peer-vol.json")
echo "scipy recipe (one 3-D transform per instance, 1 run): $(seconds "$peer_s") s, peak RSS $(( t / 1024 )) MiB"
python3 -c "import sys; a, b = map(float, sys.argv[1:]); print(f'ratio: unetkit is {b / a:.0f}x faster (time ratio {a / b:.5f}; target <= 0.01)')" "$ours_s" "$peer_s"
fi
