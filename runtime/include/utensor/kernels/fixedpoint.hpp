#ifndef UTENSOR_KERNELS_FIXEDPOINT_HPP
#define UTENSOR_KERNELS_FIXEDPOINT_HPP

// Fixed-point arithmetic shared by the int8 kernels.
//
// int8 results must equal TensorFlow Lite Micro's byte for byte, so every helper here
// reproduces the rounding of gemmlowp's fixedpoint.h and TFLite's common.h exactly
// (TFLite's default "double rounding" requantization, not TFLITE_SINGLE_ROUNDING).
// A value in Qm.n fixed point is carried as a raw int32_t with m integer bits and
// n = 31 - m fractional bits; the helpers that need m take it as a template argument.
//
// Usage sketch (requantizing an int32 accumulator to int8):
//   int32_t acc = ...;  // sum of (x - x_zp) * w, plus bias
//   acc = MultiplyByQuantizedMultiplier(acc, multiplier, shift) + out_zp;
//   out = static_cast<int8_t>(clamp(acc, act_min, act_max));

#include <stdint.h>

// The small helpers run once or more per output element; at -Os (the usual embedded
// setting) GCC otherwise keeps them as out-of-line calls, which costs more than the
// arithmetic itself.
#if defined(__GNUC__)
#define UTENSOR_FP_INLINE inline __attribute__((always_inline))
#else
#define UTENSOR_FP_INLINE inline
#endif

