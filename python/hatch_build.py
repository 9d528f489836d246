"""Builds UNetKit's C library with `swift build` and puts it in the wheel.

The library (`libunetkit.so`, the `unetkit` product of ../Package.swift)
links the Swift runtime statically and exports only the functions of
Sources/UNetKitC/include/unetkit.h, so the wheel needs only glibc and
libstdc++. The wheel's platform tag is the glibc that the library really
needs: the highest `GLIBC_x.y` symbol version it references.

Environment:
  UNETKIT_LIBRARY  a libunetkit.so built already (skips `swift build`)
  SWIFT            the swift executable (default: `swift` on PATH, else /opt/swift/usr/bin/swift)
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import subprocess
from pathlib import Path

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


def _swift() -> str:
    for candidate in (os.environ.get("SWIFT"), shutil.which("swift"), "/opt/swift/usr/bin/swift"):
        if candidate and Path(candidate).exists():
            return candidate
    raise RuntimeError("unetkit: no Swift toolchain found (set SWIFT to the swift executable)")


def _glibc_tag(library: Path) -> str:
    """manylinux_2_N_ARCH for the highest GLIBC_2.N symbol version in `library`."""
    symbols = subprocess.run(
        ["objdump", "-T", str(library)], check=True, capture_output=True, text=True
    ).stdout
    versions = [(int(a), int(b)) for a, b in re.findall(r"GLIBC_(\d+)\.(\d+)", symbols)]
    major, minor = max(versions, default=(2, 17))
    return f"manylinux_{major}_{minor}_{platform.machine()}"


class SwiftBuildHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict) -> None:
        if self.target_name != "wheel":
            return
        repo = Path(self.root).resolve().parent
        prebuilt = os.environ.get("UNETKIT_LIBRARY")
        if prebuilt:
            built = Path(prebuilt)
        else:
            if not (repo / "Package.swift").exists():
                raise RuntimeError(
                    f"unetkit: {repo} holds no Package.swift; build the wheel from a UNetKit clone"
                )
            scratch = repo / ".build" / "python"
            command = [
                _swift(), "build", "-c", "release", "--product", "unetkit",
                "--scratch-path", str(scratch), "-Xswiftc", "-static-stdlib",
                "-Xlinker", f"--version-script={repo / 'Sources/UNetKitC/include/unetkit.map'}",
            ]
            self.app.display_info("unetkit: " + " ".join(command))
            subprocess.run(command, cwd=repo, check=True)
            built = scratch / "release" / "libunetkit.so"
        staged_dir = Path(self.directory) / "unetkit-native"
        staged_dir.mkdir(parents=True, exist_ok=True)
        staged = staged_dir / "libunetkit.so"
        shutil.copyfile(built, staged)
        if shutil.which("strip"):
            subprocess.run(["strip", "--strip-unneeded", str(staged)], check=True)
        build_data["force_include"][str(staged)] = "unetkit/libunetkit.so"
        build_data["pure_python"] = False
        # ctypes, not the CPython ABI: one wheel for every Python 3.
        build_data["tag"] = f"py3-none-{_glibc_tag(staged)}"
