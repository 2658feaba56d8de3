"""float32 -> int8 QUANTIZE without floating point: the 255 input thresholds.

TFLite Micro's AffineQuantize computes round_half_away(x / scale) + zero_point in float32
and clamps it to [-128, 127]. That map is monotonic in x, so it is fully described by the
255 smallest floats at which the output steps up. The converter finds them here (a binary
search over the float32 bit patterns, evaluating TFLite's arithmetic in numpy), and the
kernel counts how many a value reaches: eight integer compares, no division, no library
call, the same integers on cores without an FPU.

Floats are compared as `sortable_key`s: the bit pattern as int32 with the magnitude bits
of negative values flipped, which orders every non-NaN float (-0.0 just below +0.0, and
both quantize alike) as the signed integers order their keys. NaN quantizes to the zero
point, as the kernel's floating-point form does.
"""

from typing import List

import numpy as np

INT8_MIN, INT8_MAX = -128, 127


def sortable_key(bits: np.ndarray) -> np.ndarray:
    """int64 keys of float32 bit patterns (as uint32/int64), ordered as the floats are."""
    b = np.asarray(bits, dtype=np.int64) & 0xFFFFFFFF
    signed = np.where(b >= 1 << 31, b - (1 << 32), b)
    return np.where(signed < 0, signed ^ 0x7FFFFFFF, signed)


def _bits_of_key(key: np.ndarray) -> np.ndarray:
    k = np.asarray(key, dtype=np.int64)
    signed = np.where(k < 0, k ^ 0x7FFFFFFF, k)
    return (signed & 0xFFFFFFFF).astype(np.uint32)


def quantize_reference(x: np.ndarray, scale: float, zero_point: int) -> np.ndarray:
    """TFLite's float32 AffineQuantize to int8 (NaN -> zero point), vectorized."""
    x = np.asarray(x, dtype=np.float32)
    with np.errstate(all="ignore"):
        q = (x / np.float32(scale)).astype(np.float64)  # an IEEE float32 quotient
    q = np.where(np.isnan(q), 0.0, q)
    q = np.clip(q, INT8_MIN - zero_point - 1.0, INT8_MAX - zero_point + 1.0)
    r = np.sign(q) * np.floor(np.abs(q) + 0.5)  # exact in float64 for |q| < 2^52
    return np.clip(r.astype(np.int64) + zero_point, INT8_MIN, INT8_MAX)


KEY_NEG_INF = int(sortable_key(np.array([0xFF800000]))[0])
KEY_POS_INF = int(sortable_key(np.array([0x7F800000]))[0])


def thresholds(scale: float, zero_point: int) -> List[int]:
    """Key t[k] (k = 0..254): the smallest float whose quantized value is at least
    -127 + k; the output of x is -128 + (number of t[k] <= sortable_key(x))."""
    targets = np.arange(INT8_MIN + 1, INT8_MAX + 1, dtype=np.int64)
    # -inf quantizes to -128 and +inf to 127, so each first key reaching its target lies
    # in (-inf, +inf]: bisect every target at once.
    lo = np.full(targets.shape, KEY_NEG_INF, dtype=np.int64)
    hi = np.full(targets.shape, KEY_POS_INF, dtype=np.int64)
    while np.any(lo < hi):
        mid = lo + (hi - lo) // 2
        reached = quantize_reference(_bits_of_key(mid).view(np.float32), scale, zero_point) >= targets
        hi = np.where(reached, mid, hi)
        lo = np.where(reached, lo, mid + 1)
    return [int(v) for v in lo]
