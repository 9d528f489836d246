"""One random elastic deformation applied to several arrays."""

from __future__ import annotations

import ctypes
import math
import secrets
from typing import Literal, Optional, Sequence, Tuple, Union

import numpy as np
import numpy.typing as npt

from . import _native
from ._arrays import float32, labels_uint32, shape_of, spatial_array

Seed = Union[int, np.integer, np.random.Generator, None]
Border = Literal["mirror", "constant", "nearest"]
_BORDERS = {"mirror": 0, "constant": 1, "nearest": 2}


def seed_word(seed: Seed) -> int:
    """A 64-bit seed from an int, a ``numpy.random.Generator`` or None (fresh entropy)."""
    if seed is None:
        return secrets.randbits(64)
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(0, 2**64, dtype=np.uint64))
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int, a numpy.random.Generator or None, got {type(seed).__name__}")
    if not 0 <= int(seed) < 2**64:
        raise ValueError(f"invalid seed {seed}: must be in 0…2**64 - 1")
    return int(seed)


def _number(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    return float(value)


def elastic(
    *arrays: npt.NDArray,
    order: Union[int, Sequence[int], None] = None,
    sigma: float = 10,
    grid: int = 3,
    rotate: float = 0,
    shift: float = 0,
    flip: bool = False,
    scale: Optional[Tuple[float, float]] = None,
    border: Border = "mirror",
    seed: Seed = None,
) -> Tuple[npt.NDArray, ...]:
    """Deforms every array with one random elastic (and optional affine) draw.

    As elasticdeform's list form (``deform_random_grid([image, labels],
    order=[3, 0])``) and ``unet augment``: a ``grid × grid`` (× ``grid``)
    lattice of control points gets displacements drawn from N(0, σ²) per
    axis, interpolated bicubically into a dense map; rotation, shift, flips
    and scaling about the centre are composed with it; each array is then
    resampled along that one map.

    Args:
        arrays: arrays of one shape, 2-D ``(height, width)`` or 3-D
            ``(depth, height, width)``. Floating-point arrays (float32,
            float64, float16) are interpolated and come back in their dtype
            (computed in float32); integer and boolean arrays are labels,
            resampled by nearest neighbour with their ids kept, in their dtype.
        order: one interpolation for all arrays or one per array: 3 cubic
            (Keys, a = −0.5, no prefilter), 1 linear, 0 nearest. Labels
            take 0 only. Default: 3 for floating-point arrays, 0 for labels.
        sigma: standard deviation of the control-point displacements, in
            pixels, ≥ 0.
        grid: control points per axis, 2 … 1024.
        rotate: the angle is uniform in ``[−rotate, rotate]`` degrees (0 … 180).
        shift: a translation uniform in ``[−shift, shift]`` pixels per axis.
        flip: mirror each axis with probability ½.
        scale: ``(low, high)``: a zoom factor uniform in that range; None for none.
        border: what positions outside read: ``"mirror"`` (reflect about the
            edge pixels, scipy's ``mirror``), ``"constant"`` (0) or
            ``"nearest"`` (the edge pixel).
        seed: an int (0 … 2⁶⁴ − 1), a ``numpy.random.Generator`` (one
            64-bit word is drawn from it) or None (fresh entropy). The draw
            for an int seed is that of ``SplitMix64(seed)`` in ``unet augment``.

    Returns:
        A tuple with one deformed array per input, in the input's dtype and shape.

    Raises:
        TypeError: an argument of the wrong type or dtype; an interpolating
            order for labels.
        ValueError: no arrays, shapes that differ, arrays not 2-D or 3-D,
            empty or too large; a setting out of its range.

    The computation runs without the GIL, on the calling thread.
    """
    if not arrays:
        raise ValueError("elastic needs at least one array")
    checked = [spatial_array(a, f"array {i}") for i, a in enumerate(arrays)]
    shape = checked[0].shape
    for i, a in enumerate(checked[1:], start=1):
        if a.shape != shape:
            raise ValueError(f"array {i} has shape {a.shape}, array 0 has {shape}: all must have one shape")
    is_label = []
    for i, a in enumerate(checked):
        if a.dtype == np.bool_ or np.issubdtype(a.dtype, np.integer):
            is_label.append(True)
        elif np.issubdtype(a.dtype, np.floating):
            is_label.append(False)
        else:
            raise TypeError(f"array {i} has dtype {a.dtype}: expected floating-point values or integer labels")
    if order is None:
        orders = [0 if label else 3 for label in is_label]
    elif isinstance(order, (int, np.integer)) and not isinstance(order, bool):
        orders = [int(order)] * len(checked)
    else:
        orders = [int(o) for o in order]  # type: ignore[union-attr]
        if len(orders) != len(checked):
            raise ValueError(f"order has {len(orders)} values for {len(checked)} arrays")
    for i, (o, label) in enumerate(zip(orders, is_label)):
        if o not in (0, 1, 3):
            raise ValueError(f"invalid order {o} of array {i}: must be 3 (cubic), 1 (linear) or 0 (nearest)")
        if label and o != 0:
            raise TypeError(
                f"array {i} holds integer labels (dtype {checked[i].dtype}): order must be 0, got {o};"
                " interpolating ids would invent new ones"
            )
    if border not in _BORDERS:
        raise ValueError(f"invalid border {border!r}: must be 'mirror', 'constant' or 'nearest'")
    if isinstance(grid, bool) or not isinstance(grid, (int, np.integer)):
        raise TypeError(f"grid must be an int, got {type(grid).__name__}")
    if scale is None:
        low = high = 1.0
    else:
        pair = tuple(scale)
        if len(pair) != 2:
            raise ValueError(f"scale must be a (low, high) pair, got {len(pair)} values")
        low, high = _number(pair[0], "scale"), _number(pair[1], "scale")
        if not (math.isfinite(low) and math.isfinite(high) and 0 < low <= high):
            raise ValueError(f"invalid scale {scale}: must be finite, > 0 and low <= high")
    word = seed_word(seed)

    sources = [labels_uint32(a, f"array {i}") if label else float32(a, f"array {i}")
               for i, (a, label) in enumerate(zip(checked, is_label))]
    outputs = [np.empty(shape, dtype=s.dtype) for s in sources]
    n = len(sources)
    kinds = (ctypes.c_int32 * n)(*[_native.UINT32 if label else _native.FLOAT32 for label in is_label])
    orders_c = (ctypes.c_int32 * n)(*orders)
    inputs_c = (ctypes.c_void_p * n)(*[s.ctypes.data for s in sources])
    outputs_c = (ctypes.c_void_p * n)(*[o.ctypes.data for o in outputs])
    message = _native.message_buffer()
    status = _native.lib.unetkit_elastic(
        len(shape), shape_of(sources[0]), n, kinds, orders_c, inputs_c, outputs_c,
        _number(sigma, "sigma"), int(grid), _number(rotate, "rotate"), _number(shift, "shift"),
        1 if flip else 0, low, high, _BORDERS[border], word, message, _native.MESSAGE_CAPACITY,
    )
    _native.check(status, message)
    return tuple(
        out if out.dtype == a.dtype else out.astype(a.dtype, copy=False)
        for out, a in zip(outputs, checked)
    )
