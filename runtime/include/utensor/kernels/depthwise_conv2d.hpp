#ifndef UTENSOR_KERNELS_DEPTHWISE_CONV2D_HPP
#define UTENSOR_KERNELS_DEPTHWISE_CONV2D_HPP

// Depthwise 2-D convolution, NHWC, as TFLite's DEPTHWISE_CONV_2D (bit-exact for int8).
//
// Layouts: input [N, H_IN, W_IN, C_IN], filter [1, KH, KW, C_OUT] with
// C_OUT = C_IN * depth_multiplier, bias [C_OUT] (optional), output [N, H_OUT, W_OUT, C_OUT].
// Output channel oc = ic * depth_multiplier + m reads input channel ic only.
// Padding and dilation as in conv2d.hpp. Values come from scripts/utensor/ops/conv.py.
//
// Speed: with depth multiplier 1, channels go four at a time with the accumulators in
// registers; windows inside the image use folded_bias, and fast_requant (when the
// converter proved it exact) replaces the general requantization. DSP cores
// (kernels/arm/depthwise_conv2d_dsp.cpp) and Helium (depthwise_conv2d_mve.cpp) have their
// own 3x3 kernels and general ones (any stride, dilation, channel count and depth
// multiplier; any window on Helium, up to 64 taps on the DSP cores). Results are unchanged (exact integer sums; float sums keep TFLite's
// per-channel order).

#include <stdint.h>

#include "utensor/kernels/params/depthwise_conv2d.hpp"

namespace utensor {
namespace kernels {

/// int8 per-channel depthwise conv: bias int32 [C_OUT] or nullptr.
void depthwise_conv2d_s8(const DepthwiseConv2DS8Params& params, const int8_t* input,
                         const int8_t* filter, const int32_t* bias, int8_t* output);

/// depthwise_conv2d_s8 for the layers the converter finds 3x3, depth multiplier 1,
/// undilated, C_IN % 4 == 0, with folded_bias and fast_requant (ops/conv.py): the DSP
/// cores run their 3x3 kernel without the general fallback, which then is not linked.
void depthwise_conv2d_s8_3x3(const DepthwiseConv2DS8Params& params, const int8_t* input,
                             const int8_t* filter, const int32_t* bias, int8_t* output);

/// 16x8 per-channel depthwise conv: input/output int16 (zero point 0), filter int8, bias
/// int64 [C_OUT] or nullptr; int64 accumulators requantized as detail/s16_requant.hpp.
/// DSP and Helium variants: kernels/arm/s16_weighted_*.cpp (params.acc32: int32 sums).
void depthwise_conv2d_s16(const DepthwiseConv2DS16Params& params, const int16_t* input,
                          const int8_t* filter, const int64_t* bias, int16_t* output);

/// float32 depthwise conv: bias [C_OUT] or nullptr; output clamped to the range.
void depthwise_conv2d_f32(const DepthwiseConv2DF32Params& params, const float* input,
                          const float* filter, const float* bias, float* output);

namespace detail {
/// depthwise_conv2d_s8 by the portable kernel: what the Arm variants fall back to for
/// shapes they do not specialize.
void depthwise_conv2d_s8_portable(const DepthwiseConv2DS8Params& params, const int8_t* input,
                                  const int8_t* filter, const int32_t* bias, int8_t* output);

/// Output columns [begin, end) whose 3-wide undilated windows lie inside the input
/// horizontally (x0 >= 0 and x0 + 3 <= input_width); begin <= end.
struct ColumnRun {
  int32_t begin, end;
};

/// The ColumnRun of the layer.
inline ColumnRun inside_columns_3(const DepthwiseConv2DShape& s) {
  ColumnRun r;
  r.begin = (s.pad_left + s.stride_width - 1) / s.stride_width;
  r.end = s.input_width + s.pad_left >= 3 ? (s.input_width + s.pad_left - 3) / s.stride_width + 1
                                          : 0;
  if (r.end > s.output_width) r.end = s.output_width;
  if (r.begin > r.end) r.begin = r.end;
  return r;
}

/// Taps [ky_begin, ..) x [kx_begin, ..) of the depth-multiplier-1 window at input (y0, x0):
/// the first tap's input and filter, and the steps between taps and filter rows.
struct TapWalk {
  const int8_t* in;
  const int8_t* filter;
  int32_t tap_x, tap_y, f_row;
};

/// The TapWalk of that window (in_batch: the batch's first input pixel).
inline TapWalk tap_walk(const DepthwiseConv2DShape& s, const int8_t* in_batch,
                        const int8_t* filter, int32_t y0, int32_t x0, int32_t ky_begin,
                        int32_t kx_begin) {
  const int32_t channels = s.input_channels;
  TapWalk t;
  t.tap_x = s.dilation_width * channels;
  t.tap_y = s.dilation_height * s.input_width * channels;
  t.in = in_batch + ((y0 + ky_begin * s.dilation_height) * s.input_width + x0 +
                     kx_begin * s.dilation_width) *
                        channels;
  t.filter = filter + (ky_begin * s.filter_width + kx_begin) * channels;
  t.f_row = s.filter_width * channels;
  return t;
}
}  // namespace detail

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_DEPTHWISE_CONV2D_HPP
