"""Checks and conversions of the numpy arrays passed to the library."""

from __future__ import annotations

import ctypes
from typing import Any

import numpy as np
import numpy.typing as npt

_UINT32_MAX = 2**32 - 1
# The library's limit per array (its resamplers index with 32-bit integers).
ELEMENT_LIMIT = 2**31 - 1


def spatial_array(array: Any, name: str) -> np.ndarray:
    """``array`` as an ndarray of 2 or 3 dimensions with no empty side."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"{name} must be a numpy.ndarray, got {type(array).__name__}")
    if array.ndim not in (2, 3):
        raise ValueError(
            f"{name} must be 2-D (height, width) or 3-D (depth, height, width), got {array.ndim}-D shape {array.shape}"
        )
    if array.size == 0:
        raise ValueError(f"{name} is empty (shape {array.shape})")
    if array.size > ELEMENT_LIMIT or max(array.shape) > ELEMENT_LIMIT:
        raise ValueError(f"{name} of shape {array.shape} exceeds the limit of {ELEMENT_LIMIT} elements")
    return array


def labels_uint32(array: np.ndarray, name: str) -> np.ndarray:
    """Integer or boolean labels as a C-contiguous uint32 array.

    A C-contiguous uint32 array is used as it is; other integer dtypes are
    converted (their values must lie in 0 … 2³² − 1).
    """
    dtype = array.dtype
    if dtype == np.bool_:
        return np.ascontiguousarray(array, dtype=np.uint32)
    if not np.issubdtype(dtype, np.integer):
        raise TypeError(f"{name} must hold integers or booleans, got dtype {dtype}")
    if dtype != np.uint32:
        low, high = int(array.min()), int(array.max())
        if low < 0 or high > _UINT32_MAX:
            raise ValueError(f"{name} has values in {low}…{high}: ids must lie in 0…{_UINT32_MAX}")
    return np.ascontiguousarray(array, dtype=np.uint32)


def float32(array: np.ndarray, name: str) -> np.ndarray:
    """A floating-point array as a C-contiguous float32 array."""
    if not np.issubdtype(array.dtype, np.floating):
        raise TypeError(f"{name} must hold floating-point values, got dtype {array.dtype}")
    return np.ascontiguousarray(array, dtype=np.float32)


def shape_of(array: np.ndarray) -> Any:
    """The array's shape as a C ``int64_t[ndim]``."""
    return (ctypes.c_int64 * array.ndim)(*array.shape)


def pointer(array: npt.NDArray[Any], ctype: Any) -> Any:
    """A typed pointer to a C-contiguous array's first element."""
    return array.ctypes.data_as(ctypes.POINTER(ctype))
