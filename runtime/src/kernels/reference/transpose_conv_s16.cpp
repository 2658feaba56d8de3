// TRANSPOSE_CONV in TFLite's 16x8 quantization, as TFLite Micro's
// reference_integer_ops::TransposeConv for int16: exact int64 sums (no input offset: the
// input zero point is 0), the bias added, then the int64 requantization of the 16x8 kernels.
// Gathered per output like the int8 kernel (transpose_conv.cpp): integer sums do not depend
// on the order, so the result is TFLite's scatter's to the bit, with no scratch.

#include "utensor/kernels/detail/s16_requant.hpp"
#include "utensor/kernels/transpose_conv.hpp"

namespace utensor {
namespace kernels {
namespace {

inline int32_t floor_div_s16(int32_t a, int32_t b) { return a >= 0 ? a / b : -((b - 1 - a) / b); }

// The input rows (or columns) [begin, end) whose window covers output position `out`.
inline void covering_s16(int32_t out, int32_t pad, int32_t stride, int32_t filter, int32_t size,
                         int32_t* begin, int32_t* end) {
  const int32_t t = out + pad;
  int32_t b = floor_div_s16(t - filter, stride) + 1;
  int32_t e = floor_div_s16(t, stride) + 1;
  if (b < 0) b = 0;
  if (e > size) e = size;
  if (e < b) e = b;
  *begin = b;
  *end = e;
}

}  // namespace

void transpose_conv_s16(const TransposeConvS16Params& params, const int16_t* input,
                        const int8_t* filter, const int64_t* bias, int16_t* output) {
  const TransposeConvShape& s = params.shape;
  const int32_t c_in = s.input_channels;
  const int32_t filter_size = s.filter_height * s.filter_width * c_in;
  for (int32_t b = 0; b < s.batches; ++b) {
    const int16_t* in_batch = input + b * s.input_height * s.input_width * c_in;
    for (int32_t oy = 0; oy < s.output_height; ++oy) {
      int32_t y_begin, y_end;
      covering_s16(oy, s.pad_top, s.stride_height, s.filter_height, s.input_height, &y_begin, &y_end);
      for (int32_t ox = 0; ox < s.output_width; ++ox) {
        int32_t x_begin, x_end;
        covering_s16(ox, s.pad_left, s.stride_width, s.filter_width, s.input_width, &x_begin, &x_end);
        for (int32_t oc = 0; oc < s.output_channels; ++oc) {
          const int8_t* f_oc = filter + oc * filter_size;
          int64_t acc = 0;
          for (int32_t iy = y_begin; iy < y_end; ++iy) {
            const int32_t ky = oy + s.pad_top - iy * s.stride_height;
            for (int32_t ix = x_begin; ix < x_end; ++ix) {
              const int32_t kx = ox + s.pad_left - ix * s.stride_width;
              const int16_t* x = in_batch + (iy * s.input_width + ix) * c_in;
              const int8_t* w = f_oc + (ky * s.filter_width + kx) * c_in;
              // One product fits int32 (2^15 * 2^7); the sum needs int64 as in TFLite.
              for (int32_t c = 0; c < c_in; ++c) acc += static_cast<int32_t>(x[c]) * w[c];
            }
          }
          if (bias) acc += bias[oc];
          const int32_t v = detail::multiply_by_quantized_multiplier_s64(
              acc, params.output_multiplier[oc], params.output_shift[oc]);
          *output++ = detail::clamp_s16(v, params.activation_min, params.activation_max);
        }
      }
    }
  }
}

}  // namespace kernels
}  // namespace utensor
