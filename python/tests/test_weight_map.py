"""`unetkit.weight_map` and `unetkit.separate`: brute-force references and the CLI."""

from __future__ import annotations

import itertools
import subprocess
from pathlib import Path

import numpy as np
import pytest

import unetkit
from conftest import random_instances


def reference_weights(instances, w0, sigma, wc, spacing=(1.0, 1.0, 1.0)):
    """The paper's eq. 2 by brute force: every pixel against every instance pixel."""
    coords = np.indices(instances.shape).reshape(instances.ndim, -1).T.astype(np.float64)
    scale = np.array(spacing[-instances.ndim:], dtype=np.float64)
    flat = instances.reshape(-1)
    ids = [i for i in np.unique(flat) if i != 0]
    weights = np.where(flat != 0, wc[1], wc[0]).astype(np.float64)
    if len(ids) >= 2 and w0 > 0:
        nearest = np.stack([
            np.sqrt((((coords[:, None, :] - coords[flat == i][None, :, :]) * scale) ** 2).sum(-1)).min(1)
            for i in ids
        ], axis=1)
        nearest.sort(axis=1)
        border = w0 * np.exp(-((nearest[:, 0] + nearest[:, 1]) ** 2) / (2 * sigma**2))
        weights += np.where(flat == 0, border, 0)
    return weights.reshape(instances.shape)


def reference_separation(labels):
    """Clears every pixel with a neighbour (8 in 2-D, 26 in 3-D) in another instance."""
    out = labels.copy()
    padded = np.pad(labels, 1)
    for index in np.ndindex(labels.shape):
        value = labels[index]
        if value == 0:
            continue
        window = padded[tuple(slice(i, i + 3) for i in index)]
        if np.any((window != 0) & (window != value)):
            out[index] = 0
    return out


def balanced(instances):
    n = instances.size
    fg = int(np.count_nonzero(instances))
    counts = [n - fg, fg]
    present = [c for c in counts if c > 0]
    return tuple(n / (len(present) * c) if c > 0 else 0.0 for c in counts)


@pytest.mark.parametrize("seed", range(4))
def test_2d_matches_brute_force(seed):
    labels = random_instances((23, 31), 6, seed)
    weights, mask = unetkit.weight_map(labels, w0=10, sigma=5, class_weights=None, separate=False)
    expected = reference_weights(labels, 10, 5, (1.0, 1.0))
    np.testing.assert_allclose(weights, expected, atol=1e-4, rtol=1e-6)
    np.testing.assert_array_equal(mask, (labels != 0).astype(np.uint8))


@pytest.mark.parametrize("seed", range(3))
def test_separation_and_balanced_weights_match_brute_force(seed):
    labels = random_instances((20, 24), 7, seed)
    separated = reference_separation(labels)
    np.testing.assert_array_equal(unetkit.separate(labels), separated)
    weights, mask = unetkit.weight_map(labels, w0=7, sigma=3)
    expected = reference_weights(separated, 7, 3, balanced(separated))
    np.testing.assert_allclose(weights, expected, atol=1e-4, rtol=1e-6)
    np.testing.assert_array_equal(mask, (separated != 0).astype(np.uint8))


def test_3d_with_spacing_matches_brute_force():
    labels = random_instances((7, 12, 13), 5, 11)
    spacing = (2.0, 1.0, 0.75)
    weights, _ = unetkit.weight_map(labels, sigma=3, class_weights=(0.5, 2.0), separate=False, spacing=spacing)
    expected = reference_weights(labels, 10, 3, (0.5, 2.0), spacing)
    np.testing.assert_allclose(weights, expected, atol=1e-4, rtol=1e-6)
    np.testing.assert_array_equal(unetkit.separate(labels), reference_separation(labels))