namespace utensor {
namespace kernels {

/// Round-to-nearest high 32 bits of 2*a*b; saturates the single overflow case
/// a == b == INT32_MIN to INT32_MAX (gemmlowp's SaturatingRoundingDoublingHighMul).
UTENSOR_FP_INLINE int32_t SaturatingRoundingDoublingHighMul(int32_t a, int32_t b) {
  const bool overflow = a == b && a == INT32_MIN;
  const int64_t ab = static_cast<int64_t>(a) * static_cast<int64_t>(b);
  const int32_t nudge = ab >= 0 ? (1 << 30) : (1 - (1 << 30));
  // Division (not a shift) on purpose: it truncates toward zero, which with the nudge
  // above gives gemmlowp's round-half-away-from-zero.
  const int32_t high = static_cast<int32_t>((ab + nudge) / (INT64_C(1) << 31));
  return overflow ? INT32_MAX : high;
}

/// x / 2^exponent rounded to nearest, ties away from zero; exponent in [0, 31].
UTENSOR_FP_INLINE int32_t RoundingDivideByPOT(int32_t x, int exponent) {
  const int32_t mask = static_cast<int32_t>((INT64_C(1) << exponent) - 1);
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/// x * 2^Exponent with saturation for Exponent > 0, RoundingDivideByPOT for Exponent < 0
/// (gemmlowp's SaturatingRoundingMultiplyByPOT).
template <int Exponent>
UTENSOR_FP_INLINE int32_t SaturatingRoundingMultiplyByPOT(int32_t x) {
  if (Exponent > 0) {
    // Exponent is a compile-time constant; the clamps keep the unused branch well-formed.
    const int e = Exponent > 0 ? Exponent : 0;
    const int32_t threshold = static_cast<int32_t>((INT64_C(1) << (31 - e)) - 1);
    if (x > threshold) return INT32_MAX;
    if (x < -threshold) return INT32_MIN;
    return static_cast<int32_t>(static_cast<uint32_t>(x) << e);
  }
  if (Exponent < 0) return RoundingDivideByPOT(x, Exponent < 0 ? -Exponent : 0);
  return x;
}

/// x * multiplier * 2^shift with TFLite's double rounding: multiplier in [2^30, 2^31)
/// (or 0), shift in [-31, 30] as produced by quantization.quantize_multiplier.
UTENSOR_FP_INLINE int32_t MultiplyByQuantizedMultiplier(int32_t x, int32_t multiplier, int shift) {
  const int left_shift = shift > 0 ? shift : 0;
  const int right_shift = shift > 0 ? 0 : -shift;
  // Unsigned shift: TFLite writes x * (1 << left_shift), which wraps on the same bits.
  const int32_t shifted = static_cast<int32_t>(static_cast<uint32_t>(x) << left_shift);
  return RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(shifted, multiplier), right_shift);
}

/// Multiplier >= 1 variant used by softmax: SRDHM(x * 2^left_shift, multiplier),
/// left_shift >= 0.
UTENSOR_FP_INLINE int32_t MultiplyByQuantizedMultiplierGreaterThanOne(int32_t x, int32_t multiplier,
                                                           int left_shift) {
  const int32_t shifted = static_cast<int32_t>(static_cast<uint32_t>(x) << left_shift);
  return SaturatingRoundingDoublingHighMul(shifted, multiplier);
}

/// Multiplier < 1 variant: RoundingDivideByPOT(SRDHM(x, multiplier), -shift), shift <= 0.
UTENSOR_FP_INLINE int32_t MultiplyByQuantizedMultiplierSmallerThanOneExp(int32_t x, int32_t multiplier,
                                                              int shift) {
  return RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(x, multiplier), -shift);
}

/// Number of leading zero bits of x (32 for x == 0).
inline int CountLeadingZeros(uint32_t x) {
  if (x == 0) return 32;
#if defined(__GNUC__)
  return __builtin_clz(x);
#else
  int n = 0;
  while ((x & 0x80000000u) == 0) {
    x <<= 1;
    ++n;
  }
  return n;
#endif
}

/// Rescales raw Q(SrcBits) to Q(DstBits) fixed point (gemmlowp's Rescale).
template <int DstBits, int SrcBits>
UTENSOR_FP_INLINE int32_t FixedPointRescale(int32_t raw) {
  return SaturatingRoundingMultiplyByPOT<SrcBits - DstBits>(raw);
}

/// (a + b) / 2 rounded away from zero, without overflow (gemmlowp's RoundingHalfSum).
UTENSOR_FP_INLINE int32_t RoundingHalfSum(int32_t a, int32_t b) {
  const int64_t sum = static_cast<int64_t>(a) + static_cast<int64_t>(b);
  const int64_t sign = sum >= 0 ? 1 : -1;
  return static_cast<int32_t>((sum + sign) / 2);
}

/// exp(a) for raw a in Q0.31, a in [-1/4, 0) (gemmlowp's Taylor expansion around -1/8).
inline int32_t ExpOnIntervalBetweenNegativeOneQuarterAnd0Excl(int32_t a) {
  const int32_t constant_term = 1895147668;     // exp(-1/8) in Q0.31
  const int32_t constant_1_over_3 = 715827883;  // 1/3 in Q0.31
  const int32_t x = a + (1 << 28);              // a + 1/8
  const int32_t x2 = SaturatingRoundingDoublingHighMul(x, x);
  const int32_t x3 = SaturatingRoundingDoublingHighMul(x2, x);
  const int32_t x4 = SaturatingRoundingDoublingHighMul(x2, x2);
  const int32_t x4_over_4 = SaturatingRoundingMultiplyByPOT<-2>(x4);
  const int32_t poly = SaturatingRoundingMultiplyByPOT<-1>(
      SaturatingRoundingDoublingHighMul(x4_over_4 + x3, constant_1_over_3) + x2);
  return constant_term + SaturatingRoundingDoublingHighMul(constant_term, x + poly);
}

/// exp(a) for raw a in Q(IntegerBits).(31-IntegerBits), a <= 0; result raw Q0.31
/// (gemmlowp's exp_on_negative_values, bit for bit).
template <int IntegerBits>
inline int32_t ExpOnNegativeValues(int32_t a) {
  const int kFractionalBits = 31 - IntegerBits;
  const int32_t one_quarter = static_cast<int32_t>(1) << (kFractionalBits - 2);
  const int32_t mask = one_quarter - 1;
  const int32_t a_mod_quarter_minus_one_quarter = (a & mask) - one_quarter;
  int32_t result = ExpOnIntervalBetweenNegativeOneQuarterAnd0Excl(
      FixedPointRescale<0, IntegerBits>(a_mod_quarter_minus_one_quarter));
  const int32_t remainder = a_mod_quarter_minus_one_quarter - a;

  // Barrel shifter: multiply in exp(-2^k) for every bit k set in the remainder.
  static const int32_t kMultipliers[7] = {1672461947, 1302514674, 790015084, 290630308,
                                          39332535,   720401,     242};
  for (int i = 0; i < 7; ++i) {
    const int exponent = i - 2;
    if (IntegerBits > exponent) {
      const int shift = kFractionalBits + exponent;
      if (remainder & (static_cast<int32_t>(1) << shift)) {
        result = SaturatingRoundingDoublingHighMul(result, kMultipliers[i]);
      }
    }
  }
  if (IntegerBits > 5) {
    const int clamp_shift = IntegerBits > 5 ? 36 - IntegerBits : 0;
    const int32_t clamp = -(static_cast<int32_t>(1) << clamp_shift);  // -32.0
    if (a < clamp) result = 0;
  }
  if (a == 0) result = INT32_MAX;  // exp(0) == 1 saturated
  return result;
}

/// 1 / (1 + x) for raw x in Q0.31, x in [0, 1); result raw Q0.31 (Newton-Raphson,
/// gemmlowp's one_over_one_plus_x_for_x_in_0_1).
inline int32_t OneOverOnePlusXForXIn01(int32_t a) {
  const int32_t half_denominator = RoundingHalfSum(a, INT32_MAX);  // Q0.31
  const int32_t constant_48_over_17 = 1515870810;                  // Q2.29
  const int32_t constant_neg_32_over_17 = -1010580540;             // Q2.29
  int32_t x = constant_48_over_17 +
              SaturatingRoundingDoublingHighMul(half_denominator, constant_neg_32_over_17);
  for (int i = 0; i < 3; ++i) {
    const int32_t half_denominator_times_x = SaturatingRoundingDoublingHighMul(half_denominator, x);
    const int32_t one_minus = (1 << 29) - half_denominator_times_x;  // Q2.29
    x = x + FixedPointRescale<2, 4>(SaturatingRoundingDoublingHighMul(x, one_minus));
  }
  // x / 2 by relabelling Q2.29 as Q1.30, then back to Q0.31.
  return FixedPointRescale<0, 1>(x);
}

/// Reciprocal of a positive raw x with x_integer_digits integer bits; returns raw Q0.31
/// of 1/x scaled by 2^-num_bits_over_unit (TFLite's GetReciprocal).
inline int32_t GetReciprocal(int32_t x, int x_integer_digits, int* num_bits_over_unit) {
  const int headroom_plus_one = CountLeadingZeros(static_cast<uint32_t>(x));
  *num_bits_over_unit = x_integer_digits - headroom_plus_one;
  const int32_t shifted_sum_minus_one = static_cast<int32_t>(
      (static_cast<uint32_t>(x) << headroom_plus_one) - (static_cast<uint32_t>(1) << 31));
  return OneOverOnePlusXForXIn01(shifted_sum_minus_one);
}

/// Clamps v to [lo, hi].
UTENSOR_FP_INLINE int32_t ClampI32(int32_t v, int32_t lo, int32_t hi) {
  return v < lo ? lo : (v > hi ? hi : v);
}

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_FIXEDPOINT_HPP
