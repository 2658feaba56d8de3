"""TFLite's GetInvSqrtQuantizedMultiplierExp as a bit-exact Python model (the runtime's C++
form is in kernels/reference/normalization.cpp): 1/sqrt(x) for an int32 x > 1 as a Q31
multiplier and a shift, by five Newton-Raphson steps in gemmlowp Q3.28."""

from typing import Tuple

from ..quantization import INT32_MAX, srdhm, wrap_i32
from ._gemmlowp import sat_mul_pot


def inv_sqrt_multiplier_exp(value: int, reverse_shift: int) -> Tuple[int, int]:
    if value <= 1:
        return INT32_MAX, 0
    shift = 11
    while value >= (1 << 29):
        value = value // 4  # positive: C division
        shift += 1
    clz = 32 - value.bit_length()
    left_pairs = (clz - 1) // 2 - 1
    shift -= left_pairs
    value <<= 2 * left_pairs
    half_input = sat_mul_pot(value >> 1, -1)
    half_three = (1 << 28) + (1 << 27)
    x = 1 << 28
    for _ in range(5):
        x3 = sat_mul_pot(srdhm(srdhm(x, x), x), 6)
        x = sat_mul_pot(wrap_i32(srdhm(half_three, x) - srdhm(half_input, x3)), 3)
    x = srdhm(x, 1518500250)
    if shift < 0:
        x = wrap_i32(x << -shift)
        shift = 0
    return x, shift * reverse_shift
