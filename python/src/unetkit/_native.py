"""Loading of the bundled ``libunetkit.so`` and its C signatures (``unetkit.h``)."""

from __future__ import annotations

import ctypes
import os
from pathlib import Path

_HERE = Path(__file__).resolve().parent

OK = 0
INVALID_ARGUMENT = 1
TOO_LARGE = 2

FLOAT32 = 0
UINT32 = 1

MESSAGE_CAPACITY = 1024


def _library_path() -> Path:
    override = os.environ.get("UNETKIT_LIBRARY")
    if override:
        return Path(override)
    return _HERE / "libunetkit.so"


def _load() -> ctypes.CDLL:
    path = _library_path()
    if not path.exists():
        raise ImportError(
            f"unetkit: {path} is missing; install the package with "
            "`pip install ./python` from a UNetKit clone (it builds the library)"
        )
    # ctypes.CDLL releases the GIL for the length of every call.
    lib = ctypes.CDLL(str(path))
    u32p = ctypes.POINTER(ctypes.c_uint32)
    i64p = ctypes.POINTER(ctypes.c_int64)
    i32p = ctypes.POINTER(ctypes.c_int32)
    dp = ctypes.POINTER(ctypes.c_double)
    fp = ctypes.POINTER(ctypes.c_float)
    u8p = ctypes.POINTER(ctypes.c_uint8)
    msg = (ctypes.c_char_p, ctypes.c_int64)

    lib.unetkit_abi_version.argtypes = []
    lib.unetkit_abi_version.restype = ctypes.c_int32

    lib.unetkit_weight_map.argtypes = [
        u32p, ctypes.c_int32, i64p,
        ctypes.c_double, ctypes.c_double, ctypes.c_int32, ctypes.c_double, ctypes.c_double,
        ctypes.c_int32, ctypes.c_int32, dp, fp, u8p, u32p, *msg,
    ]
    lib.unetkit_weight_map.restype = ctypes.c_int32

    lib.unetkit_separate.argtypes = [u32p, ctypes.c_int32, i64p, ctypes.c_int32, u32p, *msg]
    lib.unetkit_separate.restype = ctypes.c_int32

    lib.unetkit_elastic.argtypes = [
        ctypes.c_int32, i64p, ctypes.c_int32, i32p, i32p,
        ctypes.POINTER(ctypes.c_void_p), ctypes.POINTER(ctypes.c_void_p),
        ctypes.c_double, ctypes.c_int32, ctypes.c_double, ctypes.c_double, ctypes.c_int32,
        ctypes.c_double, ctypes.c_double, ctypes.c_int32, ctypes.c_uint64, *msg,
    ]
    lib.unetkit_elastic.restype = ctypes.c_int32

    vp = ctypes.c_void_p
    lib.unetkit_augmenter_create.argtypes = [
        ctypes.c_int32, ctypes.c_int32, i64p, i32p, i32p, ctypes.POINTER(vp), ctypes.POINTER(vp),
        ctypes.c_char_p, ctypes.POINTER(vp), *msg,
    ]
    lib.unetkit_augmenter_create.restype = ctypes.c_int32
    lib.unetkit_augmenter_source.argtypes = [vp, ctypes.c_uint64]
    lib.unetkit_augmenter_source.restype = ctypes.c_int32
    lib.unetkit_augmenter_sample.argtypes = [vp, ctypes.c_uint64, vp, vp, vp, vp, *msg]
    lib.unetkit_augmenter_sample.restype = ctypes.c_int32
    lib.unetkit_augmenter_free.argtypes = [vp]
    lib.unetkit_augmenter_free.restype = None

    if lib.unetkit_abi_version() != 1:
        raise ImportError(f"unetkit: {path} has interface version {lib.unetkit_abi_version()}, expected 1")
    return lib


lib = _load()


def message_buffer() -> ctypes.Array[ctypes.c_char]:
    """A buffer for one call's error message."""
    return ctypes.create_string_buffer(MESSAGE_CAPACITY)


def check(status: int, message: ctypes.Array[ctypes.c_char]) -> None:
    """Raises ``ValueError`` with the library's one-line message unless ``status`` is OK."""
    if status != OK:
        raise ValueError(message.value.decode("utf-8", "replace") or f"unetkit: error {status}")
