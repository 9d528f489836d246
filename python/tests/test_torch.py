"""`unetkit.torch.ShardDataset` over a folder written by `unet augment`."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import unetkit  # noqa: E402
from unetkit.torch import ShardDataset  # noqa: E402
from test_augmenter import sources_2d  # noqa: E402


@pytest.fixture(scope="module")
def dataset_folder(unet_cli, tmp_path_factory) -> tuple[Path, list, list]:
    folder = tmp_path_factory.mktemp("shards")
    images, labels = sources_2d(folder)
    subprocess.run(
        [unet_cli, "augment", "--images", str(folder / "images"), "--labels", str(folder / "labels"),
         "--out", str(folder / "out"), "--samples", "11", "--per-shard", "2", "--seed", "5"],
        check=True, capture_output=True,
    )
    return folder / "out", images, labels


def test_samples_as_tensors_equal_the_augmenter(dataset_folder):
    out, images, labels = dataset_folder
    dataset = ShardDataset(out, record=True)
    assert len(dataset) == 11
    augmenter = unetkit.Augmenter(images, labels, seed=5)
    seen = []
    for sample in dataset:
        k = int(sample["__key__"])
        seen.append(k)
        expected = augmenter.sample(k)
        assert sample["image"].dtype == torch.float32 and sample["labels"].dtype == torch.int64
        np.testing.assert_array_equal(sample["image"].numpy(), expected["image"])
        np.testing.assert_array_equal(sample["mask"].numpy(), expected["mask"])
        np.testing.assert_array_equal(sample["labels"].numpy(), expected["labels"].astype(np.int64))
        np.testing.assert_array_equal(sample["weight"].numpy(), expected["weight"])
        assert isinstance(sample["json"], dict)
    assert seen == list(range(11))


def test_dataloader_with_two_workers_reads_every_sample_once(dataset_folder):
    out, _, _ = dataset_folder
    loader = torch.utils.data.DataLoader(ShardDataset(out, entries=("weight",)), batch_size=None, num_workers=2)
    keys = [sample["__key__"] for sample in loader]
    assert sorted(keys) == [f"{k:08d}" for k in range(11)]


def test_a_changed_shard_is_refused(dataset_folder, tmp_path: Path):
    out, _, _ = dataset_folder
    copy = tmp_path / "copy"
    copy.mkdir()
    for file in out.iterdir():
        (copy / file.name).write_bytes(file.read_bytes())
    shard = sorted(copy.glob("*.tar"))[1]
    data = bytearray(shard.read_bytes())
    data[1000] ^= 1
    shard.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="SHA-256"):
        list(ShardDataset(copy))
    assert len(list(ShardDataset(copy, verify=False))) == 11


def test_not_a_shard_folder(tmp_path: Path):
    with pytest.raises(ValueError, match="no manifest"):
        ShardDataset(tmp_path)
    (tmp_path / "manifest.json").write_text(json.dumps({"a": 1}))
    with pytest.raises(ValueError, match="not a shard manifest"):
        ShardDataset(tmp_path)
    with pytest.raises(ValueError, match="unknown entry"):
        ShardDataset(tmp_path, entries=("pixels",))
