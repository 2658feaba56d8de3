"""Bit-exact Python models of the gemmlowp / TFLite fixed-point routines behind TFLite's
int8 LOGISTIC, TANH and HARD_SWISH.

Those operators map one int8 value to one int8 value, so the converter evaluates them for
all 256 inputs here, exactly as TFLite Micro's reference kernels would, and the runtime
only looks the result up (runtime/include/utensor/kernels/activations.hpp). Raw values
are Python ints holding int32 (or int16) fixed-point numbers; `int_bits` is the number of
integer bits of the Q format (gemmlowp's tIntegerBits).
"""

from ..quantization import INT32_MAX, INT32_MIN, rounding_divide_by_pot, srdhm, wrap_i32


def sat_mul_pot(x: int, exponent: int) -> int:
    """SaturatingRoundingMultiplyByPOT for int32."""
    if exponent > 0:
        threshold = (1 << (31 - exponent)) - 1
        if x > threshold:
            return INT32_MAX
        if x < -threshold:
            return INT32_MIN
        return x << exponent
    if exponent < 0:
        return rounding_divide_by_pot(x, -exponent)
    return x


def rescale(x: int, src_bits: int, dst_bits: int) -> int:
    return sat_mul_pot(x, src_bits - dst_bits)


def exp_on_interval_between_negative_one_quarter_and_0_excl(a: int) -> int:
    constant_term = 1895147668
    constant_1_over_3 = 715827883
    x = wrap_i32(a + (1 << 28))
    x2 = srdhm(x, x)
    x3 = srdhm(x2, x)
    x4 = srdhm(x2, x2)
    x4_over_4 = sat_mul_pot(x4, -2)
    poly = sat_mul_pot(wrap_i32(srdhm(wrap_i32(x4_over_4 + x3), constant_1_over_3) + x2), -1)
    return wrap_i32(constant_term + srdhm(constant_term, wrap_i32(x + poly)))


BARREL = ((-2, 1672461947), (-1, 1302514674), (0, 790015084), (1, 290630308), (2, 39332535),
          (3, 720401), (4, 242))


def exp_on_negative_values(a: int, int_bits: int) -> int:
    frac_bits = 31 - int_bits
    one_quarter = 1 << (frac_bits - 2)
    mask = one_quarter - 1
    a_mod = wrap_i32((a & mask) - one_quarter)
    result = exp_on_interval_between_negative_one_quarter_and_0_excl(rescale(a_mod, int_bits, 0))
    remainder = wrap_i32(a_mod - a)
    for exponent, multiplier in BARREL:
        if int_bits > exponent:
            if remainder & (1 << (frac_bits + exponent)):
                result = srdhm(result, multiplier)
    if int_bits > 5:
        clamp = -(1 << (36 - int_bits))
        if a < clamp:
            result = 0
    if a == 0:
        result = INT32_MAX
    return result


def _newton_reciprocal(half_denominator: int) -> int:
    """x ~= 1 / half_denominator in Q2.29 after three Newton-Raphson steps."""
    x = wrap_i32(1515870810 + srdhm(half_denominator, -1010580540))
    for _ in range(3):
        half_denominator_times_x = srdhm(half_denominator, x)
        one_minus = wrap_i32((1 << 29) - half_denominator_times_x)
        x = wrap_i32(x + rescale(srdhm(x, one_minus), 4, 2))
    return x


def rounding_half_sum(a: int, b: int) -> int:
    s = a + b
    sign = 1 if s >= 0 else -1
    v = s + sign
    return (abs(v) // 2) * (1 if v >= 0 else -1)  # C++ division truncates toward zero


def one_over_one_plus_x_for_x_in_0_1(a: int) -> int:
    x = _newton_reciprocal(rounding_half_sum(a, INT32_MAX))
    return rescale(x, 1, 0)  # ExactMulByPot<-1>: Q2.29 read as Q1.30


def one_minus_x_over_one_plus_x_for_x_in_0_1(a: int) -> int:
    x = _newton_reciprocal(rounding_half_sum(a, INT32_MAX))
    return rescale(wrap_i32(x - (1 << 29)), 2, 0)


def logistic(a: int, int_bits: int) -> int:
    """gemmlowp::logistic: raw Q(int_bits) in, raw Q0.31 out."""
    if a == 0:
        return 1 << 30
    abs_a = a if a > 0 else -a
    r = one_over_one_plus_x_for_x_in_0_1(exp_on_negative_values(-abs_a, int_bits))
    return r if a > 0 else wrap_i32(INT32_MAX - r)


def tanh(a: int, int_bits: int) -> int:
    """gemmlowp::tanh: raw Q(int_bits) in, raw Q0.31 out."""
    if a == 0:
        return 0
    n = a if a < 0 else -a
    # ExactMulByPot<1>: the same raw value read with one more integer bit (2n).
    t = one_minus_x_over_one_plus_x_for_x_in_0_1(exp_on_negative_values(n, int_bits + 1))
    return -t if a < 0 else t


# --- int16 helpers (HARD_SWISH)

INT16_MIN, INT16_MAX = -32768, 32767


def wrap_i16(x: int) -> int:
    return ((x + 2**15) % 2**16) - 2**15


def srdhm16(a: int, b: int) -> int:
    if a == b == INT16_MIN:
        return INT16_MAX
    ab = a * b
    nudge = (1 << 14) if ab >= 0 else (1 - (1 << 14))
    v = ab + nudge
    q = abs(v) // (1 << 15)
    return wrap_i16(q if v >= 0 else -q)


def sdhm16(a: int, b: int) -> int:
    """SaturatingDoublingHighMul (truncating, like SQDMULH)."""
    if a == b == INT16_MIN:
        return INT16_MAX
    ab = a * b
    q = abs(ab) // (1 << 15)
    return wrap_i16(q if ab >= 0 else -q)


def saturating_left_shift16(v: int, amount: int) -> int:
    return max(INT16_MIN, min(INT16_MAX, v * (1 << amount)))


def downscale_multiplier_to_int16(m: int) -> int:
    """TFLite's DownScaleInt32ToInt16Multiplier."""
    if m >= INT32_MAX - (1 << 15):
        return INT16_MAX
    return (m + (1 << 15)) >> 16
