#include "utensor/kernels/softmax.hpp"

#include <math.h>

#include "utensor/kernels/fixedpoint.hpp"

// The int8 softmax is a classifier's last layer over a handful of values: size counts
// more than speed there (issue 15: cold code at -Os; the library is built at -O2).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC push_options
#pragma GCC optimize("Os")
#endif

namespace utensor {
namespace kernels {

namespace {

const int kScaledDiffIntegerBits = 5;
const int kAccumulationIntegerBits = 12;

// exp(beta * scale * diff) in Q0.31 for diff >= diff_min.
inline int32_t exp_of_diff(const SoftmaxS8Params& p, int32_t diff) {
  const int32_t rescaled =
      MultiplyByQuantizedMultiplierGreaterThanOne(diff, p.input_multiplier, p.input_left_shift);
  return ExpOnNegativeValues<kScaledDiffIntegerBits>(rescaled);
}

// The output type only sets the final shift and the offset: TFLite's reference Softmax<int8_t,
// OutputT> divides by 2^(num_bits_over_unit + 31 - bits of OutputT) and adds OutputT's minimum.
template <typename OutputT, int kOutputBits, int32_t kOutputMin, int32_t kOutputMax>
void softmax_s8_to(const SoftmaxS8Params& params, const int8_t* input, OutputT* output) {
  const int32_t depth = params.depth;
  const int32_t* table = params.exp_table;
  for (int32_t i = 0; i < params.outer_size; ++i) {
    const int8_t* in = input + i * depth;
    OutputT* out = output + i * depth;
    int32_t max_in_row = -128;
    for (int32_t c = 0; c < depth; ++c) {
      if (in[c] > max_in_row) max_in_row = in[c];
    }

    // The table holds 0 below diff_min, which adds nothing to the sum and gives the output
    // minimum below, exactly what the branch of the computed form does.
    int32_t sum_of_exps = 0;  // Q12.19
    if (table) {
      for (int32_t c = 0; c < depth; ++c) {
        sum_of_exps += FixedPointRescale<kAccumulationIntegerBits, 0>(table[max_in_row - in[c]]);
      }
    } else {
      for (int32_t c = 0; c < depth; ++c) {
        const int32_t diff = static_cast<int32_t>(in[c]) - max_in_row;
        if (diff >= params.diff_min) {
          sum_of_exps += FixedPointRescale<kAccumulationIntegerBits, 0>(exp_of_diff(params, diff));
        }
      }
    }

    int num_bits_over_unit = 0;
    const int32_t shifted_scale =
        GetReciprocal(sum_of_exps, kAccumulationIntegerBits, &num_bits_over_unit);
    const int exponent = num_bits_over_unit + 31 - kOutputBits;

    for (int32_t c = 0; c < depth; ++c) {
      const int32_t diff = static_cast<int32_t>(in[c]) - max_in_row;
      int32_t e;
      if (table) {
        e = table[-diff];
      } else if (diff >= params.diff_min) {
        e = exp_of_diff(params, diff);
      } else {
        out[c] = static_cast<OutputT>(kOutputMin);
        continue;
      }
      const int32_t prob = SaturatingRoundingDoublingHighMul(shifted_scale, e);
      const int32_t v = RoundingDivideByPOT(prob, exponent) + kOutputMin;
      out[c] = static_cast<OutputT>(ClampI32(v, kOutputMin, kOutputMax));
    }
  }
}

}  // namespace

void softmax_s8(const SoftmaxS8Params& params, const int8_t* input, int8_t* output) {
  softmax_s8_to<int8_t, 8, -128, 127>(params, input, output);
}

void softmax_s8_s16(const SoftmaxS8Params& params, const int8_t* input, int16_t* output) {
  softmax_s8_to<int16_t, 16, -32768, 32767>(params, input, output);
}

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC pop_options
#endif

void softmax_f32(const SoftmaxF32Params& params, const float* input, float* output) {
  const int32_t depth = params.depth;
  for (int32_t i = 0; i < params.outer_size; ++i) {
    const float* in = input + i * depth;
    float* out = output + i * depth;
    float max = in[0];
    for (int32_t c = 1; c < depth; ++c) {
      if (in[c] > max) max = in[c];
    }
    float sum = 0.f;
    for (int32_t c = 0; c < depth; ++c) {
      const float e = expf((in[c] - max) * params.beta);
      out[c] = e;
      sum += e;
    }
    for (int32_t c = 0; c < depth; ++c) out[c] = out[c] / sum;
  }
}

}  // namespace kernels
}  // namespace utensor
