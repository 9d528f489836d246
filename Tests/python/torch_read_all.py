"""Reads a UNetKit dataset with the examples/pytorch loader, as one process
and as the ranks of distributed runs (RANK and WORLD_SIZE, which
webdataset's split_by_node reads), and, in one of them, through a
DataLoader with two workers (split_by_worker). Every sample must come out
exactly once in each: as many keys as the manifest's total, none twice.
Also cuts one training tile per sample and checks it against numpy's pad.

Usage: torch_read_all.py EXAMPLES_DIR DATASET_DIR
prints one JSON line: {"samples": N, "keys": [...]} for the whole read.
"""
import json
import os
import sys

import numpy as np
from torch.utils.data import DataLoader

sys.path.insert(0, sys.argv[1])
import unet_data  # noqa: E402
import unet_module  # noqa: E402

root = sys.argv[2]
manifest = unet_data.read_manifest(root)
total = manifest["totals"]["samples"]


def read(world, rank, workers=0):
    os.environ["RANK"], os.environ["WORLD_SIZE"] = str(rank), str(world)
    dataset = unet_data.samples(root, epochs=1)
    if workers:
        loader = DataLoader(dataset, batch_size=None, num_workers=workers)
        return [key for key, *_ in loader]
    return [key for key, *_ in dataset]


whole = read(1, 0)
assert len(whole) == total and len(set(whole)) == total, (len(whole), len(set(whole)), total)
for world in (2, 3):
    keys = [k for rank in range(world) for k in read(world, rank, workers=2 if world == 2 else 0)]
    assert sorted(keys) == sorted(whole), (world, sorted(keys), sorted(whole))

tile, depth = 60, 2
output = unet_module.output_size(tile, depth)
rng = np.random.default_rng(0)
for key, image, mask, weight in unet_data.samples(root, epochs=1):
    y, x = unet_data.draw_origin(rng, *mask.shape, output)
    image_tile, labels, weights = unet_data.cut_tile(image, mask, weight, y, x, tile, output)
    assert image_tile.shape == (image.shape[0], tile, tile) and labels.shape == weights.shape == (output, output), key
    m = (tile - output) // 2
    if min(mask.shape) >= output and m < min(mask.shape):  # then numpy's pad is the reference
        padded = np.pad(image, ((0, 0), (m, m), (m, m)), mode="reflect")
        assert np.array_equal(image_tile, padded[:, y:y + tile, x:x + tile]), key
        assert np.array_equal(labels, mask[y:y + output, x:x + output]), key
        assert np.array_equal(weights, weight[y:y + output, x:x + output]), key
print(json.dumps({"samples": len(whole), "keys": whole}))
