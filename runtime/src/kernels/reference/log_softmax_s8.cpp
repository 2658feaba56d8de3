// int8 LOG_SOFTMAX as TFLite Micro's reference LogSoftmaxQuantized: gemmlowp fixed point
// throughout (no libm), bit-exact. Parameters from scripts/utensor/ops/normalization.py.

#include "utensor/kernels/fixedpoint.hpp"
#include "utensor/kernels/normalization.hpp"

namespace utensor {
namespace kernels {

namespace {

const int kInputIntegerBits = 5;         // differences in Q5.26: exp(-16) is negligible
const int kAccumulationIntegerBits = 12;  // the sum of up to 4095 exps in Q12.19
const int kOutputIntegerBits = 4;         // the output in 16/256 steps

// TFLite's SaturatingRoundingMultiplyByPOTParam for exponent >= 0: a saturating left shift.
inline int32_t SaturatingShiftLeft(int32_t x, int exponent) {
  if (exponent == 0) return x;
  const int32_t threshold = (static_cast<int32_t>(1) << (31 - exponent)) - 1;
  if (x > threshold) return INT32_MAX;
  if (x < -threshold) return INT32_MIN;
  return static_cast<int32_t>(static_cast<uint32_t>(x) << exponent);
}

inline int32_t SaturatingAdd32(int32_t a, int32_t b) {
  const int64_t s = static_cast<int64_t>(a) + b;
  return static_cast<int32_t>(s > INT32_MAX ? INT32_MAX : (s < INT32_MIN ? INT32_MIN : s));
}

inline int32_t SaturatingSub32(int32_t a, int32_t b) {
  const int64_t s = static_cast<int64_t>(a) - b;
  return static_cast<int32_t>(s > INT32_MAX ? INT32_MAX : (s < INT32_MIN ? INT32_MIN : s));
}

inline int32_t Mul(int32_t a, int32_t b) { return SaturatingRoundingDoublingHighMul(a, b); }

// log(x) for raw x in Q12.19, x >= 1, as raw Q5.26: TFLite's
// log_x_for_x_greater_than_or_equal_to_1<5>. x = 2^k * r with r in [sqrt(1/2), 1) chosen
// from two normalizations (of x and of x * sqrt(1/2)), then log(r) by a rational
// approximation around sqrt(sqrt(1/2)); the sum accumulates with one spare integer bit.
int32_t LogOfSumQ12ToQ5(int32_t input) {
  const int kAccumBits = kInputIntegerBits + 1;
  const int32_t log_2 = 1488522236;           // log(2) in Q0.31
  const int32_t sqrt_sqrt_half = 1805811301;  // (1/2)^(1/4)
  const int32_t sqrt_half = 1518500250;       // (1/2)^(1/2)
  const int32_t one_quarter = 536870912;
  const int32_t alpha_n = 117049297;   // 11/240 * 2^(1/4)
  const int32_t alpha_d = 127690142;   // 1/20 * 2^(1/4)
  const int32_t alpha_i = 1057819769;  // 2 / 2^(1/4) - 2^(1/4)
  const int32_t alpha_f = 638450708;   // 1/4 * 2^(1/4)
  const int32_t shifted_quarter = FixedPointRescale<kAccumBits, 0>(one_quarter);

  const int z_a_headroom_plus_1 = CountLeadingZeros(static_cast<uint32_t>(input));
  const int32_t r_a_tmp = SaturatingShiftLeft(input, z_a_headroom_plus_1 - 1);
  const int32_t r_a = SaturatingShiftLeft(Mul(r_a_tmp, sqrt_half), 1);
  const int32_t z_a_pow_2_adj = SaturatingAdd32(
      SaturatingShiftLeft(kAccumulationIntegerBits - z_a_headroom_plus_1, 31 - kAccumBits), shifted_quarter);

  const int32_t z_b = Mul(input, sqrt_half);
  const int z_b_headroom = CountLeadingZeros(static_cast<uint32_t>(z_b)) - 1;
  const int32_t r_b = SaturatingShiftLeft(input, z_b_headroom);
  const int32_t z_b_pow_2_adj = SaturatingSub32(
      SaturatingShiftLeft(kAccumulationIntegerBits - z_b_headroom, 31 - kAccumBits), shifted_quarter);

  const int32_t r = r_a < r_b ? r_a : r_b;
  const int32_t z_pow_2_adj = z_a_pow_2_adj > z_b_pow_2_adj ? z_a_pow_2_adj : z_b_pow_2_adj;

  const int32_t p = RoundingHalfSum(r, sqrt_sqrt_half);
  int32_t q = r - sqrt_sqrt_half;
  q = q + q;
  const int32_t common_sq = Mul(q, q);
  const int32_t num = Mul(q, r) + Mul(Mul(q, common_sq), alpha_n);
  const int32_t denom_minus_one = Mul(p, alpha_i + q + Mul(alpha_d, common_sq)) + Mul(alpha_f, q);
  const int32_t recip_denom = OneOverOnePlusXForXIn01(denom_minus_one);
  const int32_t num_scaled = FixedPointRescale<kAccumBits, 0>(num);
  return FixedPointRescale<kInputIntegerBits, kAccumBits>(Mul(z_pow_2_adj, log_2) +
                                                          Mul(num_scaled, recip_denom));
}

}  // namespace

void log_softmax_s8(const LogSoftmaxS8Params& params, const int8_t* input, int8_t* output) {
  const int32_t depth = params.depth;
  for (int32_t i = 0; i < params.outer_size; ++i) {
    const int8_t* in = input + i * depth;
    int8_t* out = output + i * depth;
    int32_t max_in_row = -128;
    for (int32_t c = 0; c < depth; ++c) max_in_row = in[c] > max_in_row ? in[c] : max_in_row;

    int32_t sum_of_exps = 0;  // Q12.19; depth <= 4095 keeps it below 2^31
    for (int32_t c = 0; c < depth; ++c) {
      const int32_t diff = in[c] - max_in_row;
      if (diff >= params.diff_min) {
        const int32_t diff_q5 = MultiplyByQuantizedMultiplier(diff, params.input_multiplier, params.input_left_shift);
        sum_of_exps += FixedPointRescale<kAccumulationIntegerBits, 0>(ExpOnNegativeValues<kInputIntegerBits>(diff_q5));
      }
    }
    const int32_t log_sum = LogOfSumQ12ToQ5(sum_of_exps);

    // Differences whose (diff - log sum) would not fit Q5.26 give the smallest output.
    const int32_t shifted_log_sum = static_cast<int32_t>(static_cast<uint32_t>(log_sum) + 0x80000000u);
    const int32_t rescaled_floor =
        MultiplyByQuantizedMultiplier(shifted_log_sum, params.reverse_scaling_divisor, params.reverse_scaling_shift);
    const int32_t adjusted_diff_min = params.diff_min - 1 > rescaled_floor ? params.diff_min - 1 : rescaled_floor;

    for (int32_t c = 0; c < depth; ++c) {
      const int32_t diff = in[c] - max_in_row;
      if (diff > adjusted_diff_min) {
        const int32_t diff_q5 = MultiplyByQuantizedMultiplier(diff, params.input_multiplier, params.input_left_shift);
        const int32_t v =
            RoundingDivideByPOT(diff_q5 - log_sum, 31 - kInputIntegerBits - kOutputIntegerBits) + 127;
        out[c] = static_cast<int8_t>(ClampI32(v, -128, 127));
      } else {
        out[c] = -128;
      }
    }
  }
}

}  // namespace kernels
}  // namespace utensor
