#!/usr/bin/env bash
# Sets up and runs the whole test suite (what CI runs first).
#
#   scripts/test.sh                 # every test
#   scripts/test.sh --quick         # without the tests marked .slow
#   scripts/test.sh [--quick] ARG…  # ARGs go to swift test (--filter X, --skip Y)
#
# `--quick` sets UNETKIT_QUICK=1, which skips the suites and tests marked
# `.slow` (Tests/_TestSupport/Slow.swift); CONTRIBUTING.md ("Checks") gives
# the time of both.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = --quick ]; then
  shift
  export UNETKIT_QUICK=1
fi
scripts/setup.sh
# Python with numpy, Pillow, webdataset, safetensors, scipy and torch, for
# the tests that read the shards and checkpoints as PyTorch users do, run
# examples/pytorch, and compare the 3-D weight maps with scipy's
# per-instance distance-transform recipe; onnx and onnxruntime check and
# run the models of `unet export --format onnx`; bioimageio.core runs
# `bioimageio test` on the packages of `unet export --format bioimageio`;
# pytest, hatchling and MONAI for the Python package in python/; StarDist
# (its stardist.matching needs numpy, scipy and numba, not TensorFlow)
# scores the average precision of `unet eval --volume` as a reference. A
# venv without one of them is completed.
venv=.venv-test
if ! "$venv/bin/python" -c 'import torch, webdataset, numpy, PIL, safetensors, scipy, onnx, onnxruntime, bioimageio.core, pytest, hatchling, monai, stardist' 2>/dev/null; then
  python3 -m venv "$venv"
  pip=("$venv/bin/pip" install -q --disable-pip-version-check)
  # pydantic is pinned below 2.12: with later versions (2.14 at least)
  # bioimageio.spec's validation fails with a serializer TypeError.
  "${pip[@]}" numpy pillow webdataset safetensors scipy onnx onnxruntime bioimageio.core "pydantic<2.12" pytest hatchling
  # torch's CPU build (a tenth of the size of the default CUDA one): from
  # PyTorch's CPU index, else a CPU wheel in the local wheel folder that
  # PIP_FIND_LINKS names, else the default build from PyPI.
  local_wheel=$(ls "${PIP_FIND_LINKS:-/nonexistent}"/torch-*+cpu-*.whl 2>/dev/null | sort -V | tail -n 1 || true)
  "${pip[@]}" --retries 1 --timeout 30 --index-url https://download.pytorch.org/whl/cpu torch 2>/dev/null \
    || { [ -n "$local_wheel" ] && "${pip[@]}" "$local_wheel"; } \
    || "${pip[@]}" torch
  # After torch, so that MONAI does not pull in the default build.
  "${pip[@]}" monai
  "${pip[@]}" stardist
fi
swift build --build-tests
swift test --skip-build "$@"

# The Python package: built by its own hook (swift build of libunetkit.so),
# installed into the venv, and tested against the `unet` just built.
"$venv/bin/pip" install -q --disable-pip-version-check --no-build-isolation --no-deps --force-reinstall ./python
status=0
UNETKIT_CLI=.build/debug/unet "$venv/bin/python" -m pytest -q -p no:cacheprovider python/tests || status=$?
if [ "$status" -eq 5 ]; then
  echo "test.sh: pytest collected no tests in python/tests" >&2
  exit 1
fi
exit "$status"
