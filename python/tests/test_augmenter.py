"""`unetkit.Augmenter`: the samples of `unet augment`, array for array."""

from __future__ import annotations

import io
import subprocess
import tarfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import unetkit
from conftest import random_instances


def read_shards(folder: Path) -> dict[int, dict[str, np.ndarray]]:
    """Every sample of the shards in `folder`, its entries decoded."""
    samples: dict[int, dict[str, np.ndarray]] = {}
    for shard in sorted(folder.glob("*.tar")):
        with tarfile.open(shard) as tar:
            for member in tar.getmembers():
                key, _, entry = member.name.partition(".")
                data = tar.extractfile(member).read()
                if entry.endswith(".npy"):
                    value = np.load(io.BytesIO(data))
                elif entry.endswith(".png"):
                    value = np.asarray(Image.open(io.BytesIO(data)))
                else:
                    continue
                samples.setdefault(int(key), {})[entry.rsplit(".", 1)[0]] = value
    return samples


def sources_2d(folder: Path):
    rng = np.random.default_rng(0)
    images = [
        rng.random((48, 56), dtype=np.float32),
        (rng.random((40, 40)) * 255).astype(np.uint8),
        (rng.random((52, 44)) * 4000).astype(np.uint16),
    ]
    labels = [
        random_instances((48, 56), 9, 1),
        (random_instances((40, 40), 6, 2) > 0).astype(np.uint8) * 255,  # a binary mask
        random_instances((52, 44), 7, 3),
    ]
    (folder / "images").mkdir(exist_ok=True)
    (folder / "labels").mkdir(exist_ok=True)
    for name, image, label in zip("abc", images, labels):
        np.save(folder / "images" / f"{name}.npy", image)
        np.save(folder / "labels" / f"{name}.npy", label)
    # An RGB source: three channels, image.npy (3, H, W).
    rgb = (rng.random((36, 42, 3)) * 255).astype(np.uint8)
    Image.fromarray(rgb).save(folder / "images" / "d.png")
    np.save(folder / "labels" / "d.npy", random_instances((36, 42), 5, 4))
    return images + [rgb], labels + [np.load(folder / "labels" / "d.npy")]


CASES_2D = [
    ({}, []),
    (
        dict(weights="warp", scale=(0.9, 1.1), shift=5, intensity=False, normalize="range",
             interpolation="linear", class_weights_scope="image", border="constant", grid=4, elastic_sigma=6),
        ["--weights", "warp", "--scale", "0.9,1.1", "--shift", "5", "--no-intensity", "--normalize", "range",
         "--interpolation", "linear", "--class-weights-scope", "image", "--border", "constant", "--grid", "4",
         "--elastic-sigma", "6"],
    ),
    (
        dict(flip=False, rotate=45, w0=5, weight_sigma=3, class_weights=(0.5, 2), separate=False, connectivity=8,
             brightness=(-0.1, 0.1), noise=(0.0, 0.05), normalize="none"),
        ["--no-flip", "--rotate", "45", "--w0", "5", "--weight-sigma", "3", "--class-weights", "0.5,2",
         "--no-separation", "--connectivity", "8", "--brightness=-0.1,0.1", "--noise", "0,0.05", "--normalize", "none"],
    ),
]


@pytest.mark.parametrize("case", range(len(CASES_2D)))
def test_samples_equal_unet_augment(unet_cli, tmp_path: Path, case):
    options, flags = CASES_2D[case]
    images, labels = sources_2d(tmp_path)
    out = tmp_path / "out"
    subprocess.run(
        [unet_cli, "augment", "--images", str(tmp_path / "images"), "--labels", str(tmp_path / "labels"),
         "--out", str(out), "--samples", "16", "--per-shard", "4", "--seed", "42", "--jobs", "2", *flags],
        check=True, capture_output=True,
    )
    written = read_shards(out)
    assert sorted(written) == list(range(16))
    augmenter = unetkit.Augmenter(images, labels, seed=42, **options)
    assert 3 in {augmenter.source(k) for k in written}
    for k, entries in written.items():
        sample = augmenter.sample(k)
        for name in ("image", "mask", "labels", "weight"):
            assert sample[name].dtype == entries[name].dtype, name
            assert sample[name].shape == entries[name].shape, name
            assert sample[name].tobytes() == entries[name].tobytes(), (k, name)


