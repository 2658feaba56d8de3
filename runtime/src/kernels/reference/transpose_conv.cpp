#include "utensor/kernels/transpose_conv.hpp"

#include "utensor/kernels/fixedpoint.hpp"

namespace utensor {
namespace kernels {
namespace {

// a / b rounded toward minus infinity, b > 0 (the window arithmetic meets negative a).
inline int32_t floor_div(int32_t a, int32_t b) { return a >= 0 ? a / b : -((b - 1 - a) / b); }

// The input rows (or columns) [begin, end) whose window covers output position `out`:
// those i with 0 <= out + pad - i * stride < filter, within [0, size).
struct Span {
  int32_t begin, end;
};

inline Span covering(int32_t out, int32_t pad, int32_t stride, int32_t filter, int32_t size) {
  const int32_t t = out + pad;
  Span s;
  s.begin = floor_div(t - filter, stride) + 1;
  s.end = floor_div(t, stride) + 1;
  if (s.begin < 0) s.begin = 0;
  if (s.end > size) s.end = size;
  if (s.end < s.begin) s.end = s.begin;
  return s;
}

inline float clamp_f32(float v, float lo, float hi) {
  const float a = v < lo ? lo : v;
  return a > hi ? hi : a;
}

}  // namespace

void transpose_conv_s8(const TransposeConvS8Params& params, const int8_t* input,
                       const int8_t* filter, const int32_t* bias, int8_t* output) {
  const TransposeConvShape& s = params.shape;
  const int32_t c_in = s.input_channels;
  const int32_t filter_size = s.filter_height * s.filter_width * c_in;
  for (int32_t b = 0; b < s.batches; ++b) {
    const int8_t* in_batch = input + b * s.input_height * s.input_width * c_in;
    for (int32_t oy = 0; oy < s.output_height; ++oy) {
      const Span ys = covering(oy, s.pad_top, s.stride_height, s.filter_height, s.input_height);
      for (int32_t ox = 0; ox < s.output_width; ++ox) {
        const Span xs = covering(ox, s.pad_left, s.stride_width, s.filter_width, s.input_width);
        for (int32_t oc = 0; oc < s.output_channels; ++oc) {
          const int8_t* f_oc = filter + oc * filter_size;
          int32_t acc = 0;
          for (int32_t iy = ys.begin; iy < ys.end; ++iy) {
            const int32_t ky = oy + s.pad_top - iy * s.stride_height;
            for (int32_t ix = xs.begin; ix < xs.end; ++ix) {
              const int32_t kx = ox + s.pad_left - ix * s.stride_width;
              const int8_t* x = in_batch + (iy * s.input_width + ix) * c_in;
              const int8_t* w = f_oc + (ky * s.filter_width + kx) * c_in;
              for (int32_t c = 0; c < c_in; ++c) acc += (x[c] + params.input_offset) * w[c];
            }
          }
          if (bias) acc += bias[oc];
          acc = MultiplyByQuantizedMultiplier(acc, params.output_multiplier[oc],
                                              params.output_shift[oc]) +
                params.output_offset;
          *output++ = static_cast<int8_t>(ClampI32(acc, params.activation_min,
                                                   params.activation_max));
        }
      }
    }
  }
}

void transpose_conv_f32(const TransposeConvF32Params& params, const float* input,
                        const float* filter, const float* bias, float* output) {
  const TransposeConvShape& s = params.shape;
  const int32_t c_in = s.input_channels;
  const int32_t filter_size = s.filter_height * s.filter_width * c_in;
  for (int32_t b = 0; b < s.batches; ++b) {
    const float* in_batch = input + b * s.input_height * s.input_width * c_in;
    for (int32_t oy = 0; oy < s.output_height; ++oy) {
      const Span ys = covering(oy, s.pad_top, s.stride_height, s.filter_height, s.input_height);
      for (int32_t ox = 0; ox < s.output_width; ++ox) {
        const Span xs = covering(ox, s.pad_left, s.stride_width, s.filter_width, s.input_width);
        for (int32_t oc = 0; oc < s.output_channels; ++oc) {
          const float* f_oc = filter + oc * filter_size;
          float acc = 0.0f;
          for (int32_t iy = ys.begin; iy < ys.end; ++iy) {
            const int32_t ky = oy + s.pad_top - iy * s.stride_height;
            for (int32_t ix = xs.begin; ix < xs.end; ++ix) {
              const int32_t kx = ox + s.pad_left - ix * s.stride_width;
              const float* x = in_batch + (iy * s.input_width + ix) * c_in;
              const float* w = f_oc + (ky * s.filter_width + kx) * c_in;
              for (int32_t c = 0; c < c_in; ++c) acc += x[c] * w[c];
            }
          }
          if (bias) acc += bias[oc];
          *output++ = clamp_f32(acc, params.activation_min, params.activation_max);
        }
      }
    }
  }
}

}  // namespace kernels
}  // namespace utensor
