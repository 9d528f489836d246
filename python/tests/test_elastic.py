"""`unetkit.elastic`: one draw for several arrays, per-array interpolation."""

from __future__ import annotations

import numpy as np
import pytest

import unetkit
from conftest import random_instances


def smooth_image(shape, seed=0):
    rng = np.random.default_rng(seed)
    grids = np.meshgrid(*[np.linspace(0, 3, s) for s in shape], indexing="ij")
    return (sum(np.sin(g * (i + 1)) for i, g in enumerate(grids)) + 0.01 * rng.random(shape)).astype(np.float32)


@pytest.mark.parametrize("shape", [(37, 41), (9, 21, 17)])
def test_no_displacement_is_the_identity(shape):
    image = smooth_image(shape)
    labels = random_instances(shape, 5, 1)
    for order in (3, 1, 0):
        out, out_labels = unetkit.elastic(image, labels, order=[order, 0], sigma=0, seed=3)
        np.testing.assert_array_equal(out, image)
        np.testing.assert_array_equal(out_labels, labels)


@pytest.mark.parametrize("shape", [(64, 48), (12, 32, 24)])
def test_one_draw_for_every_array(shape):
    labels = random_instances(shape, 8, 2)
    image = smooth_image(shape)
    out_image, out_labels, out_float_labels = unetkit.elastic(
        image, labels, labels.astype(np.float32), order=[3, 0, 0], sigma=6, rotate=30, flip=True, seed=7)
    assert out_labels.dtype == np.uint32 and out_image.dtype == np.float32
    np.testing.assert_array_equal(out_float_labels, out_labels.astype(np.float32))
    assert set(np.unique(out_labels)) <= set(np.unique(labels))
    assert not np.array_equal(out_labels, labels)
    # The same seed, the same draw, whichever arrays come along.
    (again,) = unetkit.elastic(labels, sigma=6, rotate=30, flip=True, seed=7)
    np.testing.assert_array_equal(again, out_labels)
    (other,) = unetkit.elastic(labels, sigma=6, rotate=30, flip=True, seed=8)
    assert not np.array_equal(other, out_labels)


def test_generator_seeds_are_reproducible():
    image = smooth_image((40, 40))
    a = unetkit.elastic(image, seed=np.random.default_rng(5))[0]
    b = unetkit.elastic(image, seed=np.random.default_rng(5))[0]
    c = unetkit.elastic(image, seed=np.random.default_rng(6))[0]
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    assert unetkit.elastic(image)[0].shape == image.shape


def test_flips_alone_are_exact_mirrors():
    image = smooth_image((20, 30))
    seen = set()
    for seed in range(16):
        (out,) = unetkit.elastic(image, sigma=0, flip=True, seed=seed)
        matches = [k for k, f in enumerate([image, image[:, ::-1], image[::-1, :], image[::-1, ::-1]])
                   if np.array_equal(out, f)]
        assert len(matches) == 1
        seen.add(matches[0])
    assert seen == {0, 1, 2, 3}


def test_dtypes_kept_and_views_give_the_same_result():
    image = smooth_image((30, 26))
    labels = random_instances((30, 26), 6, 4)
    expected_image, expected_labels = unetkit.elastic(image, labels, seed=11)
    out64, out16 = unetkit.elastic(image.astype(np.float64), labels.astype(np.uint16), seed=11)
    assert out64.dtype == np.float64 and out16.dtype == np.uint16
    np.testing.assert_array_equal(out64, expected_image.astype(np.float64))
    np.testing.assert_array_equal(out16, expected_labels)
    outb, = unetkit.elastic(labels > 0, seed=11)
    assert outb.dtype == np.bool_
    np.testing.assert_array_equal(outb, expected_labels > 0)
    wide = np.zeros((30, 52), np.float32)
    wide[:, 1::2] = image
    view_image, view_labels = unetkit.elastic(wide[:, 1::2], np.asfortranarray(labels), seed=11)
    np.testing.assert_array_equal(view_image, expected_image)
    np.testing.assert_array_equal(view_labels, expected_labels)


def test_borders():
    image = np.ones((16, 16), np.float32)
    (constant,) = unetkit.elastic(image, sigma=0, shift=8, border="constant", order=1, seed=1)
    (nearest,) = unetkit.elastic(image, sigma=0, shift=8, border="nearest", order=1, seed=1)
    assert constant.min() == 0
    np.testing.assert_array_equal(nearest, image)


@pytest.mark.parametrize(
    "call, error, text",
    [
        (lambda: unetkit.elastic(), ValueError, "at least one"),
        (lambda: unetkit.elastic(np.zeros((4, 4), np.float32), np.zeros((4, 5), np.uint32)), ValueError, "shape"),
        (lambda: unetkit.elastic(np.zeros((4, 4), np.uint32), order=1), TypeError, "order must be 0"),
        (lambda: unetkit.elastic(np.zeros((4, 4), np.complex64)), TypeError, "complex64"),
        (lambda: unetkit.elastic(np.zeros((2, 2, 2, 2), np.float32)), ValueError, "4-D"),
        (lambda: unetkit.elastic(np.zeros((0, 4), np.float32)), ValueError, "empty"),
        (lambda: unetkit.elastic(np.zeros((4, 4), np.float32), sigma=-1), ValueError, "sigma -1.0"),
        (lambda: unetkit.elastic(np.zeros((4, 4), np.float32), sigma=float("nan")), ValueError, "sigma nan"),
        (lambda: unetkit.elastic(np.zeros((4, 4), np.float32), grid=1), ValueError, "grid 1"),
        # 1024^3 control points would need tens of GiB: refused before any allocation.
        (lambda: unetkit.elastic(np.zeros((2, 4, 4), np.float32), grid=1024), ValueError, "control points"),
        (lambda: unetkit.elastic(np.zeros((4, 4), np.float32), rotate=270), ValueError, "rotate"),
        (lambda: unetkit.elastic(np.zeros((4, 4), np.float32), scale=(1.2, 0.8)), ValueError, "scale"),
        (lambda: unetkit.elastic(np.zeros((4, 4), np.float32), border="wrap"), ValueError, "border"),
        (lambda: unetkit.elastic(np.zeros((4, 4), np.float32), order=2), ValueError, "order 2"),
        (lambda: unetkit.elastic(np.zeros((4, 4), np.float32), order=[3, 0]), ValueError, "2 values"),
        (lambda: unetkit.elastic(np.zeros((4, 4), np.float32), seed=-1), ValueError, "seed"),
        (lambda: unetkit.elastic(np.zeros((4, 4), np.float32), seed=1.5), TypeError, "seed"),
        (lambda: unetkit.elastic([[0.0]]), TypeError, "numpy.ndarray"),
    ],
)
def test_bad_inputs_raise_one_line_errors(call, error, text):
    with pytest.raises(error) as info:
        call()
    assert text in str(info.value)
    assert "\n" not in str(info.value)


def test_nan_values_pass_through_without_harm():
    image = smooth_image((24, 24))
    image[5, 5] = np.nan
    out, = unetkit.elastic(image, sigma=4, seed=2)
    assert out.shape == image.shape
    assert np.isfinite(out).sum() > 0