def test_volume_samples_equal_unet_augment(unet_cli, tmp_path: Path):
    rng = np.random.default_rng(5)
    (tmp_path / "images").mkdir()
    (tmp_path / "labels").mkdir()
    images = [rng.random((10, 24, 20), dtype=np.float32), (rng.random((8, 20, 28)) * 255).astype(np.uint8)]
    labels = [random_instances((10, 24, 20), 6, 7), random_instances((8, 20, 28), 5, 8)]
    for name, image, label in zip("ab", images, labels):
        np.save(tmp_path / "images" / f"{name}.npy", image)
        np.save(tmp_path / "labels" / f"{name}.npy", label)
    out = tmp_path / "out"
    subprocess.run(
        [unet_cli, "augment", "--volume", "--spacing", "2,1,1", "--images", str(tmp_path / "images"),
         "--labels", str(tmp_path / "labels"), "--out", str(out), "--samples", "4", "--seed", "9",
         "--elastic-sigma", "4", "--weight-sigma", "3"],
        check=True, capture_output=True,
    )
    written = read_shards(out)
    augmenter = unetkit.Augmenter(images, labels, seed=9, spacing=(2, 1, 1), elastic_sigma=4, weight_sigma=3)
    for k, entries in written.items():
        sample = augmenter.sample(k)
        for name in ("image", "mask", "labels", "weight"):
            assert sample[name].tobytes() == entries[name].tobytes(), (k, name)
            assert sample[name].shape == entries[name].shape, (k, name)


def test_sources_and_samples_are_reproducible():
    images = [np.random.default_rng(1).random((30, 30), dtype=np.float32)] * 2
    labels = [random_instances((30, 30), 4, 1), random_instances((30, 30), 5, 2)]
    a = unetkit.Augmenter(images, labels, seed=3)
    b = unetkit.Augmenter(images, labels, seed=3)
    assert {a.source(k) for k in range(20)} == {0, 1}
    for k in (0, 5, 2**63):
        for name, value in a.sample(k).items():
            np.testing.assert_array_equal(value, b.sample(k)[name])
    a.close()
    with pytest.raises(ValueError, match="closed"):
        a.sample(0)


@pytest.mark.parametrize(
    "kwargs, error, text",
    [
        (dict(grid=1), ValueError, "grid 1"),
        (dict(elastic_sigma=-1), ValueError, "elastic_sigma"),
        (dict(weight_sigma=0), ValueError, "weight_sigma"),
        (dict(brightness=(1, 0)), ValueError, "brightness"),
        (dict(gamma=(0, 1)), ValueError, "gamma"),
        (dict(normalize="zscore"), ValueError, "normalize"),
        (dict(connectivity=5), ValueError, "connectivity"),
        (dict(spacing=(1, 1, 1)), ValueError, "spacing"),
        (dict(rotate=float("nan")), ValueError, "option"),
    ],
)
def test_bad_options_raise_one_line_errors(kwargs, error, text):
    image = np.zeros((8, 8), np.float32)
    with pytest.raises(error) as info:
        unetkit.Augmenter([image], [np.zeros((8, 8), np.uint32)], **kwargs)
    assert text in str(info.value) and "\n" not in str(info.value)


def test_a_grid_too_large_for_volumes_is_refused():
    volume = np.zeros((2, 8, 8), np.float32)
    with pytest.raises(ValueError, match="control points"):
        unetkit.Augmenter([volume], [np.zeros((2, 8, 8), np.uint32)], grid=200)


def test_bad_sources_raise():
    image = np.zeros((8, 8), np.float32)
    with pytest.raises(TypeError, match="float64"):
        unetkit.Augmenter([image.astype(np.float64)], [np.zeros((8, 8), np.uint32)])
    with pytest.raises(ValueError, match="shape"):
        unetkit.Augmenter([image], [np.zeros((8, 9), np.uint32)])
    with pytest.raises(ValueError, match="at least one"):
        unetkit.Augmenter([], [])
    with pytest.raises(ValueError, match="empty"):
        unetkit.Augmenter([image[:0]], [np.zeros((0, 8), np.uint32)])
