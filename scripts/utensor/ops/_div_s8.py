"""int8 DIV as TFLite Micro's reference DivElementwise / BroadcastDivSlowQuantized, and the
inputs where that arithmetic is undefined in C++.

Per element TFLM computes n = q1 - zp1, d = q2 - zp2 (both negated when d < 0), the reciprocal
of d with GetReciprocal(d, 31) = (inv, recip_shift), headroom = CountLeadingSignBits(n), the
quotient SRDHM(n << headroom, inv), then RoundingDivideByPOT(SRDHM(quotient, output_multiplier),
recip_shift + headroom - output_shift) plus the output zero point, clamped.

Where TFLM's C++ is undefined, utensor defines the result instead (kernels/elementwise.hpp
div_s8, documented there), and the conformance entry and test_lut16.py compare only where
TFLM's arithmetic is defined:
- d == 0 (input 2 at its zero point): GetReciprocal shifts a uint32 by 32. utensor: x / 0
  saturates to the sign of x (the activation maximum for n > 0, minimum for n < 0; 0 / 0
  gives the output zero point), as the float quotient +-inf / NaN-free 0 would quantize.
- right_shift(n, d) > 31: gemmlowp's RoundingDivideByPOT builds its mask with 1ll << e and
  shifts an int32 right by e >= 32 (x86 uses e mod 32; the oracle then gives e.g. -128 where
  the exact quotient is 0). e = (bits of |d| - 1) + (31 - bits of |n|) - output_shift, so
  this is a small dividend over a large divisor: the quotient in output steps is below one
  half (dividends at or next to input 1's zero point for the converter's usual scales, more
  of them when the output multiplier is small). utensor: the exactly rounded value, 0
  (|SRDHM(...)| < 2^31 <= 2^(e-1)), so the output is the zero point.
- a negative right shift (output_shift above every recip_shift + headroom) would make TFLM
  shift by a negative amount; such multipliers (input1 scale / (input2 scale * output scale)
  >= 2^23) are refused at conversion.
"""

from typing import Optional

INT8_LIMIT = 255  # |q - zero point| of an int8 value


def count_leading_sign_bits(x: int) -> int:
    """TFLite's CountLeadingSignBits for int32 (31 for 0 and -1)."""
    v = x if x >= 0 else ~x
    return 31 - v.bit_length()


def reciprocal_shift(d: int) -> int:
    """GetReciprocal(d, 31)'s num_bits_over_unit for d >= 1: 31 - CountLeadingZeros(d)."""
    return d.bit_length() - 1


def right_shift(n: int, d: int, output_shift: int) -> Optional[int]:
    """TFLM's -total_shift for dividend n = q1 - zp1 and divisor d = q2 - zp2; None for d == 0."""
    if d == 0:
        return None
    if d < 0:
        n, d = -n, -d
    return reciprocal_shift(d) + count_leading_sign_bits(n) - output_shift


def tflm_defined(n: int, d: int, output_shift: int) -> bool:
    """Whether TFLM's arithmetic for this element is defined C++ (see the module docstring)."""
    shift = right_shift(n, d, output_shift)
    return shift is not None and 0 <= shift <= 31


MAX_OUTPUT_SHIFT = 23  # CountLeadingSignBits(255) = 23 and recip_shift >= 0: no negative shift


def lower_div_s8(op, graph, a, b, y, shape):
    """TFLM's CalculateOpDataDiv: the multiplier of input1 scale / (input2 scale * output scale)
    in double precision (the tflite_micro oracle does this division in double: with the
    float32 quotient 301 of 65536 byte pairs of a test quantization land on the other side
    of a rounding tie), the fused activation's int8 range."""
    from ..quantization import activation_range, f32, quantize_multiplier  # pylint: disable=import-outside-toplevel
    from . import kernel_call  # pylint: disable=import-outside-toplevel
    from ._common import activation, per_tensor, unsupported  # pylint: disable=import-outside-toplevel

    s1, z1 = per_tensor(op, graph, a, "input 1")
    s2, z2 = per_tensor(op, graph, b, "input 2")
    so, zo = per_tensor(op, graph, y, "output")
    real = float(f32(s1)) / (float(f32(s2)) * float(f32(so)))
    multiplier, shift = quantize_multiplier(real)
    if shift > MAX_OUTPUT_SHIFT:
        raise unsupported(op, graph, f"input 1 scale / (input 2 scale * output scale) = {real:g} is too "
                          "large for int8 DIV: TFLite Micro's rescaling would shift by a negative "
                          f"amount (supported: below 2^{MAX_OUTPUT_SHIFT}).")
    lo, hi = activation_range(activation(op, graph), "int8", so, zo)
    return kernel_call("div_s8", "DivS8Params",
                       dict(shape=shape, input1_offset=-z1, input2_offset=-z2, output_offset=zo,
                            output_multiplier=multiplier, output_shift=shift,
                            activation_min=lo, activation_max=hi), inputs=(0, 1))
