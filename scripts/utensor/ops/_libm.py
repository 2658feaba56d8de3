"""The C library's float32 math functions, for tables the converter computes the way
TFLite Micro computes them at run time (in float32 with the platform's libm: expf, logf,
...). numpy's float32 functions use their own vectorized implementations, which can differ
from libm in the last bit and so flip a rounding; the C library's are the ones
tflite_micro (the oracle) calls. Without a loadable libm, numpy's are used."""

import ctypes
import ctypes.util
from typing import Callable

import numpy as np


def _load():
    name = ctypes.util.find_library("m")
    try:
        return ctypes.CDLL(name) if name else None
    except OSError:
        return None


_LIBM = _load()


def float_function(name: str, fallback: Callable) -> Callable[[float], np.float32]:
    """libm's `name` (e.g. "expf") as float32 -> float32, or numpy's `fallback`."""
    fn = getattr(_LIBM, name, None) if _LIBM is not None else None
    if fn is None:
        return lambda x: np.float32(fallback(np.float32(x)))
    fn.restype = ctypes.c_float
    fn.argtypes = [ctypes.c_float]
    return lambda x: np.float32(fn(float(np.float32(x))))


expf = float_function("expf", np.exp)
logf = float_function("logf", np.log)
sqrtf = float_function("sqrtf", np.sqrt)
