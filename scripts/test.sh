#!/usr/bin/env bash
# Sets up and runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# Python with webdataset, numpy and safetensors, for the tests that read the
# shards and checkpoints as PyTorch users do, and scipy for the 3-D weight
# maps' comparison with the per-instance distance-transform recipe.
if ! .venv-test/bin/python -c 'import webdataset, numpy, PIL, safetensors, scipy' 2>/dev/null; then
  python3 -m venv .venv-test
  .venv-test/bin/pip install -q --disable-pip-version-check numpy pillow webdataset safetensors scipy
fi
swift build --build-tests
swift test --skip-build "$@"
