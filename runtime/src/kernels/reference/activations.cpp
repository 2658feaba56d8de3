#include "utensor/kernels/activations.hpp"

#include <math.h>

namespace utensor {
namespace kernels {

void lookup_s8(const LookupS8Params& params, const int8_t* input, int8_t* output) {
  const int8_t* table = params.table;
  for (int32_t i = 0; i < params.size; ++i) output[i] = table[static_cast<uint8_t>(input[i])];
}

void relu_f32(const ActivationF32Params& params, const float* input, float* output) {
  for (int32_t i = 0; i < params.size; ++i) {
    const float v = input[i];
    output[i] = v < 0.0f ? 0.0f : v;
  }
}

void relu6_f32(const ActivationF32Params& params, const float* input, float* output) {
  for (int32_t i = 0; i < params.size; ++i) {
    const float v = input[i];
    output[i] = v > 6.0f ? 6.0f : (v < 0.0f ? 0.0f : v);
  }
}

void leaky_relu_f32(const ActivationF32Params& params, const float* input, float* output) {
  for (int32_t i = 0; i < params.size; ++i) {
    const float v = input[i];
    // alpha may be above 1 or negative, so this is not a max().
    output[i] = v > 0.0f ? v : v * params.alpha;
  }
}

void logistic_f32(const ActivationF32Params& params, const float* input, float* output) {
  // TFLite's cut-offs: beyond them the float result is already 1 (or exp(x) is exact
  // enough), and they avoid exp overflow on targets whose expf misbehaves.
  const float cutoff_upper = 16.619047164916992188f;
  const float cutoff_lower = -9.0f;
  for (int32_t i = 0; i < params.size; ++i) {
    const float v = input[i];
    float r;
    if (v > cutoff_upper) {
      r = 1.0f;
    } else if (v < cutoff_lower) {
      r = expf(v);
    } else {
      r = 1.0f / (1.0f + expf(-v));
    }
    output[i] = r;
  }
}

void tanh_f32(const ActivationF32Params& params, const float* input, float* output) {
  for (int32_t i = 0; i < params.size; ++i) output[i] = tanhf(input[i]);
}

void hard_swish_f32(const ActivationF32Params& params, const float* input, float* output) {
  for (int32_t i = 0; i < params.size; ++i) {
    const float v = input[i];
    const float r = v + 3.0f;
    const float relu6 = r > 6.0f ? 6.0f : (r < 0.0f ? 0.0f : r);
    output[i] = v * relu6 / 6.0f;
  }
}

}  // namespace kernels
}  // namespace utensor
