"""Reads a UNetKit dataset the way a PyTorch user would: the `webdataset`
package with `.decode()` and no custom code. Checks the manifest's SHA-256
with hashlib and prints one JSON line per sample for the Swift side to
compare.

Usage: read_shards.py DATASET_DIR
"""
import json, sys

import numpy as np
import webdataset as wds

from unetkit_shards import verified

manifest, urls = verified(sys.argv[1])
dataset = wds.WebDataset(urls, shardshuffle=False).decode("l8")
count = 0
for sample in dataset:
    image, mask, weight, meta = sample["image.npy"], sample["mask.png"], sample["weight.npy"], sample["json"]
    labels = sample.get("labels.npy")
    assert image.dtype == np.float32 and weight.dtype == np.float32 and mask.dtype == np.uint8, sample["__key__"]
    assert mask.shape == weight.shape == image.shape[-2:], sample["__key__"]
    assert labels is None or (labels.dtype == np.uint32 and labels.shape == mask.shape), sample["__key__"]
    assert int(meta["index"]) == int(sample["__key__"]), sample["__key__"]
    print(json.dumps({
        "key": sample["__key__"],
        "shape": list(image.shape),
        "image_sum": float(image.astype(np.float64).sum()),
        "weight_sum": float(weight.astype(np.float64).sum()),
        "mask_sum": int(mask.astype(np.int64).sum()),
        "labels_max": None if labels is None else int(labels.max()),
        "source": meta["source"],
    }))
    count += 1
assert count == manifest["totals"]["samples"], (count, manifest["totals"])
