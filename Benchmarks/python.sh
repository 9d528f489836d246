#!/usr/bin/env bash
# The Python package's benchmark: unetkit.weight_map and unetkit.elastic
# against scipy's per-instance recipe, elasticdeform, MONAI and
# albumentations, in one Python process (Benchmarks/python_bench.py), on the
# ISBI 2012 labels and images and on `unet synth --size 256x256x64 --seed 1`
# (the volume of Benchmarks/weights.sh 3d); then two threads against one.
#
#   Benchmarks/python.sh [--no-3d-peer]   # from the package root
#   Benchmarks/python.sh --threads-only   # two threads against one alone
#
# Environment: UNETKIT_DATASETS (default ../shared/datasets), UNETKIT_BENCH
# (default ../shared/bench), PEERS (a Python venv; default
# Benchmarks/.venv-python, created with the peers when missing; torch's CPU
# wheel from PIP_FIND_LINKS when there is one), WORK (scratch folder).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
datasets=${UNETKIT_DATASETS:-$root/../shared/datasets}
bench=${UNETKIT_BENCH:-$root/../shared/bench}
peers=${PEERS:-$root/Benchmarks/.venv-python}
work=${WORK:-$(mktemp -d)}
mkdir -p "$work"
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1

if [ ! -x "$peers/bin/python" ]; then
  python3 -m venv "$peers"
  pip=("$peers/bin/pip" install -q --disable-pip-version-check)
  "${pip[@]}" numpy scipy pillow setuptools wheel hatchling
  local_wheel=$(ls "${PIP_FIND_LINKS:-/nonexistent}"/torch-*+cpu-*.whl 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$local_wheel" ]; then "${pip[@]}" "$local_wheel"; else "${pip[@]}" torch; fi
  "${pip[@]}" monai albumentations opencv-python-headless
  # elasticdeform's wheel is built for NumPy 1.x: build it against NumPy 2.
  "${pip[@]}" --no-binary elasticdeform --no-build-isolation elasticdeform
fi
"$peers/bin/pip" install -q --disable-pip-version-check --no-build-isolation --no-deps --force-reinstall ./python

source Benchmarks/common.sh
"$unet" synth --out "$work/vol" --size 256x256x64 --seed 1 >/dev/null
machine
"$peers/bin/python" Benchmarks/python_bench.py "$bench" "$datasets/isbi2012/label" "$datasets/isbi2012/image" \
  "$work/vol/labels/cells_000.tif" "$@"
