#include "utensor/kernels/transpose.hpp"

namespace utensor {
namespace kernels {
namespace {

template <typename T>
void transpose_impl(const TransposeParams& p, const T* input, T* output) {
  const int32_t* n = p.output_dims;
  const int32_t* st = p.input_strides;
  for (int32_t i0 = 0; i0 < n[0]; ++i0) {
    for (int32_t i1 = 0; i1 < n[1]; ++i1) {
      for (int32_t i2 = 0; i2 < n[2]; ++i2) {
        for (int32_t i3 = 0; i3 < n[3]; ++i3) {
          for (int32_t i4 = 0; i4 < n[4]; ++i4) {
            const T* src = input + i0 * st[0] + i1 * st[1] + i2 * st[2] + i3 * st[3] + i4 * st[4];
            for (int32_t i5 = 0; i5 < n[5]; ++i5) *output++ = src[i5 * st[5]];
          }
        }
      }
    }
  }
}

}  // namespace

void transpose_s8(const TransposeParams& params, const int8_t* input, int8_t* output) {
  transpose_impl(params, input, output);
}

void transpose_s16(const TransposeParams& params, const int16_t* input, int16_t* output) {
  transpose_impl(params, input, output);
}

void transpose_f32(const TransposeParams& params, const float* input, float* output) {
  transpose_impl(params, input, output);
}

void transpose_i32(const TransposeParams& params, const int32_t* input, int32_t* output) {
  transpose_impl(params, input, output);
}

}  // namespace kernels
}  // namespace utensor
