"""Shared fixtures: the `unet` executable and small random label arrays."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def unet_cli() -> str:
    """The built `unet` tool: $UNETKIT_CLI (then required), else .build/debug/unet."""
    named = os.environ.get("UNETKIT_CLI")
    if named:
        if not Path(named).is_file():
            pytest.fail(f"UNETKIT_CLI={named} does not exist")
        return named
    for candidate in (REPO / ".build" / "debug" / "unet", REPO / ".build" / "release" / "unet"):
        if candidate.is_file():
            return str(candidate)
    found = shutil.which("unet")
    if found:
        return found
    pytest.skip("no built `unet` (run `swift build` or set UNETKIT_CLI)")


def random_instances(shape: tuple[int, ...], count: int, seed: int) -> np.ndarray:
    """Labels with `count` blobs (boxes of random size) of distinct ids, touching at times."""
    rng = np.random.default_rng(seed)
    labels = np.zeros(shape, dtype=np.uint32)
    for i in range(1, count + 1):
        lo = [int(rng.integers(0, s)) for s in shape]
        size = [int(rng.integers(1, max(2, s // 3))) for s in shape]
        labels[tuple(slice(a, a + b) for a, b in zip(lo, size))] = i
    return labels
