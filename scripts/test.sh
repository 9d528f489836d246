#!/usr/bin/env bash
# Sets up and runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# Python with numpy, Pillow, webdataset, safetensors, scipy and torch, for
# the tests that read the shards and checkpoints as PyTorch users do, run
# examples/pytorch, and compare the 3-D weight maps with scipy's
# per-instance distance-transform recipe; onnx and onnxruntime check and
# run the models of `unet export --format onnx`. A venv without one of
# them is completed.
venv=.venv-test
if ! "$venv/bin/python" -c 'import torch, webdataset, numpy, PIL, safetensors, scipy, onnx, onnxruntime' 2>/dev/null; then
  python3 -m venv "$venv"
  pip=("$venv/bin/pip" install -q --disable-pip-version-check)
  "${pip[@]}" numpy pillow webdataset safetensors scipy onnx onnxruntime
  # torch's CPU build (a tenth of the size of the default CUDA one): from
  # PyTorch's CPU index, else a CPU wheel in the local wheel folder that
  # PIP_FIND_LINKS names, else the default build from PyPI.
  local_wheel=$(ls "${PIP_FIND_LINKS:-/nonexistent}"/torch-*+cpu-*.whl 2>/dev/null | sort -V | tail -n 1 || true)
  "${pip[@]}" --retries 1 --timeout 30 --index-url https://download.pytorch.org/whl/cpu torch 2>/dev/null \
    || { [ -n "$local_wheel" ] && "${pip[@]}" "$local_wheel"; } \
    || "${pip[@]}" torch
fi
swift build --build-tests
swift test --skip-build "$@"
