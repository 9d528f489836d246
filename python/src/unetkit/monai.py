"""A MONAI dictionary transform: one elastic draw for several keys, then the weight map.

Importing this module needs MONAI (``pip install monai``).
"""

from __future__ import annotations

from typing import Any, Dict, Hashable, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
from monai.config import KeysCollection
from monai.transforms import MapTransform, RandomizableTransform

from ._elastic import elastic
from ._weights import ClassWeights, weight_map

__all__ = ["RandElasticWeightMapd"]


def _to_numpy(value: Any) -> Tuple[np.ndarray, Any]:
    """The array of a numpy array or torch tensor, and a function that restores the type."""
    import torch  # MONAI needs it

    if isinstance(value, torch.Tensor):
        array = value.detach().cpu().numpy()

        def restore(out: np.ndarray) -> Any:
            tensor = torch.as_tensor(out)
            meta = getattr(value, "meta", None)
            if meta is not None:
                from monai.data import MetaTensor

                return MetaTensor(tensor, meta=meta)
            return tensor

        return array, restore
    return np.asarray(value), lambda out: out


class RandElasticWeightMapd(RandomizableTransform, MapTransform):
    """One random elastic deformation for ``keys``, then the U-Net weight map of the warped labels.

    Arrays are channel-first, as in MONAI: ``(C, H, W)`` or ``(C, D, H,
    W)``. Every channel of every key is deformed with one draw (as
    ``unetkit.elastic``; "all the keys share the same random elastic
    factor"), ``label_key`` by nearest neighbour with its ids kept, the
    others with ``order``. Then ``weight_key`` (and ``mask_key``, if given)
    receive ``unetkit.weight_map`` of the warped labels' first channel, as
    ``(1, …)`` float32 (uint8) arrays.

    Args:
        keys: the keys to deform; ``label_key`` is added if missing.
        label_key: instance labels (or a binary mask); integer values
            (integral floats are accepted, as MONAI loaders produce them).
        weight_key, mask_key: where to store the weight map and class mask.
        order: interpolation of the non-label keys: 3 cubic, 1 linear, 0 nearest.
        prob: the probability of deforming (the weight map is always computed).
        sigma, grid, rotate, shift, flip, scale, border: as ``unetkit.elastic``.
        w0, weight_sigma, class_weights, separate, connectivity, spacing:
            as ``unetkit.weight_map`` (``weight_sigma`` is its σ).
    """

    def __init__(
        self,
        keys: KeysCollection,
        label_key: Hashable = "label",
        weight_key: Hashable = "weight",
        mask_key: Optional[Hashable] = None,
        *,
        order: int = 3,
        prob: float = 1.0,
        sigma: float = 10,
        grid: int = 3,
        rotate: float = 0,
        shift: float = 0,
        flip: bool = False,
        scale: Optional[Tuple[float, float]] = None,
        border: str = "mirror",
        w0: float = 10,
        weight_sigma: float = 5,
        class_weights: ClassWeights = "balanced",
        separate: bool = True,
        connectivity: int = 4,
        spacing: Optional[Tuple[float, float, float]] = None,
        allow_missing_keys: bool = False,
    ) -> None:
        MapTransform.__init__(self, keys, allow_missing_keys)
        RandomizableTransform.__init__(self, prob)
        if label_key not in self.keys:
            self.keys = tuple(self.keys) + (label_key,)
        self.label_key = label_key
        self.weight_key = weight_key
        self.mask_key = mask_key
        self.order = order
        self.elastic_options: Dict[str, Any] = dict(
            sigma=sigma, grid=grid, rotate=rotate, shift=shift, flip=flip, scale=scale, border=border)
        self.weight_options: Dict[str, Any] = dict(
            w0=w0, sigma=weight_sigma, class_weights=class_weights, separate=separate,
            connectivity=connectivity, spacing=spacing)
        self._seed = 0

    def randomize(self, data: Any = None) -> None:
        super().randomize(None)
        self._seed = int(self.R.randint(0, 2**63, dtype=np.int64))

    def __call__(self, data: Mapping[Hashable, Any]) -> Dict[Hashable, Any]:
        d = dict(data)
        self.randomize()
        present = [key for key in self.key_iterator(d)]
        if self.label_key not in present:
            raise KeyError(f"RandElasticWeightMapd: no {self.label_key!r} in the data")
        arrays: Dict[Hashable, np.ndarray] = {}
        restore: Dict[Hashable, Any] = {}
        for key in present:
            arrays[key], restore[key] = _to_numpy(d[key])
        labels = arrays[self.label_key]
        if np.issubdtype(labels.dtype, np.floating):
            if not np.array_equal(labels, np.round(labels)) or labels.min(initial=0) < 0:
                raise TypeError(f"{self.label_key!r} holds non-integral or negative values: expected instance ids")
            arrays[self.label_key] = labels.astype(np.uint32)
        if self._do_transform:
            flat, orders, where = [], [], []
            for key in present:
                array = arrays[key]
                if array.ndim not in (3, 4):
                    raise ValueError(f"{key!r} has shape {array.shape}: expected (C, H, W) or (C, D, H, W)")
                for c in range(array.shape[0]):
                    flat.append(array[c])
                    label = key == self.label_key or not np.issubdtype(array.dtype, np.floating)
                    orders.append(0 if label else self.order)
                    where.append((key, c))
            warped = elastic(*flat, order=orders, seed=self._seed, **self.elastic_options)
            for key in present:
                arrays[key] = np.stack([w for w, (k, _) in zip(warped, where) if k == key])
        weights, mask = weight_map(arrays[self.label_key][0], **self.weight_options)
        for key in present:
            if key == self.label_key and not np.issubdtype(_to_numpy(d[key])[0].dtype, np.integer):
                d[key] = restore[key](arrays[key].astype(np.float32))
            else:
                d[key] = restore[key](arrays[key])
        d[self.weight_key] = restore[self.label_key](weights[None])
        if self.mask_key is not None:
            d[self.mask_key] = restore[self.label_key](mask[None])
        return d
