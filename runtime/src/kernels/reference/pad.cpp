#include "utensor/kernels/pad.hpp"

namespace utensor {
namespace kernels {
namespace {

template <typename T>
inline void fill(T* out, int32_t n, T value) {
  for (int32_t i = 0; i < n; ++i) out[i] = value;
}

// Walks the output row by row (the last axis is a row): rows outside the input in any
// outer axis are all padding; the others are [before | input row | after].
template <typename T>
void pad_impl(const PadShape& s, T value, const T* input, T* output) {
  int32_t od[5];
  for (int d = 0; d < 5; ++d) od[d] = s.before[d] + s.input_dims[d] + s.after[d];
  const int32_t row = od[4];
  const int32_t in_row = s.input_dims[4];
  for (int32_t i0 = 0; i0 < od[0]; ++i0) {
    const bool in0 = i0 >= s.before[0] && i0 < s.before[0] + s.input_dims[0];
    for (int32_t i1 = 0; i1 < od[1]; ++i1) {
      const bool in1 = in0 && i1 >= s.before[1] && i1 < s.before[1] + s.input_dims[1];
      for (int32_t i2 = 0; i2 < od[2]; ++i2) {
        const bool in2 = in1 && i2 >= s.before[2] && i2 < s.before[2] + s.input_dims[2];
        for (int32_t i3 = 0; i3 < od[3]; ++i3) {
          const bool in3 = in2 && i3 >= s.before[3] && i3 < s.before[3] + s.input_dims[3];
          if (!in3) {
            fill(output, row, value);
          } else {
            fill(output, s.before[4], value);
            for (int32_t i = 0; i < in_row; ++i) output[s.before[4] + i] = input[i];
            fill(output + s.before[4] + in_row, s.after[4], value);
            input += in_row;
          }
          output += row;
        }
      }
    }
  }
}

}  // namespace

void pad_s8(const PadS8Params& params, const int8_t* input, int8_t* output) {
  pad_impl(params.shape, params.pad_value, input, output);
}

void pad_f32(const PadF32Params& params, const float* input, float* output) {
  pad_impl(params.shape, params.pad_value, input, output);
}

void pad_s16(const PadS16Params& params, const int16_t* input, int16_t* output) {
  pad_impl(params.shape, params.pad_value, input, output);
}

void pad_i32(const PadI32Params& params, const int32_t* input, int32_t* output) {
  pad_impl(params.shape, params.pad_value, input, output);
}

}  // namespace kernels
}  // namespace utensor
