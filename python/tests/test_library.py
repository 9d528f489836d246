"""The bundled library needs no Swift runtime, toolchain or I/O libraries."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

import unetkit
from unetkit import _native


def library() -> Path:
    return _native._library_path()


def test_links_no_swift_runtime_and_no_toolchain_path():
    if not shutil.which("readelf"):
        pytest.skip("no readelf")
    dynamic = subprocess.run(["readelf", "-d", str(library())], check=True, capture_output=True, text=True).stdout
    needed = [line.split("[")[1].rstrip("]") for line in dynamic.splitlines() if "(NEEDED)" in line]
    assert needed, dynamic
    for name in needed:
        assert not name.startswith("libswift"), needed
        assert not name.startswith("libFoundation"), needed
        assert name.split(".so")[0] not in ("libpng16", "libpng", "libtiff", "libcrypto", "libdnnl"), needed
    paths = [line for line in dynamic.splitlines() if "RPATH" in line or "RUNPATH" in line]
    for line in paths:
        assert "swift" not in line and "/opt" not in line and "/usr" not in line, line


def test_ldd_resolves_every_library_outside_the_toolchain():
    if not shutil.which("ldd"):
        pytest.skip("no ldd")
    listing = subprocess.run(["ldd", str(library())], check=True, capture_output=True, text=True).stdout
    assert "not found" not in listing
    assert "swift" not in listing.lower()


def test_exports_the_c_interface():
    assert _native.lib.unetkit_abi_version() == 1
    assert unetkit.__all__


def test_imports_with_no_toolchain_in_the_environment():
    # A bare environment (no PATH to swift, no LD_LIBRARY_PATH): the process
    # maps no file of the toolchain.
    script = (
        "import unetkit, numpy as np, os\n"
        "w, m = unetkit.weight_map(np.eye(8, dtype=np.uint32))\n"
        "maps = open('/proc/self/maps').read()\n"
        "print('\\n'.join(sorted({l.split()[-1] for l in maps.splitlines() if '/' in l.split()[-1]})))\n"
    )
    import sys
    result = subprocess.run([sys.executable, "-c", script], env={"PATH": "/usr/bin:/bin"},
                            check=True, capture_output=True, text=True)
    mapped = result.stdout.split()
    assert any(path.endswith("libunetkit.so") for path in mapped), mapped
    assert not [path for path in mapped if "swift" in path.lower()], mapped


def test_the_wheel_tag_names_the_glibc_the_library_needs():
    # The installed distribution's WHEEL file against the highest GLIBC_2.N
    # symbol version the library references (what `auditwheel show` reports).
    import re
    from importlib import metadata

    if not shutil.which("objdump"):
        pytest.skip("no objdump")
    try:
        wheel = metadata.distribution("unetkit").read_text("WHEEL")
    except metadata.PackageNotFoundError:
        pytest.skip("unetkit is not installed as a distribution")
    if wheel is None:
        pytest.skip("no WHEEL record")
    tags = [line.split(":", 1)[1].strip() for line in wheel.splitlines() if line.startswith("Tag:")]
    symbols = subprocess.run(["objdump", "-T", str(library())], check=True, capture_output=True, text=True).stdout
    needed = max((int(a), int(b)) for a, b in re.findall(r"GLIBC_(\d+)\.(\d+)", symbols))
    import platform

    assert tags == [f"py3-none-manylinux_{needed[0]}_{needed[1]}_{platform.machine()}"], (tags, needed)
