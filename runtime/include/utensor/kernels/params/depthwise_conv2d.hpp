// Written by `python -m utensor.kernel_params --write` from the table in
// scripts/utensor/kernel_params.py. Do not edit: change the table and regenerate. Generated
// models check at compile time that these structs are laid out as the table says.
#ifndef UTENSOR_KERNELS_PARAMS_DEPTHWISE_CONV2D_HPP
#define UTENSOR_KERNELS_PARAMS_DEPTHWISE_CONV2D_HPP

// DEPTHWISE_CONV_2D's parameters (kernels/depthwise_conv2d.hpp states the layouts).

#include <stdint.h>

namespace utensor {
namespace kernels {

/// The geometry of a depthwise convolution, NHWC; C_OUT = C_IN * depth_multiplier.
struct DepthwiseConv2DShape {
  int32_t batches;           // N
  int32_t input_height;      // H_IN
  int32_t input_width;       // W_IN
  int32_t input_channels;    // C_IN
  int32_t depth_multiplier;  // output channels per input channel
  int32_t filter_height;     // KH
  int32_t filter_width;      // KW
  int32_t output_height;     // H_OUT
  int32_t output_width;      // W_OUT
  int32_t stride_height;     // >= 1
  int32_t stride_width;      // >= 1
  int32_t dilation_height;   // >= 1
  int32_t dilation_width;    // >= 1
  int32_t pad_top;           // rows of padding above the image
  int32_t pad_left;          // columns of padding left of the image
};

/// int8 per-channel depthwise convolution.
struct DepthwiseConv2DS8Params {
  DepthwiseConv2DShape shape;        // the geometry
  int32_t input_offset;              // minus the input zero point
  int32_t output_offset;             // the output zero point
  const int32_t* output_multiplier;  // [C_OUT], Q31 in [2^30, 2^31) (0 for a zero scale)
  const int8_t* output_shift;  // [C_OUT], TFLite convention: > 0 shifts left, within [-31, 31]
  int32_t activation_min;            // within [-128, 127]
  int32_t activation_max;            // within [-128, 127]
  // [C_OUT] bias + input_offset * (sum of the channel's weights), for windows fully inside the
  // image (an exact rewrite of the same integer sum); nullptr disables the fast path.
  const int32_t* folded_bias;
  // 1: the converter proved kernel_util.hpp's FastRequant exact for every accumulator of this
  // layer (scripts/utensor/ops/_requant.py), so kernels may requantize that way (entries built
  // from output_multiplier/output_shift: no extra flash); 0: general form.
  int32_t fast_requant;
};

/// 16x8 depthwise convolution (int16 activations, zero point 0; int8 filter).
struct DepthwiseConv2DS16Params {
  DepthwiseConv2DShape shape;        // the geometry
  const int32_t* output_multiplier;  // [C_OUT], Q31 in [2^30, 2^31) (0 for a zero scale)
  const int32_t* output_shift;       // [C_OUT], TFLite convention: > 0 shifts left
  int32_t activation_min;            // within [-32768, 32767]
  int32_t activation_max;            // within [-32768, 32767]
  // 1: the converter proved that every output's sum of products fits int32 (32768 times the
  // largest sum of |weight| over one output's filter is below 2^31), so the DSP and Helium
  // kernels may accumulate the products in int32 and widen once before adding the int64 bias;
  // 0: they accumulate in int64 (SMLALD). The reference ignores it.
  int32_t acc32;
};

/// float32 depthwise convolution.
struct DepthwiseConv2DF32Params {
  DepthwiseConv2DShape shape;  // the geometry
  float activation_min;        // the fused activation's lower bound (-HUGE_VALF: none)
  float activation_max;        // the fused activation's upper bound (HUGE_VALF: none)
};

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_PARAMS_DEPTHWISE_CONV2D_HPP
