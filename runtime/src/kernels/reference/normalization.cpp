#include "utensor/kernels/normalization.hpp"

#include <float.h>
#include <math.h>

#include "utensor/kernels/fixedpoint.hpp"

namespace utensor {
namespace kernels {
namespace {

// TFLite's GetInvSqrtQuantizedMultiplierExp with reverse_shift -1: 1/sqrt(input) as a
// Q31 multiplier and a (left) shift, by five Newton-Raphson steps in gemmlowp Q3.28.
void inv_sqrt_multiplier(int32_t input, int32_t* multiplier, int* shift) {
  if (input <= 1) {  // 0 and 1 alike, as TFLite (avoids the overflow for 1)
    *multiplier = INT32_MAX;
    *shift = 0;
    return;
  }
  int right = 11;
  while (input >= (1 << 29)) {
    input /= 4;
    ++right;
  }
  const unsigned max_left_shift_bit_pairs =
      static_cast<unsigned>(CountLeadingZeros(static_cast<uint32_t>(input)) - 1) / 2;
  const unsigned left_shift_bit_pairs = max_left_shift_bit_pairs - 1;
  right -= static_cast<int>(left_shift_bit_pairs);
  input <<= 2 * left_shift_bit_pairs;
  // Q3.28 values; a product of two is Q6.25 and of three Q9.22, rescaled back to Q3.28.
  const int32_t half_input = SaturatingRoundingMultiplyByPOT<-1>(input >> 1);
  const int32_t half_three = (1 << 28) + (1 << 27);
  int32_t x = 1 << 28;
  for (int i = 0; i < 5; ++i) {
    const int32_t x3 = SaturatingRoundingMultiplyByPOT<6>(
        SaturatingRoundingDoublingHighMul(SaturatingRoundingDoublingHighMul(x, x), x));
    x = SaturatingRoundingMultiplyByPOT<3>(SaturatingRoundingDoublingHighMul(half_three, x) -
                                           SaturatingRoundingDoublingHighMul(half_input, x3));
  }
  x = SaturatingRoundingDoublingHighMul(x, 1518500250);  // times sqrt(2)/2 in Q0.31
  if (right < 0) {
    x = static_cast<int32_t>(static_cast<uint32_t>(x) << -right);
    right = 0;
  }
  *multiplier = x;
  *shift = -right;
}

}  // namespace

void log_softmax_f32(const LogSoftmaxF32Params& params, const float* input, float* output) {
  for (int32_t i = 0; i < params.outer_size; ++i) {
    const float* in = input + i * params.depth;
    float* out = output + i * params.depth;
    float max = -FLT_MAX;
    for (int32_t c = 0; c < params.depth; ++c) max = in[c] > max ? in[c] : max;
    float sum = 0.0f;
    for (int32_t c = 0; c < params.depth; ++c) sum += expf(in[c] - max);
    const float log_sum = logf(sum);
    for (int32_t c = 0; c < params.depth; ++c) out[c] = in[c] - max - log_sum;
  }
}

void l2_normalization_f32(const L2NormF32Params& params, const float* input, float* output) {
  for (int32_t i = 0; i < params.outer_size; ++i) {
    const float* in = input + i * params.depth;
    float* out = output + i * params.depth;
    float squared = 0.0f;
    for (int32_t c = 0; c < params.depth; ++c) squared += in[c] * in[c];
    float norm = sqrtf(squared);
    norm = norm > 1e-6f ? norm : 1e-6f;
    for (int32_t c = 0; c < params.depth; ++c) out[c] = in[c] / norm;
  }
}

void l2_normalization_s8(const L2NormS8Params& params, const int8_t* input, int8_t* output) {
  const int kOutputScale = 7;  // the output is in 1/128ths
  for (int32_t i = 0; i < params.outer_size; ++i) {
    const int8_t* in = input + i * params.depth;
    int8_t* out = output + i * params.depth;
    int32_t acc = 0;
    for (int32_t c = 0; c < params.depth; ++c) {
      const int32_t v = in[c] - params.input_zero_point;
      acc += v * v;
    }
    int32_t multiplier;
    int shift;
    inv_sqrt_multiplier(acc, &multiplier, &shift);
    for (int32_t c = 0; c < params.depth; ++c) {
      const int32_t v = in[c] - params.input_zero_point;
      out[c] = static_cast<int8_t>(
          ClampI32(MultiplyByQuantizedMultiplier(v, multiplier, shift + kOutputScale), -128, 127));
    }
  }
}

}  // namespace kernels
}  // namespace utensor
