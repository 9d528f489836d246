#!/usr/bin/env bash
# Builds the libFuzzer harnesses in Fuzz/ and runs each for SECONDS
# (default 600) over a scratch copy of its seed corpus in Fuzz/Corpus/.
#
#   scripts/fuzz.sh [SECONDS] [HARNESS...]     e.g. scripts/fuzz.sh 30
#
# Harnesses: FuzzPNG FuzzTIFF FuzzNPY FuzzTar FuzzManifest (default: all, one
# after another). Exits non-zero on any crash, leak, timeout or out-of-memory,
# printing the reproducer's path; the scratch folder (corpus growth, logs,
# reproducers) is kept then, and removed after a clean run.
# Environment: FUZZ_WORK=DIR to choose the scratch folder (kept),
# FUZZ_SKIP_BUILD=1 to reuse the last build, FUZZ_BUILD=DIR for the build folder.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-600}
shift || true
harnesses=("$@")
[ ${#harnesses[@]} -gt 0 ] || harnesses=(FuzzPNG FuzzTIFF FuzzNPY FuzzTar FuzzManifest)

# SwiftPM passes -sanitize=fuzzer to the Swift compiles but no coverage
# options, so without -sanitize-coverage the Swift code (the NPY, tar and
# manifest readers) would run uninstrumented and libFuzzer would see only the C.
build=(swift build --package-path Fuzz --scratch-path "${FUZZ_BUILD:-Fuzz/.build}" -c debug
  --sanitize=fuzzer --sanitize=address
  -Xswiftc -sanitize-coverage=edge,inline-8bit-counters,pc-table,trace-cmp)
if [ "${FUZZ_SKIP_BUILD:-0}" != 1 ]; then
  "${build[@]}"
fi
bin=$("${build[@]}" --show-bin-path)

if [ -n "${FUZZ_WORK:-}" ]; then
  work=$FUZZ_WORK keep=1
  mkdir -p "$work"
else
  work=$(mktemp -d "${TMPDIR:-/tmp}/unetkit-fuzz.XXXXXX") keep=0
fi

failed=()
for harness in "${harnesses[@]}"; do
  [ -d "Fuzz/Corpus/$harness" ] || { echo "fuzz.sh: no harness $harness" >&2; exit 2; }
  corpus="$work/$harness/corpus"
  artifacts="$work/$harness/artifacts"
  log="$work/$harness/fuzz.log"
  mkdir -p "$corpus" "$artifacts"
  cp -R "Fuzz/Corpus/$harness/." "$corpus/"
  echo "== $harness: $seconds s over $(ls "$corpus" | wc -l) inputs, log $log"
  status=0
  # Swift's backtracer would catch a trap first and, reading memory that
  # AddressSanitizer guards, hide the trap's message behind a report of its
  # own; off, the log names the failed check.
  SWIFT_BACKTRACE=enable=no TMPDIR="$work/$harness" "$bin/$harness" "$corpus" \
    -max_total_time="$seconds" -rss_limit_mb=2048 -malloc_limit_mb=2048 -timeout=25 \
    -print_final_stats=1 -artifact_prefix="$artifacts/" >"$log" 2>&1 || status=$?
  grep -E '^(#[0-9]+ +DONE|stat::number_of_executed_units|stat::average_exec_per_sec|stat::peak_rss_mb)' "$log" \
    | sed "s/^/   /" || true
  tail -n 40 "$log" | grep -E '^#[0-9]+' | tail -n 1 | sed "s/^/   last: /" || true
  if [ "$status" -ne 0 ]; then
    echo "!! $harness failed (exit $status):"
    grep -E 'ERROR: (libFuzzer|AddressSanitizer|LeakSanitizer)|SUMMARY|Fatal error|deadly signal' "$log" | head -n 5 | sed "s/^/   /" || true
    for repro in "$artifacts"/*; do
      [ -e "$repro" ] && echo "   reproducer: $repro (run: $bin/$harness $repro)"
    done
    failed+=("$harness")
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz.sh: findings in ${failed[*]}; everything is in $work" >&2
  exit 1
fi
[ "$keep" = 1 ] || rm -rf "$work"
echo "fuzz.sh: no findings in ${harnesses[*]} (${seconds} s each)"
