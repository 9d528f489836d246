"""`unetkit.monai.RandElasticWeightMapd` (only where MONAI is installed)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("monai")

import unetkit  # noqa: E402
from conftest import random_instances  # noqa: E402
from unetkit.monai import RandElasticWeightMapd  # noqa: E402


def test_one_draw_for_all_keys_and_the_weight_map_of_the_warped_labels():
    labels = random_instances((48, 40), 8, 3)
    image = np.stack([labels.astype(np.float32), labels.astype(np.float32) * 2])
    transform = RandElasticWeightMapd(keys=["image"], label_key="label", mask_key="mask", order=0, sigma=6, rotate=20)
    transform.set_random_state(seed=4)
    out = transform({"image": image, "label": labels[None]})
    warped = out["label"][0]
    assert set(np.unique(warped)) <= set(np.unique(labels)) and not np.array_equal(warped, labels)
    np.testing.assert_array_equal(out["image"][0], warped.astype(np.float32))
    np.testing.assert_array_equal(out["image"][1], 2 * warped.astype(np.float32))
    weights, mask = unetkit.weight_map(warped)
    np.testing.assert_array_equal(out["weight"][0], weights)
    np.testing.assert_array_equal(out["mask"][0], mask)
    again = RandElasticWeightMapd(keys=["image"], order=0, sigma=6, rotate=20)
    again.set_random_state(seed=4)
    np.testing.assert_array_equal(again({"image": image, "label": labels[None]})["label"][0], warped)


def test_tensors_in_monai_pipelines():
    torch = pytest.importorskip("torch")
    from monai.transforms import Compose

    labels = torch.as_tensor(random_instances((32, 32), 5, 1)[None].astype(np.float32))
    image = torch.rand(1, 32, 32)
    pipeline = Compose([RandElasticWeightMapd(keys=["image"], prob=1.0)])
    pipeline.set_random_state(seed=1)
    out = pipeline({"image": image, "label": labels})
    assert isinstance(out["weight"], torch.Tensor) and out["weight"].shape == (1, 32, 32)
    assert out["label"].dtype == torch.float32
    # MONAI's Compose wraps a transform's error in a RuntimeError.
    with pytest.raises(RuntimeError) as info:
        pipeline({"image": image, "label": labels + 0.5})
    assert isinstance(info.value.__cause__, TypeError) and "non-integral" in str(info.value.__cause__)
