"""Quantization arithmetic the converter precomputes for the int8 kernels.

Everything here reproduces TensorFlow Lite (Micro)'s own prepare-time computations bit for
bit, including which intermediate values are float32 and which are double, because a
multiplier that differs in its last bit changes int8 outputs:

- `quantize_multiplier`: TFLite's QuantizeMultiplier (frexp, round half away from zero,
  the 2^31 overflow case, tiny multipliers flushed to 0).
- `activation_range` / `activation_range_float`: CalculateActivationRangeQuantized and
  CalculateActivationRange.
- `conv_multiplier` (per-tensor FULLY_CONNECTED) and
  `per_channel_multipliers` (conv/depthwise and per-channel FULLY_CONNECTED; double).
"""

import math
from typing import List, Sequence, Tuple

import numpy as np

INT_RANGES = {
    "int8": (-128, 127),
    "uint8": (0, 255),
    "int16": (-32768, 32767),
    "int32": (-(2**31), 2**31 - 1),
}

ACTIVATIONS = ("NONE", "RELU", "RELU6", "RELU_N1_TO_1")

FLOAT32_MAX = float(np.finfo(np.float32).max)


def round_half_away(x: float) -> int:
    """std::round: to nearest, ties away from zero (Python's round() ties to even)."""
    return int(math.floor(abs(x) + 0.5)) * (1 if x >= 0 else -1)


class ScaleRangeError(ValueError):
    """A rescale factor the int8 kernels cannot represent: the model's quantization
    parameters are corrupt. `ops.lower` reports it naming the file and the operator."""


MAX_SHIFT = 31  # kernels shift a uint32 left by up to `shift`: 32 or more is undefined


def quantize_multiplier(real: float) -> Tuple[int, int]:
    """TFLite's QuantizeMultiplier: real ~= multiplier * 2^(shift - 31).

    Returns (multiplier in [2^30, 2^31) or 0, shift). Negative multipliers keep their sign
    (TFLite allows them; none of our ops produce one). A factor of 2^MAX_SHIFT or more, or
    not finite, raises ScaleRangeError (TFLite would shift by 32+ bits: undefined).
    """
    real = float(real)
    if real == 0.0:
        return 0, 0
    if not math.isfinite(real):
        raise ScaleRangeError(f"rescale factor {real}")
    q, shift = math.frexp(real)
    q_fixed = round_half_away(q * (1 << 31))
    if q_fixed == (1 << 31):
        q_fixed //= 2
        shift += 1
    if shift > MAX_SHIFT:
        raise ScaleRangeError(f"rescale factor {real:g}, at least 2^{MAX_SHIFT}")
    if shift < -31:
        # Every bit would be shifted out: TFLite flushes such multipliers to zero.
        return 0, 0
    return int(q_fixed), int(shift)


def quantize_multiplier_greater_than_one(real: float) -> Tuple[int, int]:
    """TFLite's QuantizeMultiplierGreaterThanOne: (multiplier, left_shift >= 0)."""
    multiplier, shift = quantize_multiplier(real)
    if shift < 0:
        raise ScaleRangeError(f"rescale factor {real:g}, below one where it must be at least one")
    return multiplier, shift


def quantize_multiplier_smaller_than_one(real: float) -> Tuple[int, int]:
    """TFLite's QuantizeMultiplierSmallerThanOneExp: (multiplier, shift <= 0)."""
    multiplier, shift = quantize_multiplier(real)
    if shift > 0:
        raise ScaleRangeError(f"rescale factor {real:g}, at least one where it must be below one")
    return multiplier, shift


def f32(x: float) -> np.float32:
    return np.float32(x)


def conv_multiplier(input_scale: float, filter_scale: float, output_scale: float) -> float:
    """GetQuantizedConvolutionMultipler (per-tensor FULLY_CONNECTED): the float32 scales
    widened to double, multiplied and divided in double."""
    product = float(f32(input_scale)) * float(f32(filter_scale))
    return product / float(f32(output_scale))


def per_channel_effective_scales(
    input_scale: float, filter_scales: Sequence[float], output_scale: float
) -> List[float]:
    """PopulateConvolutionQuantizationParams: input * filter[c] / output, all in double
    (the float32 scales widened first)."""
    i = float(f32(input_scale))
    o = float(f32(output_scale))
    return [i * float(f32(s)) / o for s in filter_scales]


