# Sourced by the benchmark scripts, from the package root: installs the
# system libraries if missing, builds the release `unet` quietly (in
# $unet; UNETKIT_UNET names a built one to use instead), and defines
# `build` (any other build, quietly) and `machine` (the line that names the
# machine, CPU and date in every benchmark's output).
scripts/setup.sh
# Runs a build quietly; on failure shows what it said and exits.
build() { local log; log=$("$@" 2>&1) || { echo "$log" >&2; exit 1; }; }
# UNETKIT_UNET: an already built unet to measure instead (no build).
if [ -n "${UNETKIT_UNET:-}" ]; then
  unet=$UNETKIT_UNET
else
  build swift build -c release --product unet
  unet=$(swift build -c release --show-bin-path)/unet
fi
machine() {
  echo "# machine: $(uname -m), $(nproc --all) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); $(date -u +%Y-%m-%d)"
}
