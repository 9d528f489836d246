"""The U-Net weight map and separation of instance labels."""

from __future__ import annotations

import ctypes
import math
from typing import Literal, Optional, Sequence, Tuple, Union

import numpy as np
import numpy.typing as npt

from . import _native
from ._arrays import labels_uint32, pointer, shape_of, spatial_array

ClassWeights = Union[Literal["balanced"], None, Tuple[float, float], Sequence[float]]


def _connectivity(connectivity: int, ndim: int) -> int:
    allowed = {4: 4, 8: 8} if ndim == 2 else {4: 4, 8: 8, 6: 4, 26: 8}
    if isinstance(connectivity, bool) or not isinstance(connectivity, (int, np.integer)):
        raise TypeError(f"connectivity must be an int, got {type(connectivity).__name__}")
    if int(connectivity) not in allowed:
        names = "4 or 8" if ndim == 2 else "4 or 8 (or 6 or 26)"
        raise ValueError(f"invalid connectivity {connectivity} for a {ndim}-D array: must be {names}")
    return allowed[int(connectivity)]


def _number(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    return float(value)


def weight_map(
    labels: npt.ArrayLike,
    *,
    w0: float = 10,
    sigma: float = 5,
    class_weights: ClassWeights = "balanced",
    separate: bool = True,
    connectivity: int = 4,
    spacing: Optional[Tuple[float, float, float]] = None,
) -> Tuple[npt.NDArray[np.float32], npt.NDArray[np.uint8]]:
    """The U-Net weight map and class mask of instance labels, as ``unet weights`` computes them.

    ``w(x) = w_c(x) + w0 · exp(−(d1(x) + d2(x))² / (2σ²))`` (Ronneberger,
    Fischer, Brox, MICCAI 2015, arXiv:1505.04597, eq. 2), where ``d1 ≤ d2``
    are the exact Euclidean distances to the nearest and second-nearest
    instance. The border term is added on background pixels; it is exact up
    to float32 rounding wherever it exceeds ``min(1e-6·w0, 1e-5)``.

    Args:
        labels: a 2-D ``(height, width)`` or 3-D ``(depth, height, width)``
            array of instance ids (0 = background), of an integer or boolean
            dtype. A binary mask (values within {0, 1} or {0, 255}) becomes
            instances by connected components.
        w0: the border term's peak weight, finite and ≥ 0.
        sigma: the border width σ in pixels (volumes: in the unit of
            ``spacing``), finite and > 0.
        class_weights: ``"balanced"`` (``w_c = N / (K·N_k)`` from this
            array's own class counts), ``None`` (``w_c = 1``) or a pair
            ``(background, foreground)``.
        separate: clear the pixels that touch another instance first (the
            paper's Fig. 3c), so that touching cells get a background gap.
        connectivity: of the components of a binary mask: 4 or 8 (in 3-D,
            4 means 6 face neighbours and 8 means 26; 6 and 26 are accepted).
        spacing: ``(z, y, x)`` voxel spacing of a volume; None for (1, 1, 1).

    Returns:
        ``(weights, mask)``: float32 weights and the uint8 class mask
        (1 = instance pixel after separation), of the labels' shape.

    Raises:
        TypeError: labels not an ndarray of integers or booleans.
        ValueError: labels not 2-D or 3-D, empty, with negative ids or ids
            over 2³² − 1, too large (over 2³¹ − 1 elements); a setting out
            of its range (the message names it).

    The computation runs without the GIL, on the calling thread.
    """
    return _weight_map(
        labels, w0=w0, sigma=sigma, class_weights=class_weights, separate=separate,
        connectivity=connectivity, spacing=spacing, with_instances=False,
    )[:2]  # type: ignore[return-value]


def _weight_map(
    labels: npt.ArrayLike, *, w0: float, sigma: float, class_weights: ClassWeights, separate: bool,
    connectivity: int, spacing: Optional[Tuple[float, float, float]], with_instances: bool,
) -> Tuple[npt.NDArray[np.float32], npt.NDArray[np.uint8], Optional[npt.NDArray[np.uint32]]]:
    array = spatial_array(labels, "labels")
    w0 = _number(w0, "w0")
    sigma = _number(sigma, "sigma")
    if class_weights is None:
        mode, background, foreground = 1, 1.0, 1.0
    elif isinstance(class_weights, str):
        if class_weights != "balanced":
            raise ValueError(f"invalid class_weights {class_weights!r}: must be 'balanced', None or a pair")
        mode, background, foreground = 0, 0.0, 0.0
    else:
        pair = tuple(class_weights)
        if len(pair) != 2:
            raise ValueError(f"class_weights must be a (background, foreground) pair, got {len(pair)} values")
        mode = 2
        background = _number(pair[0], "the background class weight")
        foreground = _number(pair[1], "the foreground class weight")
    neighbours = _connectivity(connectivity, array.ndim)
    spacing_c = None
    if spacing is not None:
        if array.ndim != 3:
            raise ValueError("spacing is for 3-D labels (a (z, y, x) triple); these are 2-D")
        values = tuple(spacing)
        if len(values) != 3:
            raise ValueError(f"spacing must be a (z, y, x) triple, got {len(values)} values")
        numbers = [_number(v, "spacing") for v in values]
        if not all(math.isfinite(v) and v > 0 for v in numbers):
            raise ValueError(f"invalid spacing {values}: every value must be finite and > 0")
        spacing_c = (ctypes.c_double * 3)(*numbers)
    source = labels_uint32(array, "labels")
    weights = np.empty(source.shape, dtype=np.float32)
    mask = np.empty(source.shape, dtype=np.uint8)
    instances = np.empty(source.shape, dtype=np.uint32) if with_instances else None
    message = _native.message_buffer()
    status = _native.lib.unetkit_weight_map(
        pointer(source, ctypes.c_uint32), source.ndim, shape_of(source),
        w0, sigma, mode, background, foreground, 1 if separate else 0, neighbours, spacing_c,
        pointer(weights, ctypes.c_float), pointer(mask, ctypes.c_uint8),
        pointer(instances, ctypes.c_uint32) if instances is not None else None,
        message, _native.MESSAGE_CAPACITY,
    )
    _native.check(status, message)
    return weights, mask, instances


def separate(labels: npt.ArrayLike, *, connectivity: int = 4) -> npt.NDArray[np.uint32]:
    """Instance labels with every pixel that touches another instance cleared.

    The separation of ``weight_map`` on its own (the paper's Fig. 3c): a
    pixel becomes background when one of its 8 neighbours (26 in 3-D)
    belongs to another instance. A binary mask is first split into its
    connected components (``connectivity`` as in ``weight_map``).

    Returns:
        uint32 instance ids of the labels' shape.
    """
    array = spatial_array(labels, "labels")
    neighbours = _connectivity(connectivity, array.ndim)
    source = labels_uint32(array, "labels")
    out = np.empty(source.shape, dtype=np.uint32)
    message = _native.message_buffer()
    status = _native.lib.unetkit_separate(
        pointer(source, ctypes.c_uint32), source.ndim, shape_of(source), neighbours,
        pointer(out, ctypes.c_uint32), message, _native.MESSAGE_CAPACITY,
    )
    _native.check(status, message)
    return out
