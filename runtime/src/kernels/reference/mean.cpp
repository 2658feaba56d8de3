#include "utensor/kernels/mean.hpp"

#include "utensor/kernels/fixedpoint.hpp"

namespace utensor {
namespace kernels {
namespace {

// Output stride of each input axis (0 for reduced axes): visiting the input in row-major
// order and adding into output[offset] reproduces TFLite's Reduce loop and its order.
inline void output_strides(const MeanShape& s, int32_t* strides) {
  int32_t stride = 1;
  for (int d = 4; d >= 0; --d) {
    if (s.reduce[d]) {
      strides[d] = 0;
    } else {
      strides[d] = stride;
      stride *= s.input_dims[d];
    }
  }
}

template <typename In, typename Acc>
void sum_into(const MeanShape& s, const In* input, Acc* sums) {
  int32_t st[5];
  output_strides(s, st);
  for (int32_t i = 0; i < s.output_count; ++i) sums[i] = 0;
  const int32_t* n = s.input_dims;
  for (int32_t i0 = 0; i0 < n[0]; ++i0) {
    for (int32_t i1 = 0; i1 < n[1]; ++i1) {
      for (int32_t i2 = 0; i2 < n[2]; ++i2) {
        for (int32_t i3 = 0; i3 < n[3]; ++i3) {
          Acc* out = sums + i0 * st[0] + i1 * st[1] + i2 * st[2] + i3 * st[3];
          for (int32_t i4 = 0; i4 < n[4]; ++i4) out[i4 * st[4]] += static_cast<Acc>(*input++);
        }
      }
    }
  }
}

}  // namespace

void mean_s8(const MeanS8Params& params, const int8_t* input, int8_t* output,
             int32_t* scratch) {
  const MeanShape& s = params.shape;
  sum_into(s, input, scratch);
  const int32_t count = s.reduce_count;
  for (int32_t i = 0; i < s.output_count; ++i) {
    const int32_t shifted = scratch[i] - params.input_zero_point * count;
    const int32_t v = MultiplyByQuantizedMultiplier(shifted, params.multiplier, params.shift) +
                      params.output_zero_point;
    output[i] = static_cast<int8_t>(ClampI32(v, -128, 127));
  }
}

void mean_s16(const MeanS8Params& params, const int16_t* input, int16_t* output,
              int32_t* scratch) {
  const MeanShape& s = params.shape;
  sum_into(s, input, scratch);
  const int32_t count = s.reduce_count;
  for (int32_t i = 0; i < s.output_count; ++i) {
    const int32_t shifted = scratch[i] - params.input_zero_point * count;
    const int32_t v = MultiplyByQuantizedMultiplier(shifted, params.multiplier, params.shift) +
                      params.output_zero_point;
    output[i] = static_cast<int16_t>(ClampI32(v, -32768, 32767));
  }
}

void mean_f32(const MeanF32Params& params, const float* input, float* output) {
  const MeanShape& s = params.shape;
  sum_into(s, input, output);
  const float count = static_cast<float>(s.reduce_count);
  for (int32_t i = 0; i < s.output_count; ++i) output[i] = output[i] / count;
}

}  // namespace kernels
}  // namespace utensor
