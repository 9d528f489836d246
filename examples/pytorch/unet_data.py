"""UNetKit datasets (`unet augment`'s WebDataset shards and manifest.json) as
a `webdataset` pipeline, and the paper's overlap-tile training tiles cut
from them.

A sample of the shards holds KEY.image.npy (float32, H x W or C x H x W,
already normalised by `unet augment`), KEY.mask.png (class per pixel, 0/1),
KEY.weight.npy (float32 H x W, the paper's weight map), KEY.labels.npy and
KEY.json. `samples()` yields them decoded; `tiles()` turns each into one
training tile as `unet train` does: an output-sized region at a random
place in the sample and the input tile around it, `margin` pixels larger on
every side, mirrored where it leaves the sample (Ronneberger et al. 2015,
Fig. 2). Labels and weights cover the output region only, so they line up
with the output of the valid convolutions.

Shards are split between the processes of a distributed run
(`wds.split_by_node`) and the DataLoader workers of each
(`wds.split_by_worker`): in each epoch every shard is read by one worker
of one rank.

A 3-D dataset (`unet augment --volume`; its manifest has "dimensions": 3
and the voxel spacing) holds KEY.image.npy, KEY.mask.npy (uint8),
KEY.weight.npy and KEY.labels.npy, all (D, H, W); `volume_samples()` yields
them decoded and `volume_tiles()` cuts 3-D training tiles from them the
same way. `samples()` refuses such a dataset, so that no (D, H, W) image is
taken for (C, H, W) channels.
"""
import functools
import io
import json
import os
import random
import tarfile

import numpy as np
import webdataset as wds
from torch.utils.data import IterableDataset


def read_manifest(root, dimensions=None):
    """The dataset's manifest.json, checked to list every shard of its plan
    (and, given `dimensions`, to hold 2-D or 3-D samples)."""
    with open(os.path.join(root, "manifest.json")) as f:
        manifest = json.load(f)
    listed, planned = len(manifest["shards"]), manifest["plan"]["shardCount"]
    if listed != planned:
        raise ValueError(f"{root}/manifest.json lists {listed} of {planned} shards; "
                         "finish the dataset (unet augment --resume, unet manifest merge)")
    found = manifest["parameters"].get("dimensions", 2)
    if dimensions is not None and found != dimensions:
        other = "volume_samples()" if found == 3 else "samples()"
        raise ValueError(f"{root}/manifest.json: the dataset holds {found}-D samples; read it with {other}")
    return manifest


class EpochShards(IterableDataset):
    """The shard paths, epoch after epoch (forever when `epochs` is None), in
    a permutation drawn from (seed, epoch) when `shuffle`. Every rank and
    worker sees the same sequence; the splitters after it pick their share."""

    def __init__(self, urls, seed=0, epochs=None, shuffle=True):
        super().__init__()
        self.urls, self.seed, self.epochs, self.shuffle = list(urls), seed, epochs, shuffle

    def __iter__(self):
        epoch = 0
        while self.epochs is None or epoch < self.epochs:
            order = list(self.urls)
            if self.shuffle:
                random.Random(self.seed * 1_000_003 + epoch).shuffle(order)
            for url in order:
                yield {"url": url}
            epoch += 1


def stream_seed(seed):
    """A seed for this rank and DataLoader worker."""
    rank, _, worker, _ = wds.utils.pytorch_worker_info()
    return [seed, rank, worker]


def as_sample(raw):
    """A decoded shard sample as (key, image C x H x W, mask H x W, weight H x W)."""
    # Decoders may return read-only arrays (PIL's), which torch refuses to wrap.
    image, mask, weight = (np.require(raw[k], requirements=["C", "W"]) for k in ("image.npy", "mask.png", "weight.npy"))
    if image.ndim == 2:
        image = image[None]
    if image.dtype != np.float32 or weight.dtype != np.float32:
        raise ValueError(f"{raw['__key__']}: image and weight must be float32")
    if mask.shape != weight.shape or mask.shape != image.shape[1:]:
        raise ValueError(f"{raw['__key__']}: image {image.shape}, mask {mask.shape}, weight {weight.shape} differ")
    return raw["__key__"], image, mask, weight


def shuffle_buffer(src, size, seed):
    """The samples through a buffer of `size`: fill it, then emit a random
    slot and refill it with the next sample (as `unet train --shuffle-buffer`)."""
    rng = random.Random(str(stream_seed(seed)))
    buffer = []
    for sample in src:
        if len(buffer) < size:
            buffer.append(sample)
            continue
        i = rng.randrange(size)
        yield buffer[i]
        buffer[i] = sample
    rng.shuffle(buffer)
    yield from buffer


