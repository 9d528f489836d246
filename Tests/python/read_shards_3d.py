"""Reads a 3-D UNetKit dataset (`unet augment --volume`) the way a PyTorch
user would: `webdataset` with `.decode()` and no custom code. Checks the
manifest's SHA-256 with hashlib, the dimensionality and spacing it records,
and each sample's fields: (D, H, W) arrays of float32 image and weight,
uint8 mask, uint32 labels. Prints one JSON line per sample (shape, sums, a
SHA-256 of each array's bytes) for the Swift side to compare.

Usage: read_shards_3d.py DATASET_DIR
"""
import hashlib, json, sys

import numpy as np
import webdataset as wds

from unetkit_shards import verified

manifest, urls = verified(sys.argv[1])
parameters = manifest["parameters"]
assert parameters["dimensions"] == 3, parameters.get("dimensions")
spacing = parameters["spacing"]
assert all(spacing[k] > 0 for k in "zyx"), spacing
dataset = wds.WebDataset(urls, shardshuffle=False).decode()
count = 0
for sample in dataset:
    key = sample["__key__"]
    image, mask, weight, labels, meta = (sample[k] for k in ("image.npy", "mask.npy", "weight.npy", "labels.npy", "json"))
    assert "mask.png" not in sample, key
    assert image.ndim == 3 and image.dtype == np.float32, (key, image.shape, image.dtype)
    assert weight.dtype == np.float32 and mask.dtype == np.uint8 and labels.dtype == np.uint32, key
    assert image.shape == mask.shape == weight.shape == labels.shape, key
    assert set(np.unique(mask)) <= {0, 1}, key
    assert int(meta["index"]) == int(key) and meta["spacing"] == spacing, key
    print(json.dumps({
        "key": key,
        "shape": list(image.shape),
        "image_sum": float(image.astype(np.float64).sum()),
        "weight_sum": float(weight.astype(np.float64).sum()),
        "mask_sum": int(mask.astype(np.int64).sum()),
        "labels_max": int(labels.max()),
        "sha256": {k: hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()
                   for k, a in (("image", image), ("mask", mask), ("weight", weight), ("labels", labels))},
    }))
    count += 1
assert count == manifest["totals"]["samples"], (count, manifest["totals"])