def per_channel_multipliers(
    input_scale: float, filter_scales: Sequence[float], output_scale: float
) -> Tuple[List[int], List[int]]:
    """Per-channel (multiplier, shift) lists for conv, depthwise conv and per-channel FC."""
    pairs = [quantize_multiplier(s) for s in per_channel_effective_scales(input_scale, filter_scales, output_scale)]
    return [m for m, _ in pairs], [s for _, s in pairs]


def quantize_value(f: float, scale: float, zero_point: int) -> int:
    """zero_point + round(f / scale) with the division in float32, as TFLite's lambda does."""
    return int(zero_point) + round_half_away(float(f32(f) / f32(scale)))


def activation_range(act: str, dtype: str, scale: float, zero_point: int) -> Tuple[int, int]:
    """CalculateActivationRangeQuantized: the clamp range of a fused activation on a
    quantized output of `dtype` with the given scale and zero point."""
    qmin, qmax = INT_RANGES[dtype]
    if act == "RELU":
        return max(qmin, quantize_value(0.0, scale, zero_point)), qmax
    if act == "RELU6":
        return (
            max(qmin, quantize_value(0.0, scale, zero_point)),
            min(qmax, quantize_value(6.0, scale, zero_point)),
        )
    if act == "RELU_N1_TO_1":
        return (
            max(qmin, quantize_value(-1.0, scale, zero_point)),
            min(qmax, quantize_value(1.0, scale, zero_point)),
        )
    if act == "NONE":
        return qmin, qmax
    raise ValueError(f"unknown fused activation {act!r}")


def activation_range_float(act: str) -> Tuple[float, float]:
    """CalculateActivationRange for float32 outputs."""
    if act == "RELU":
        return 0.0, FLOAT32_MAX
    if act == "RELU6":
        return 0.0, 6.0
    if act == "RELU_N1_TO_1":
        return -1.0, 1.0
    if act == "NONE":
        return -FLOAT32_MAX, FLOAT32_MAX
    raise ValueError(f"unknown fused activation {act!r}")


# --- bit-exact Python models of the fixed-point helpers (fixedpoint.hpp), for tests and for
# converter-side table generation.

INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1


def wrap_i32(x: int) -> int:
    return ((x + 2**31) % 2**32) - 2**31


def srdhm(a: int, b: int) -> int:
    """SaturatingRoundingDoublingHighMul."""
    if a == b == INT32_MIN:
        return INT32_MAX
    ab = a * b
    nudge = (1 << 30) if ab >= 0 else (1 - (1 << 30))
    v = ab + nudge
    q = abs(v) // (1 << 31)  # C++ division truncates toward zero
    return wrap_i32(q if v >= 0 else -q)


def rounding_divide_by_pot(x: int, exponent: int) -> int:
    mask = (1 << exponent) - 1
    remainder = x & mask
    threshold = (mask >> 1) + (1 if x < 0 else 0)
    return (x >> exponent) + (1 if remainder > threshold else 0)


def multiply_by_quantized_multiplier(x: int, multiplier: int, shift: int) -> int:
    left = shift if shift > 0 else 0
    right = 0 if shift > 0 else -shift
    return rounding_divide_by_pot(srdhm(wrap_i32(x << left), multiplier), right)


def requantize(acc: np.ndarray, multiplier: int, shift: int) -> np.ndarray:
    """Vectorized multiply_by_quantized_multiplier over an int array (int64 arithmetic)."""
    acc = np.asarray(acc, dtype=np.int64)
    left = shift if shift > 0 else 0
    right = 0 if shift > 0 else -shift
    x = ((acc << left) + 2**31) % 2**32 - 2**31
    ab = x * np.int64(multiplier)
    nudge = np.where(ab >= 0, 1 << 30, 1 - (1 << 30))
    v = ab + nudge
    high = np.where(v >= 0, v // (1 << 31), -((-v) // (1 << 31)))
    high = np.where((x == INT32_MIN) & (multiplier == INT32_MIN), INT32_MAX, high)
    mask = (1 << right) - 1
    remainder = high & mask
    threshold = (mask >> 1) + (high < 0)
    return (high >> right) + (remainder > threshold)
