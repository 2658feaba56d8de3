#include "utensor/kernels/concatenation.hpp"

namespace utensor {
namespace kernels {
namespace {

template <typename T>
void concatenation_impl(const ConcatenationParams& p, const T* const* inputs, T* output) {
  for (int32_t row = 0; row < p.outer_size; ++row) {
    for (int32_t i = 0; i < p.num_inputs; ++i) {
      const int32_t n = p.row_sizes[i];
      const T* src = inputs[i] + row * n;
      for (int32_t k = 0; k < n; ++k) output[k] = src[k];
      output += n;
    }
  }
}

template <typename T>
void split_impl(const SplitParams& p, const T* input, T* const* outputs) {
  for (int32_t row = 0; row < p.outer_size; ++row) {
    for (int32_t i = 0; i < p.num_outputs; ++i) {
      const int32_t n = p.row_sizes[i];
      T* dst = outputs[i] + row * n;
      for (int32_t k = 0; k < n; ++k) dst[k] = input[k];
      input += n;
    }
  }
}

}  // namespace

void split_s8(const SplitParams& params, const int8_t* input, int8_t* const* outputs) {
  split_impl(params, input, outputs);
}

void split_f32(const SplitParams& params, const float* input, float* const* outputs) {
  split_impl(params, input, outputs);
}

void split_i32(const SplitParams& params, const int32_t* input, int32_t* const* outputs) {
  split_impl(params, input, outputs);
}

void split_s16(const SplitParams& params, const int16_t* input, int16_t* const* outputs) {
  split_impl(params, input, outputs);
}

void concatenation_s8(const ConcatenationParams& params, const int8_t* const* inputs,
                      int8_t* output) {
  concatenation_impl(params, inputs, output);
}

void concatenation_f32(const ConcatenationParams& params, const float* const* inputs,
                       float* output) {
  concatenation_impl(params, inputs, output);
}

void concatenation_s16(const ConcatenationParams& params, const int16_t* const* inputs,
                       int16_t* output) {
  concatenation_impl(params, inputs, output);
}

void concatenation_i32(const ConcatenationParams& params, const int32_t* const* inputs,
                       int32_t* output) {
  concatenation_impl(params, inputs, output);
}

void concatenation_i64(const ConcatenationParams& params, const int64_t* const* inputs,
                       int64_t* output) {
  concatenation_impl(params, inputs, output);
}

void concatenation_b(const ConcatenationParams& params, const bool* const* inputs, bool* output) {
  concatenation_impl(params, inputs, output);
}

}  // namespace kernels
}  // namespace utensor