def test_binary_mask_becomes_components():
    mask = np.zeros((9, 9), dtype=np.uint8)
    mask[1:3, 1:3] = 255
    mask[5:8, 5:8] = 255
    mask[3, 3] = 255  # touches the first box by a corner only
    four, _ = unetkit.weight_map(mask, separate=False, class_weights=None, connectivity=4)
    eight, _ = unetkit.weight_map(mask, separate=False, class_weights=None, connectivity=8)
    ids4 = mask.astype(np.uint32)
    ids4[1:3, 1:3], ids4[3, 3], ids4[5:8, 5:8] = 1, 2, 3
    np.testing.assert_allclose(four, reference_weights(ids4, 10, 5, (1, 1)), atol=1e-4)
    ids8 = ids4.copy()
    ids8[3, 3] = 1
    np.testing.assert_allclose(eight, reference_weights(ids8, 10, 5, (1, 1)), atol=1e-4)


def test_dtypes_and_views_give_the_same_result():
    labels = random_instances((40, 50), 9, 3)
    expected = unetkit.weight_map(labels)
    for dtype in (np.uint8, np.uint16, np.int32, np.int64, np.uint64):
        result = unetkit.weight_map(labels.astype(dtype))
        np.testing.assert_array_equal(result[0], expected[0])
    wide = np.zeros((40, 100), dtype=np.uint32)
    wide[:, ::2] = labels
    view = wide[:, ::2]
    assert not view.flags.c_contiguous
    np.testing.assert_array_equal(unetkit.weight_map(view)[0], expected[0])
    np.testing.assert_array_equal(unetkit.weight_map(np.asfortranarray(labels))[0], expected[0])
    assert unetkit.weight_map(labels)[0].dtype == np.float32


def test_every_option_of_the_cli_against_unet_weights(unet_cli, tmp_path: Path):
    labels = random_instances((64, 80), 14, 5)
    np.save(tmp_path / "a.npy", labels)
    cases = [
        ({}, []),
        ({"w0": 4, "sigma": 2.5}, ["--w0", "4", "--weight-sigma", "2.5"]),
        ({"class_weights": None}, ["--class-weights", "none"]),
        ({"class_weights": (0.25, 3)}, ["--class-weights", "0.25,3"]),
        ({"separate": False}, ["--no-separation"]),
    ]
    for i, (kwargs, flags) in enumerate(cases):
        out = tmp_path / f"out{i}"
        subprocess.run([unet_cli, "weights", str(tmp_path / "a.npy"), "--out", str(out), "--format", "npy", *flags],
                       check=True, capture_output=True)
        weights, mask = unetkit.weight_map(labels, **kwargs)
        np.testing.assert_allclose(weights, np.load(out / "a.weight.npy"), atol=1e-6, rtol=0)
        from PIL import Image
        np.testing.assert_array_equal(mask, np.asarray(Image.open(out / "a.mask.png")))


def test_binary_mask_connectivity_against_unet_weights(unet_cli, tmp_path: Path):
    rng = np.random.default_rng(4)
    mask = (rng.random((48, 48)) < 0.45).astype(np.uint8)
    np.save(tmp_path / "m.npy", mask)
    for connectivity in (4, 8):
        out = tmp_path / f"c{connectivity}"
        subprocess.run([unet_cli, "weights", str(tmp_path / "m.npy"), "--out", str(out), "--format", "npy",
                        "--connectivity", str(connectivity)], check=True, capture_output=True)
        weights, _ = unetkit.weight_map(mask, connectivity=connectivity)
        np.testing.assert_allclose(weights, np.load(out / "m.weight.npy"), atol=1e-6, rtol=0)


def test_volume_with_spacing_against_unet_weights(unet_cli, tmp_path: Path):
    labels = random_instances((12, 40, 36), 10, 9)
    np.save(tmp_path / "v.npy", labels)
    out = tmp_path / "vol"
    subprocess.run([unet_cli, "weights", str(tmp_path / "v.npy"), "--out", str(out), "--format", "npy", "--volume",
                    "--spacing", "2,1,1.5", "--weight-sigma", "4", "--connectivity", "8"],
                   check=True, capture_output=True)
    weights, mask = unetkit.weight_map(labels, sigma=4, spacing=(2, 1, 1.5), connectivity=8)
    np.testing.assert_allclose(weights, np.load(out / "v.weight.npy"), atol=1e-6, rtol=0)
    np.testing.assert_array_equal(mask, np.load(out / "v.mask.npy"))


