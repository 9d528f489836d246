"""The samples of ``unet augment``, made on the fly."""

from __future__ import annotations

import ctypes
import json
from typing import Dict, Literal, Optional, Sequence, Tuple, Union

import numpy as np
import numpy.typing as npt

from . import _native
from ._arrays import ELEMENT_LIMIT, labels_uint32, spatial_array
from ._elastic import Seed, seed_word

# The sample types `unet augment` reads, as the library numbers them.
_IMAGE_TYPES = {np.dtype(np.uint8): 0, np.dtype(np.uint16): 1, np.dtype(np.uint32): 2,
                np.dtype(np.int32): 3, np.dtype(np.float32): 4}
Pair = Tuple[float, float]


class Augmenter:
    """Sample ``k`` of ``unet augment`` for the given sources and options, as arrays.

    ``Augmenter(images, labels, seed=S, **options).sample(k)`` returns
    exactly the arrays that ``unet augment --seed S`` (with the same
    options) writes as sample ``k`` (key ``%08d``) into its shards, so a
    Python pipeline can reproduce a CLI dataset without files, or draw an
    endless stream of samples. Sources are copied and prepared once, as
    the command prepares them: images normalised, binary masks split into
    connected components, class weights over all sources.

    Args:
        images: the source images, in the order ``unet augment`` pairs them
            (by file name): 2-D ``(height, width)`` or ``(height, width,
            channels)`` with 1 to 4 channels, or 3-D ``(depth, height,
            width)`` volumes; of dtype uint8, uint16, uint32, int32 or float32.
        labels: one array of instance ids (or a binary mask) per image, of
            its spatial shape.
        seed: ``--seed`` (an int, or a ``numpy.random.Generator`` to draw one).
        grid, elastic_sigma, elastic_sigma_z, rotate, shift, scale,
        interpolation, border, brightness, contrast, gamma, noise,
        normalize, weights, weight_sigma, w0, class_weights,
        class_weights_scope, connectivity, spacing: the options of the same
            names (``--elastic-sigma``, ``--class-weights-scope``, …), with
            their defaults; pairs for the ranges, ``None`` for
            ``--class-weights none``.
        flip: False for ``--no-flip``. intensity: False for ``--no-intensity``.
        separate: False for ``--no-separation``.

    Raises:
        TypeError, ValueError: as ``weight_map``; an option out of its range.

    An ``Augmenter`` may be used from several threads at once; the
    computation of a sample runs without the GIL.
    """

    def __init__(
        self,
        images: Sequence[npt.NDArray],
        labels: Sequence[npt.NDArray],
        *,
        seed: Seed = 0,
        grid: int = 3,
        elastic_sigma: float = 10,
        elastic_sigma_z: Optional[float] = None,
        rotate: float = 180,
        shift: float = 0,
        flip: bool = True,
        scale: Optional[Pair] = None,
        interpolation: Literal["cubic", "linear"] = "cubic",
        border: Literal["mirror", "constant", "nearest"] = "mirror",
        intensity: bool = True,
        brightness: Pair = (-0.05, 0.05),
        contrast: Pair = (0.9, 1.1),
        gamma: Pair = (0.9, 1.1),
        noise: Pair = (0.0, 0.02),
        normalize: Literal["percentile", "range", "none"] = "percentile",
        weights: Literal["recompute", "warp"] = "recompute",
        weight_sigma: float = 5,
        w0: float = 10,
        class_weights: Union[Literal["balanced"], None, Pair] = "balanced",
        class_weights_scope: Literal["dataset", "image"] = "dataset",
        separate: bool = True,
        connectivity: int = 4,
        spacing: Optional[Tuple[float, float, float]] = None,
    ) -> None:
        self._handle: Optional[ctypes.c_void_p] = None
        images, labels = list(images), list(labels)
        if not images:
            raise ValueError("an Augmenter needs at least one source")
        if len(images) != len(labels):
            raise ValueError(f"{len(images)} images but {len(labels)} label arrays")
        ids = [labels_uint32(spatial_array(x, f"labels {i}"), f"labels {i}") for i, x in enumerate(labels)]
        ndim = ids[0].ndim
        sources, channels = [], []
        for i, (image, label) in enumerate(zip(images, ids)):
            if not isinstance(image, np.ndarray):
                raise TypeError(f"image {i} must be a numpy.ndarray, got {type(image).__name__}")
            if label.ndim != ndim:
                raise ValueError(f"labels {i} are {label.ndim}-D, labels 0 are {ndim}-D: sources are all images or all volumes")
            if image.dtype not in _IMAGE_TYPES:
                raise TypeError(f"image {i} has dtype {image.dtype}: expected uint8, uint16, uint32, int32 or float32")
            if image.shape[:ndim] != label.shape or image.ndim not in (ndim, ndim + 1) or (ndim == 3 and image.ndim != 3):
                raise ValueError(f"image {i} has shape {image.shape}, its labels {label.shape}")
            c = image.shape[2] if image.ndim == 3 and ndim == 2 else 1
            if not 1 <= c <= 4:
                raise ValueError(f"image {i} has {c} channels: 1 to 4 are allowed")
            if image.size > ELEMENT_LIMIT:
                raise ValueError(f"image {i} of shape {image.shape} exceeds the limit of {ELEMENT_LIMIT} elements")
            sources.append(np.ascontiguousarray(image))
            channels.append(c)
        if spacing is not None and ndim != 3:
            raise ValueError("spacing is for volumes (3-D labels)")
        options = {
            "seed": seed_word(seed), "grid": grid, "elastic_sigma": elastic_sigma,
            "elastic_sigma_z": elastic_sigma_z, "rotate": rotate, "shift": shift, "flip": flip,
            "scale": scale, "interpolation": interpolation, "border": border, "intensity": intensity,
            "brightness": brightness, "contrast": contrast, "gamma": gamma, "noise": noise,
            "normalize": normalize, "weights": weights, "weight_sigma": weight_sigma, "w0": w0,
            "class_weights": class_weights, "class_weights_scope": class_weights_scope,
            "separate": separate, "connectivity": connectivity, "spacing": spacing,
        }
        try:
            text = json.dumps({k: (list(v) if isinstance(v, tuple) else v) for k, v in options.items()},
                              allow_nan=False)
        except (TypeError, ValueError) as error:
            raise ValueError(f"invalid option: {error}") from None
        n = len(sources)
        shapes = (ctypes.c_int64 * (n * ndim))(*[s for x in ids for s in x.shape])
        handle = ctypes.c_void_p()
        message = _native.message_buffer()
        status = _native.lib.unetkit_augmenter_create(
            ndim, n, shapes, (ctypes.c_int32 * n)(*channels),
            (ctypes.c_int32 * n)(*[_IMAGE_TYPES[s.dtype] for s in sources]),
            (ctypes.c_void_p * n)(*[s.ctypes.data for s in sources]),
            (ctypes.c_void_p * n)(*[x.ctypes.data for x in ids]),
            text.encode(), ctypes.byref(handle), message, _native.MESSAGE_CAPACITY,
        )
        _native.check(status, message)
        self._handle = handle
        self._shapes = [x.shape for x in ids]
        self._channels = channels

    def source(self, k: int) -> int:
        """The index of the source that sample ``k`` is made from."""
        return int(_native.lib.unetkit_augmenter_source(self._live(), self._index(k)))

    def sample(self, k: int) -> Dict[str, np.ndarray]:
        """Sample ``k``: ``{"image", "mask", "labels", "weight"}``, as in the shards.

        ``image`` is float32 (normalised, deformed, gray-value varied;
        several channels as ``(C, H, W)``, as in ``image.npy``), ``mask`` uint8 (1 = instance after
        separation), ``labels`` uint32 (the deformed instance ids) and
        ``weight`` float32, each of the source's spatial shape.
        """
        handle = self._live()
        index = self._index(k)
        i = _native.lib.unetkit_augmenter_source(handle, index)
        shape = self._shapes[i]
        c = self._channels[i]
        image = np.empty(((c,) if c > 1 else ()) + shape, dtype=np.float32)
        mask = np.empty(shape, dtype=np.uint8)
        labels = np.empty(shape, dtype=np.uint32)
        weight = np.empty(shape, dtype=np.float32)
        message = _native.message_buffer()
        status = _native.lib.unetkit_augmenter_sample(
            handle, index, image.ctypes.data, mask.ctypes.data, labels.ctypes.data, weight.ctypes.data,
            message, _native.MESSAGE_CAPACITY,
        )
        _native.check(status, message)
        return {"image": image, "mask": mask, "labels": labels, "weight": weight}

    def close(self) -> None:
        """Releases the prepared sources (also done when the object is collected)."""
        if self._handle is not None:
            _native.lib.unetkit_augmenter_free(self._handle)
            self._handle = None

    def __del__(self) -> None:
        self.close()

    def __getstate__(self) -> None:
        raise TypeError("an Augmenter cannot be pickled; create one in each worker")

    def _live(self) -> ctypes.c_void_p:
        if self._handle is None:
            raise ValueError("this Augmenter is closed")
        return self._handle

    @staticmethod
    def _index(k: int) -> int:
        if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
            raise TypeError(f"k must be an int, got {type(k).__name__}")
        if not 0 <= int(k) < 2**64:
            raise ValueError(f"invalid sample index {k}: must be in 0…2**64 - 1")
        return int(k)
