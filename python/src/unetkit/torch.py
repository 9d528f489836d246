"""PyTorch datasets over the shards of ``unet augment`` (imported only when used).

:class:`ShardDataset` reads a shard folder (``manifest.json`` and its
``NAME-NNNNNN.tar`` shards) as a ``torch.utils.data.IterableDataset``.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence, Union

import numpy as np
import torch
from torch.utils.data import IterableDataset, get_worker_info

__all__ = ["ShardDataset"]

_ENTRIES = ("image", "mask", "labels", "weight")


class ShardDataset(IterableDataset):
    """The samples of a ``unet augment`` shard folder, as tensors.

    Each shard's size and SHA-256 are checked against ``manifest.json``
    before any of its samples is yielded (a mismatch raises ``ValueError``
    naming the shard). Shards are split among the consumers: every
    distributed rank (``torch.distributed``, when initialised) and every
    DataLoader worker reads its own shards, shard ``i`` going to consumer
    ``i mod (ranks × workers)``, so that one pass over all consumers reads
    every sample exactly once.

    Args:
        folder: the ``--out`` folder of ``unet augment``.
        entries: which arrays to yield, of ``"image"`` (float32),
            ``"mask"`` (uint8), ``"labels"`` (int64 instance ids; absent
            with ``--no-labels``) and ``"weight"`` (float32).
        record: also yield ``"json"``, the sample's record (source and
            drawn values) as a dict.
        verify: check the shards' checksums (on by default).

    Yields:
        dicts with ``"__key__"`` (the sample's key, ``"%08d"`` of its
        index) and a tensor per entry.
    """

    def __init__(
        self,
        folder: Union[str, Path],
        *,
        entries: Sequence[str] = _ENTRIES,
        record: bool = False,
        verify: bool = True,
    ) -> None:
        super().__init__()
        self.folder = Path(folder)
        for entry in entries:
            if entry not in _ENTRIES:
                raise ValueError(f"unknown entry {entry!r}: choose from {', '.join(_ENTRIES)}")
        self.entries = tuple(entries)
        self.record = record
        self.verify = verify
        path = self.folder / "manifest.json"
        try:
            manifest = json.loads(path.read_text())
        except FileNotFoundError:
            raise ValueError(f"{path}: no manifest (is this the --out folder of unet augment?)") from None
        except json.JSONDecodeError as error:
            raise ValueError(f"{path}: not JSON ({error})") from None
        try:
            self.shards: List[Dict[str, Any]] = sorted(manifest["shards"], key=lambda s: s["index"])
            self.total = int(manifest["totals"]["samples"])
        except (KeyError, TypeError):
            raise ValueError(f"{path}: not a shard manifest (no shards or totals)") from None

    def __len__(self) -> int:
        """The number of samples in the folder (over all consumers)."""
        return self.total

    def _consumer(self) -> tuple[int, int]:
        rank, ranks = 0, 1
        if torch.distributed.is_available() and torch.distributed.is_initialized():
            rank, ranks = torch.distributed.get_rank(), torch.distributed.get_world_size()
        worker = get_worker_info()
        wid, workers = (worker.id, worker.num_workers) if worker is not None else (0, 1)
        return rank * workers + wid, ranks * workers

    def _read(self, shard: Dict[str, Any]) -> bytes:
        path = self.folder / shard["file"]
        data = path.read_bytes()
        if self.verify:
            if len(data) != shard["bytes"]:
                raise ValueError(f"{path}: {len(data)} bytes, the manifest says {shard['bytes']}")
            digest = hashlib.sha256(data).hexdigest()
            if digest != shard["sha256"]:
                raise ValueError(f"{path}: SHA-256 {digest} differs from the manifest's {shard['sha256']}")
        return data

    def __iter__(self) -> Iterator[Dict[str, Any]]:
        consumer, consumers = self._consumer()
        for position, shard in enumerate(self.shards):
            if position % consumers != consumer:
                continue
            yield from self._samples(shard)

    def _samples(self, shard: Dict[str, Any]) -> Iterator[Dict[str, Any]]:
        data = self._read(shard)
        current: Optional[str] = None
        sample: Dict[str, Any] = {}
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            for member in tar:
                if not member.isfile():
                    continue
                key, _, field = member.name.partition(".")
                if key != current:
                    if current is not None:
                        yield self._finish(current, sample, shard)
                    current, sample = key, {}
                entry = tar.extractfile(member)
                if entry is not None:
                    sample[field] = entry.read()
        if current is not None:
            yield self._finish(current, sample, shard)

    def _finish(self, key: str, fields: Dict[str, bytes], shard: Dict[str, Any]) -> Dict[str, Any]:
        out: Dict[str, Any] = {"__key__": key}
        for entry in self.entries:
            raw = fields.get(f"{entry}.npy")
            if raw is not None:
                array = np.load(io.BytesIO(raw), allow_pickle=False)
            elif entry == "mask" and "mask.png" in fields:
                array = _png(fields["mask.png"])
            else:
                if entry == "labels":
                    continue  # written with --no-labels
                raise ValueError(f"{self.folder / shard['file']}: sample {key} has no {entry}")
            if array.dtype == np.uint32:
                array = array.astype(np.int64)
            out[entry] = torch.from_numpy(np.ascontiguousarray(array))
        if self.record and "json" in fields:
            out["json"] = json.loads(fields["json"])
        return out


def _png(data: bytes) -> np.ndarray:
    try:
        from PIL import Image
    except ImportError:
        raise ImportError("unetkit.torch: reading mask.png needs Pillow (pip install pillow)") from None
    return np.array(Image.open(io.BytesIO(data)))
