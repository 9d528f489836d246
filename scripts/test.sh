#!/usr/bin/env bash
# Sets up and runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# Python with webdataset, numpy and safetensors, for the tests that read the
# shards and checkpoints as PyTorch users do.
if ! .venv-test/bin/python -c 'import webdataset, numpy, PIL, safetensors' 2>/dev/null; then
  python3 -m venv .venv-test
  .venv-test/bin/pip install -q --disable-pip-version-check numpy pillow webdataset safetensors
fi
swift build --build-tests
swift test --skip-build "$@"
