"""Reads a 3-D UNetKit dataset with the examples/pytorch loader
(`unet_data.volume_samples`), as one process and as the 2 ranks of a
distributed run with 2 DataLoader workers each: every sample once, (D, H, W)
arrays of the documented types, equal to the shard's own bytes (SHA-256 of
each array). `unet_data.samples` must refuse the dataset.

Usage: torch_read_volumes.py EXAMPLES_DIR DATASET_DIR
prints one JSON line: {"keys": [...], "sha256": {key: {array: hex}}}.
"""
import hashlib
import json
import os
import sys

import numpy as np
from torch.utils.data import DataLoader

sys.path.insert(0, sys.argv[1])
import unet_data  # noqa: E402

root = sys.argv[2]
total = unet_data.read_manifest(root, 3)["totals"]["samples"]
try:
    unet_data.samples(root)
    raise AssertionError("samples() read a 3-D dataset")
except ValueError as error:
    assert "volume_samples" in str(error), error


def read(world, rank, workers=0):
    os.environ["RANK"], os.environ["WORLD_SIZE"] = str(rank), str(world)
    dataset = unet_data.volume_samples(root, epochs=1)
    if workers:
        return list(DataLoader(dataset, batch_size=None, num_workers=workers))
    return list(dataset)


whole = read(1, 0)
keys = [key for key, *_ in whole]
assert len(keys) == total and len(set(keys)) == total, keys
split = [item[0] for rank in range(2) for item in read(2, rank, workers=2)]
assert sorted(split) == sorted(keys), (split, keys)
digests = {}
for key, image, mask, weight, labels in whole:
    image, mask, weight, labels = (np.asarray(a) for a in (image, mask, weight, labels))
    assert image.ndim == 3 and image.shape == mask.shape == weight.shape == labels.shape, key
    assert image.dtype == np.float32 and weight.dtype == np.float32, key
    assert mask.dtype == np.uint8 and labels.dtype == np.uint32, key
    digests[key] = {name: hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()
                    for name, a in (("image", image), ("mask", mask), ("weight", weight), ("labels", labels))}
print(json.dumps({"keys": keys, "sha256": digests}))
