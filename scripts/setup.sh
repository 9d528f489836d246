#!/usr/bin/env bash
# Installs the system libraries UNetKit builds against, if any is missing.
# As root it runs apt-get; otherwise it names the packages to install.
set -euo pipefail

packages=()
command -v pkg-config >/dev/null 2>&1 || packages+=(pkg-config)
pkg-config --exists libpng 2>/dev/null || packages+=(libpng-dev)
pkg-config --exists libtiff-4 2>/dev/null || packages+=(libtiff-dev)
# OpenSSL's libcrypto: the SHA-256 of shards and manifests.
pkg-config --exists libcrypto 2>/dev/null || packages+=(libssl-dev)
# oneDNN (the trainer's convolutions); Debian ships no pkg-config file for it.
[ -e /usr/include/oneapi/dnnl/dnnl.h ] || packages+=(libdnnl-dev)
# The tests read the shards with Python's webdataset package, from a venv.
command -v python3 >/dev/null 2>&1 || packages+=(python3)
python3 -c 'import venv, ensurepip' 2>/dev/null || packages+=(python3-venv)

if [ ${#packages[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "setup: installing ${packages[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${packages[@]}" >/dev/null
else
  echo "setup: missing system packages: ${packages[*]}" >&2
  echo "setup: install them with: sudo apt-get install ${packages[*]}" >&2
  exit 1
fi
