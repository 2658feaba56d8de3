#ifndef UTENSOR_KERNELS_CONV2D_HPP
#define UTENSOR_KERNELS_CONV2D_HPP

// 2-D convolution, NHWC, as TFLite's CONV_2D (reference semantics, bit-exact for int8).
//
// Layouts: input [N, H_IN, W_IN, C_IN], filter [C_OUT, KH, KW, C_IN / groups],
// bias [C_OUT] (optional), output [N, H_OUT, W_OUT, C_OUT]. Grouped convolution (C_IN a
// multiple of the filter's input depth) is supported: output channel `oc` reads input
// channels of group oc / (C_OUT / groups).
// Padding: input pixel (y, x) of output (oy, ox) and tap (ky, kx) is
//   y = oy * stride_h - pad_top + ky * dilation_h (same for x); taps outside the image
// contribute nothing (as if the input there were its zero point).
// All values are computed by the converter (scripts/utensor/ops/conv.py); nothing is
// checked at run time.
//
// Speed: without groups or horizontal dilation each filter row is one contiguous dot
// product (four output channels per input load); windows inside the image skip the input
// offset thanks to folded_bias; 1x1 layers over shallow inputs run as a matrix product;
// small windows (given scratch) are copied once and reduced by long dot products. On
// cores with the DSP extension (kernels/arch.hpp) the int8 dot products use SXTB16/SMLAD.
// None of this changes a result: integer sums are exact in any order, and every float
// output keeps TFLite's summation order.

#include <stdint.h>

#include "utensor/kernels/params/conv2d.hpp"

namespace utensor {
namespace kernels {

/// Bytes of `scratch` that select conv2d_s8's windowed path: one window, KH * KW * C_IN.
inline int32_t conv2d_s8_window_bytes(const Conv2DShape& shape) {
  return shape.filter_height * shape.filter_width * shape.input_channels;
}

/// int8 per-channel conv: input/filter/output int8, bias int32 [C_OUT] or nullptr.
/// `scratch`: nullptr, or conv2d_s8_window_bytes() bytes to copy each window into (for
/// small windows; requires folded_bias and no groups) - the result is the same.
void conv2d_s8(const Conv2DS8Params& params, const int8_t* input, const int8_t* filter,
               const int32_t* bias, int8_t* output, int8_t* scratch);

/// Bytes of `scratch` conv2d_s8_gemm needs: the windows of five output pixels widened to
/// int16 (in whole quads of values, a partial last quad counting as whole), plus one int8
/// window when C_IN % 4 != 0.
inline int32_t conv2d_s8_gemm_bytes(const Conv2DShape& shape) {
  const int32_t window = shape.filter_height * shape.filter_width * shape.input_channels;
  return 40 * ((window + 3) / 4) + (shape.input_channels % 4 != 0 ? window : 0);
}

/// conv2d_s8 for a layer without groups, with folded_bias set and a window (KH * KW * C_IN)
/// of at least 4 values, given conv2d_s8_gemm_bytes() of 4-byte aligned `scratch`: on DSP
/// cores the windows of five (or four) output pixels are widened to int16 once and each
/// weight word feeds all of them (SMLAD); elsewhere the same as conv2d_s8. Same result
/// either way.
/// On Helium cores (kernels/arm/conv2d_mve.cpp) the windows of four pixels are copied
/// to scratch padded to 16 bytes (ops/conv.py mve_gemm_scratch_bytes; the converter gives
/// the larger of the two sizes).
void conv2d_s8_gemm(const Conv2DS8Params& params, const int8_t* input, const int8_t* filter,
                    const int32_t* bias, int8_t* output, int8_t* scratch);

/// conv2d_s8_gemm for the layers whose fast_requant the converter proved (ops/conv.py): the
/// DSP cores then link the fast requantization only.
void conv2d_s8_gemm_fast(const Conv2DS8Params& params, const int8_t* input, const int8_t* filter,
                         const int32_t* bias, int8_t* output, int8_t* scratch);

/// 16x8 per-channel conv (TFLite's int16 activations, int8 filter): input/output int16
/// (zero point 0), bias int64 [C_OUT] or nullptr; int64 accumulators requantized as
/// detail/s16_requant.hpp. DSP and Helium variants: kernels/arm/s16_weighted_*.cpp
/// (params.acc32 lets them sum in int32).
void conv2d_s16(const Conv2DS16Params& params, const int16_t* input, const int8_t* filter,
                const int64_t* bias, int16_t* output);

/// conv2d_s16 for an int32 bias: TFLite Micro then accumulates in int32 (wrapping)
/// and requantizes with the int8 kernels' MultiplyByQuantizedMultiplier.
void conv2d_s16_acc32(const Conv2DS16Params& params, const int16_t* input, const int8_t* filter,
                      const int32_t* bias, int16_t* output);

/// float32 conv: all tensors float32, bias [C_OUT] or nullptr; output clamped to the range.
void conv2d_f32(const Conv2DF32Params& params, const float* input, const float* filter,
                const float* bias, float* output);

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_CONV2D_HPP
