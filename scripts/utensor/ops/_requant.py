"""The per-channel constants of the kernels' fast requantization (kernel_util.hpp's
FastRequant), and the proof that it equals TFLite's MultiplyByQuantizedMultiplier for the
layer.

TFLite: y = RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(acc << left, m), right)
+ zero_point. With m in [2^30, 2^31) (never INT32_MIN: no saturation) the doubling high
multiply is (acc * 2^left * m + 2^30) >> 31, which is SMMULR((acc << (left + 1)), m) as long
as acc << (left + 1) fits in int32. For right >= 1, RoundingDivideByPOT(x, right) + zp is
(x + 2^(right-1) + zp * 2^right - (x < 0)) >> right, as long as that sum fits in int32.

So the fast form is used only when the converter can bound every accumulator the layer can
produce (`acc_bound`: from the bias and the weights, for any int8 input) and every
channel's right shift is in [1, 22]; otherwise `fast_requant` returns None and the kernel
keeps the general form. The identity is checked exhaustively over edge cases in
test/test_requant.py against quantization.multiply_by_quantized_multiplier.
"""

from typing import Dict, List, Optional, Sequence

import numpy as np

MAX_POST_SHIFT = 22  # |x| < 2^30 and |offset| <= 2^21 + 128 * 2^22 keep the sum in int32


def accumulator_bound(weights: np.ndarray, bias, channel_axis: int, input_range: int = 255) -> List[int]:
    """Per output channel, the largest |acc| any input can produce: |bias| + sum |w| *
    input_range, where input_range bounds |input - input_zero_point| (255 for int8)."""
    axes = tuple(a for a in range(weights.ndim) if a != channel_axis)
    sums = np.abs(weights.astype(np.int64)).sum(axis=axes) * int(input_range)
    b = np.abs(np.asarray(bias, dtype=np.int64).reshape(-1)) if bias is not None else 0
    return [int(v) for v in (sums + b)]


def fast_requant(multipliers: Sequence[int], shifts: Sequence[int], output_zero_point: int,
                 acc_bounds: Sequence[int]) -> Optional[List[Dict[str, int]]]:
    """Per channel the FastRequant entry (multiplier, pre_shift, post_shift, offset, by
    field name), or None when the fast form is not provably exact for these accumulators
    (see the module docstring)."""
    table = []
    for m, shift, bound in zip(multipliers, shifts, acc_bounds):
        m, shift, bound = int(m), int(shift), int(bound)
        if m < 0:
            return None
        left = max(shift, 0)
        right = max(-shift, 0)
        pre = left + 1
        if not 1 <= right <= MAX_POST_SHIFT or bound * (1 << pre) >= 2**31:
            return None
        offset = (1 << (right - 1)) + int(output_zero_point) * (1 << right)
        table.append(dict(multiplier=m, pre_shift=pre, post_shift=right, offset=offset))
    return table


def fast_requantize(acc: int, entry: Dict[str, int]) -> int:
    """The kernels' fast_requantize in Python (before the activation clamp), for tests."""
    m, pre, post, offset = (int(entry[k]) for k in ("multiplier", "pre_shift", "post_shift", "offset"))
    a = ((acc << pre) + 2**31) % 2**32 - 2**31
    x = (a * m + (1 << 31)) >> 32
    return (x + offset - (1 if x < 0 else 0)) >> post


def split_fast_requant(multipliers: Sequence[int], shifts: Sequence[int],
                       acc_bounds: Sequence[int]) -> bool:
    """Whether the DSP convolution's fast requantization is exact for every channel and
    every accumulator within acc_bounds. Per channel with multiplier m in [2^30, 2^31):
      x = SMMLAR(acc, 2m - 2^32, acc) = (acc * 2^32 + acc * (2m - 2^32) + 2^31) >> 32
        = (acc * m + 2^30) >> 31 = SaturatingRoundingDoublingHighMul(acc, m)
    for every int32 acc (no shift before the multiply, hence no bound on acc for it), then
      y = ((x + 2^(right - 1) - (x < 0)) >> right) + zero point = RoundingDivideByPOT + zp
    which needs no left shift, right in [1, 31] and x + 2^(right - 1) < 2^31, where
    |x| <= |acc| * m / 2^31 + 1. A zero multiplier (a zero scale) gives the zero point: the
    kernel clears such a channel's accumulators (x = 0) and any right shift, 0 included,
    keeps 0."""
    for m, shift, bound in zip(multipliers, shifts, acc_bounds):
        m, shift, bound = int(m), int(shift), int(bound)
        if m == 0:
            continue
        right = -shift
        if not (1 << 30) <= m < (1 << 31) or not 1 <= right <= 31:
            return False
        if bound >= 2**31 or (bound * m >> 31) + 1 + (1 << (right - 1)) >= 2**31:
            return False
    return True


def split_fast_requantize(acc: int, multiplier: int, shift: int, zero_point: int) -> int:
    """The DSP convolution's fast requantization in Python (before the clamp), for tests."""
    m, post = int(multiplier), -int(shift)
    if m == 0:
        x = 0
    else:
        product = (acc << 32) + acc * (2 * m - 2**32) + 2**31
        x = ((product >> 32) + 2**31) % 2**32 - 2**31  # SMMLAR keeps bits 63:32
    return ((x + ((1 << post) >> 1) - (1 if x < 0 else 0)) >> post) + int(zero_point)
