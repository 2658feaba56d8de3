// int16 LOGISTIC, TANH and SOFTMAX as TFLite Micro's int16 reference kernels: table lookup
// with linear interpolation, no libm. Compiled on every target; no Arm variant.

#include "utensor/kernels/lut16.hpp"

#include "utensor/kernels/detail/sigmoid_s16.hpp"
#include "utensor/kernels/fixedpoint.hpp"

namespace utensor {
namespace kernels {

namespace {

// The input in the table's units (1/(3*4096)): the converter's multiplier and shift stand
// for TFLite Micro's, including its "3 << shift, no shift" form for power-of-two scales.
inline int32_t rescaled_input(const SigmoidS16Params& p, int16_t q, int32_t round) {
  return (static_cast<int32_t>(q) * p.input_multiplier + round) >> p.input_shift;
}

inline int32_t rounding_of(const SigmoidS16Params& p) {
  return p.input_shift > 0 ? (static_cast<int32_t>(1) << (p.input_shift - 1)) : 0;
}

// TFLite's LUTLookup on a 513-entry table: the top 9 bits of the (biased) value index it,
// the low 7 interpolate towards the next entry, rounded.
inline int16_t lut_lookup(int16_t value, const int16_t* lut) {
  const int32_t index = 256 + (static_cast<int32_t>(value) >> 7);
  const int32_t offset = value & 0x7f;
  const int32_t base = lut[index];
  const int32_t slope = static_cast<int16_t>(lut[index + 1] - lut[index]);
  return static_cast<int16_t>(base + ((slope * offset + 64) >> 7));
}

inline int16_t saturate_s16(int32_t v) {
  return static_cast<int16_t>(v < -32768 ? -32768 : (v > 32767 ? 32767 : v));
}

}  // namespace

void logistic_s16(const SigmoidS16Params& params, const int16_t* input, int16_t* output) {
  const int32_t round = rounding_of(params);
  for (int32_t i = 0; i < params.size; ++i) {
    output[i] = detail::sigmoid_s16(params.table, rescaled_input(params, input[i], round));
  }
}

void tanh_s16(const SigmoidS16Params& params, const int16_t* input, int16_t* output) {
  const int32_t round = rounding_of(params);
  for (int32_t i = 0; i < params.size; ++i) {
    output[i] = detail::tanh_s16(params.table, rescaled_input(params, input[i], round));
  }
}

void softmax_s16(const SoftmaxS16Params& params, const int16_t* input, int16_t* output) {
  const int32_t depth = params.depth;
  for (int32_t i = 0; i < params.outer_size; ++i) {
    const int16_t* in = input + i * depth;
    int16_t* out = output + i * depth;
    int32_t max_in_row = -32768;
    for (int32_t c = 0; c < depth; ++c) max_in_row = in[c] > max_in_row ? in[c] : max_in_row;

    // Differences scaled so that [-65535, 0] spans the exp table's [-10, 0], recentred on
    // the table's int16 index range.
    int32_t sum_of_exps = 0;  // Q16.15
    for (int32_t c = 0; c < depth; ++c) {
      const int32_t scaled =
          MultiplyByQuantizedMultiplier(in[c] - max_in_row, params.input_multiplier, params.input_shift);
      out[c] = lut_lookup(saturate_s16(scaled + 32767), params.exp_lut);
      sum_of_exps += out[c];
    }

    // sum = 2^k (1 + x), x in [0, 1): the reciprocal table wants x recentred on [-32768, 32767].
    const int headroom_plus_one = CountLeadingZeros(static_cast<uint32_t>(sum_of_exps));
    const int32_t shifted_sum = static_cast<int32_t>(
        ((static_cast<int64_t>(sum_of_exps) << (headroom_plus_one - 1)) + (1 << 13)) >> 14);
    const int16_t reciprocal = lut_lookup(saturate_s16(shifted_sum - ((1 << 15) + (1 << 16))),
                                          params.one_over_one_plus_x_lut);

    const int right_shift = 31 - headroom_plus_one;
    const int64_t round = static_cast<int64_t>(1) << (right_shift - 1);
    for (int32_t c = 0; c < depth; ++c) {
      const int32_t result = static_cast<int32_t>(
          (static_cast<int64_t>(out[c]) * reciprocal + round) >> right_shift);
      out[c] = static_cast<int16_t>(ClampI32(result, 0, 32767));
    }
  }
}

}  // namespace kernels
}  // namespace utensor