def reflect_index(i, n):
    """numpy's 'reflect' padding index for positions `i` of an axis of `n`
    pixels (edge not repeated; periodic for margins wider than the axis)."""
    if n == 1:
        return np.zeros_like(i)
    period = 2 * (n - 1)
    r = np.mod(i, period)
    return np.where(r < n, r, period - r)


def draw_origin(rng, height, width, output):
    """Where the output region lies: uniform over the places inside the
    sample, centred along a side shorter than `output`."""
    def axis(side):
        return int(rng.integers(0, side - output + 1)) if side >= output else -((output - side) // 2)
    y = axis(height)
    return y, axis(width)


def cut_tile(image, mask, weight, y, x, tile, output):
    """The training tile for the output region at (y, x): the image
    (C x tile x tile) mirrored past the sample's edges, labels (int64) and
    weights (float32), output x output, 0 where the region leaves the
    sample (weight 0: those pixels do not count)."""
    m = (tile - output) // 2
    height, width = mask.shape
    rows = reflect_index(np.arange(y - m, y - m + tile), height)
    cols = reflect_index(np.arange(x - m, x - m + tile), width)
    image_tile = np.ascontiguousarray(image[:, rows[:, None], cols[None, :]])
    labels = np.zeros((output, output), np.int64)
    weights = np.zeros((output, output), np.float32)
    y0, y1 = max(y, 0), min(y + output, height)
    x0, x1 = max(x, 0), min(x + output, width)
    labels[y0 - y:y1 - y, x0 - x:x1 - x] = mask[y0:y1, x0:x1]
    weights[y0 - y:y1 - y, x0 - x:x1 - x] = weight[y0:y1, x0:x1]
    return image_tile, labels, weights


def tiles_from(src, tile, output, seed):
    rng = np.random.default_rng(stream_seed(seed))
    for _, image, mask, weight in src:
        y, x = draw_origin(rng, *mask.shape, output)
        yield cut_tile(image, mask, weight, y, x, tile, output)


def cut_volume_tile(image, mask, weight, origin, tile, output):
    """The 3-D training tile for the output region at `origin` (z, y, x):
    the image (1 x D x H x W for a `tile` of (D, H, W)) mirrored past the
    volume's faces, labels (int64) and weights (float32) of the `output`
    extent, 0 where the region leaves the volume. `cut_tile` in 3-D."""
    index, inside = [], []
    for o, t, n, s in zip(origin, tile, output, mask.shape):
        m = (t - n) // 2
        index.append(reflect_index(np.arange(o - m, o - m + t), s))
        lo, hi = max(o, 0), min(o + n, s)
        inside.append((slice(lo - o, hi - o), slice(lo, hi)))
    z, y, x = index
    image_tile = np.ascontiguousarray(image[z[:, None, None], y[None, :, None], x[None, None, :]])[None]
    labels = np.zeros(output, np.int64)
    weights = np.zeros(output, np.float32)
    to, of = tuple(a for a, _ in inside), tuple(b for _, b in inside)
    labels[to] = mask[of]
    weights[to] = weight[of]
    return image_tile, labels, weights


def volume_tiles_from(src, tile, output, seed):
    rng = np.random.default_rng(stream_seed(seed))
    for _, image, mask, weight, _ in src:
        # Along each axis as draw_origin: uniform inside, centred where shorter.
        origin = tuple(int(rng.integers(0, s - n + 1)) if s >= n else -((n - s) // 2)
                       for s, n in zip(mask.shape, output))
        yield cut_volume_tile(image, mask, weight, origin, tile, output)


def samples(root, seed=0, epochs=1, shuffle=False, buffer=0):
    """The dataset's samples as (key, image, mask, weight), this rank's and
    worker's share of the shards, for `epochs` passes (None: forever)."""
    return _pipeline(root, 2, as_sample, seed, epochs, shuffle, buffer)


def as_volume_sample(raw):
    """A decoded 3-D shard sample as (key, image, mask, weight, labels), each
    (D, H, W): float32, uint8, float32 and uint32 (None without labels)."""
    image, mask, weight = (np.require(raw[k], requirements=["C", "W"]) for k in ("image.npy", "mask.npy", "weight.npy"))
    labels = raw.get("labels.npy")
    if image.ndim != 3 or image.dtype != np.float32 or weight.dtype != np.float32 or mask.dtype != np.uint8:
        raise ValueError(f"{raw['__key__']}: expected float32 image and weight and a uint8 mask, (D, H, W)")
    if not (image.shape == mask.shape == weight.shape) or (labels is not None and labels.shape != image.shape):
        raise ValueError(f"{raw['__key__']}: image {image.shape}, mask {mask.shape}, weight {weight.shape} differ")
    return raw["__key__"], image, mask, weight, labels


def volume_samples(root, seed=0, epochs=1, shuffle=False, buffer=0):
    """The samples of a 3-D dataset as (key, image, mask, weight, labels),
    (D, H, W) each, this rank's and worker's share of the shards, for
    `epochs` passes (None: forever). The voxel spacing (z, y, x) is the
    manifest's: `read_manifest(root)["parameters"]["spacing"]`."""
    return _pipeline(root, 3, as_volume_sample, seed, epochs, shuffle, buffer)


def _pipeline(root, dimensions, as_item, seed, epochs, shuffle, buffer):
    manifest = read_manifest(root, dimensions)
    urls = [os.path.join(root, s["file"]) for s in manifest["shards"]]
    stages = [
        EpochShards(urls, seed=seed, epochs=epochs, shuffle=shuffle),
        wds.split_by_node,
        wds.split_by_worker,
        wds.tarfile_to_samples(),
        wds.decode("l8"),
        wds.map(as_item),
    ]
    if buffer > 1:
        stages.append(functools.partial(shuffle_buffer, size=buffer, seed=seed))
    return wds.DataPipeline(*stages)


def tiles(root, tile, output, seed=0, buffer=16):
    """Training tiles (image, labels, weights) forever: shards in a new
    order each epoch, samples through a shuffle buffer, one tile each."""
    pipeline = samples(root, seed=seed, epochs=None, shuffle=True, buffer=buffer)
    pipeline.append(functools.partial(tiles_from, tile=tile, output=output, seed=seed))
    return pipeline


def volume_tiles(root, tile, output, seed=0, buffer=16):
    """3-D training tiles (image 1 x D x H x W, labels, weights) forever, as
    `tiles` does in 2-D; `tile` and `output` are (D, H, W)."""
    pipeline = volume_samples(root, seed=seed, epochs=None, shuffle=True, buffer=buffer)
    pipeline.append(functools.partial(volume_tiles_from, tile=tile, output=output, seed=seed))
    return pipeline


def input_channels(root):
    """The image channels of the dataset's first sample (read directly, the
    same on every rank)."""
    first = read_manifest(root, 2)["shards"][0]["file"]
    with tarfile.open(os.path.join(root, first)) as tar:
        for member in tar:
            if member.name.endswith(".image.npy"):
                image = np.load(io.BytesIO(tar.extractfile(member).read()))
                return 1 if image.ndim == 2 else image.shape[0]
    raise ValueError(f"{root}/{first}: no image.npy")


def normalize(image, normalization):
    """A raw image (H x W or H x W x C, any numeric type) as float32
    C x H x W, normalised as `unet predict` does from a checkpoint's or
    manifest's `normalization` (JSON text or its parsed value): per channel
    (v - low) / (high - low) in float64, low and high the 1st and 99.8th
    percentiles (`percentile`), 0 and the type's maximum (`range`; float
    images unchanged), or 0 and 1 (`none`); where high == low, v - low."""
    if isinstance(normalization, str):
        normalization = json.loads(normalization)
    x = np.asarray(image)
    x = x[None] if x.ndim == 2 else np.moveaxis(x, -1, 0)
    (kind, arguments), = normalization.items()
    out = np.empty(x.shape, np.float32)
    for c, channel in enumerate(x.astype(np.float64)):
        if kind == "percentile":
            values = channel[~np.isnan(channel)]
            low, high = (np.percentile(values, [arguments["lowPercent"], arguments["highPercent"]])
                         if values.size else (0.0, 0.0))
        elif kind == "range":
            low, high = 0.0, (1.0 if np.issubdtype(x.dtype, np.floating) else float(np.iinfo(x.dtype).max))
        elif kind == "none":
            low, high = 0.0, 1.0
        else:
            raise ValueError(f"unknown normalization {normalization}")
        out[c] = (channel - low) / (high - low) if high > low else channel - low
    return out
