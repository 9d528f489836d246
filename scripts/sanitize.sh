#!/usr/bin/env bash
# Runs the test suite under a sanitizer, in its own build folder
# (.build-thread or .build-address), with the `unet` the CLI tests start
# built with the same sanitizer.
#
#   scripts/sanitize.sh thread      # ThreadSanitizer (CI runs this one)
#   scripts/sanitize.sh address     # AddressSanitizer
#
# The SIGKILL crash tests are left out: they measure timings that the
# sanitizers stretch, and the plain suite runs them.
set -euo pipefail
cd "$(dirname "$0")/.."
sanitizer=${1:?usage: scripts/sanitize.sh thread|address}
case "$sanitizer" in thread | address) ;; *) echo "sanitize.sh: thread or address, not $sanitizer" >&2; exit 2 ;; esac
scripts/setup.sh
scratch=.build-$sanitizer
swift build --build-tests --sanitize="$sanitizer" --scratch-path "$scratch"
swift test --skip-build --sanitize="$sanitizer" --scratch-path "$scratch" --skip CrashResumeTests