@pytest.mark.parametrize(
    "call, error, text",
    [
        (lambda: unetkit.weight_map(np.zeros((4, 4), np.float32)), TypeError, "dtype float32"),
        (lambda: unetkit.weight_map([[0, 1], [1, 0]]), TypeError, "numpy.ndarray"),
        (lambda: unetkit.weight_map(np.zeros((2, 2, 2, 2), np.uint32)), ValueError, "4-D"),
        (lambda: unetkit.weight_map(np.zeros((5,), np.uint32)), ValueError, "1-D"),
        (lambda: unetkit.weight_map(np.zeros((0, 4), np.uint32)), ValueError, "empty"),
        (lambda: unetkit.weight_map(np.zeros((4, 4), np.uint32), sigma=-1), ValueError, "sigma -1.0"),
        (lambda: unetkit.weight_map(np.zeros((4, 4), np.uint32), sigma=float("nan")), ValueError, "sigma nan"),
        (lambda: unetkit.weight_map(np.zeros((4, 4), np.uint32), w0=float("inf")), ValueError, "w0 inf"),
        (lambda: unetkit.weight_map(np.zeros((4, 4), np.uint32), class_weights=(1, -2)), ValueError, "foreground"),
        (lambda: unetkit.weight_map(np.zeros((4, 4), np.uint32), class_weights="auto"), ValueError, "class_weights"),
        (lambda: unetkit.weight_map(np.zeros((4, 4), np.uint32), connectivity=6), ValueError, "connectivity 6"),
        (lambda: unetkit.weight_map(np.zeros((4, 4), np.uint32), spacing=(1, 1, 1)), ValueError, "spacing"),
        (lambda: unetkit.weight_map(np.zeros((2, 4, 4), np.uint32), spacing=(0, 1, 1)), ValueError, "spacing"),
        (lambda: unetkit.weight_map(np.full((4, 4), -1, np.int32)), ValueError, "ids"),
        (lambda: unetkit.weight_map(np.zeros((4, 4), np.uint32), sigma="5"), TypeError, "sigma"),
        (lambda: unetkit.separate(np.zeros((3, 0, 4), np.uint32)), ValueError, "empty"),
    ],
)
def test_bad_inputs_raise_one_line_errors(call, error, text):
    with pytest.raises(error) as info:
        call()
    message = str(info.value)
    assert text in message
    assert "\n" not in message


def test_over_the_size_limit_is_refused_without_allocating():
    # A broadcast view claims 2^31 elements but holds one.
    huge = np.broadcast_to(np.zeros(1, np.uint32), (2**16, 2**15))
    with pytest.raises(ValueError, match="limit"):
        unetkit.weight_map(huge)


@pytest.mark.parametrize("shape", [(9, 12), (4, 9, 12)])
def test_extreme_settings_give_results(shape):
    labels = np.zeros(shape, np.uint32)
    labels[..., 1:3, 1:4] = 1
    labels[..., 6:8, 7:11] = 2
    weights, _ = unetkit.weight_map(labels, sigma=1e300, class_weights=None, separate=False)
    np.testing.assert_array_equal(weights, np.where(labels == 0, 11, 1).astype(np.float32))
    tiny, _ = unetkit.weight_map(labels, sigma=1e-300, class_weights=None)
    np.testing.assert_array_equal(tiny, np.ones(shape, np.float32))
    if len(shape) == 3:
        for spacing in [(1e-300, 1, 1), (1e300, 1, 1e-300)]:
            assert np.isfinite(unetkit.weight_map(labels, spacing=spacing)[0]).all()
