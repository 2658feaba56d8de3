#include "utensor/kernels/strided_slice.hpp"

namespace utensor {
namespace kernels {
namespace {

template <typename T>
void strided_slice_impl(const StridedSliceParams& p, const T* input, T* output) {
  const int32_t* n = p.output_dims;
  const int32_t* st = p.input_steps;
  input += p.start;
  for (int32_t i0 = 0; i0 < n[0]; ++i0) {
    for (int32_t i1 = 0; i1 < n[1]; ++i1) {
      for (int32_t i2 = 0; i2 < n[2]; ++i2) {
        for (int32_t i3 = 0; i3 < n[3]; ++i3) {
          const T* src = input + i0 * st[0] + i1 * st[1] + i2 * st[2] + i3 * st[3];
          for (int32_t i4 = 0; i4 < n[4]; ++i4) *output++ = src[i4 * st[4]];
        }
      }
    }
  }
}

}  // namespace

void strided_slice_s8(const StridedSliceParams& params, const int8_t* input, int8_t* output) {
  strided_slice_impl(params, input, output);
}

void strided_slice_f32(const StridedSliceParams& params, const float* input, float* output) {
  strided_slice_impl(params, input, output);
}

void strided_slice_b8(const StridedSliceParams& params, const bool* input, bool* output) {
  strided_slice_impl(params, input, output);
}

void strided_slice_s16(const StridedSliceParams& params, const int16_t* input, int16_t* output) {
  strided_slice_impl(params, input, output);
}

void strided_slice_i32(const StridedSliceParams& params, const int32_t* input,
                       int32_t* output) {
  strided_slice_impl(params, input, output);
}

}  // namespace kernels
}  // namespace utensor
