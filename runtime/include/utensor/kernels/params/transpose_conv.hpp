// Written by `python -m utensor.kernel_params --write` from the table in
// scripts/utensor/kernel_params.py. Do not edit: change the table and regenerate. Generated
// models check at compile time that these structs are laid out as the table says.
#ifndef UTENSOR_KERNELS_PARAMS_TRANSPOSE_CONV_HPP
#define UTENSOR_KERNELS_PARAMS_TRANSPOSE_CONV_HPP

// TRANSPOSE_CONV's parameters (kernels/transpose_conv.hpp states the layouts and the padding).

#include <stdint.h>

namespace utensor {
namespace kernels {

/// The geometry of a transposed 2-D convolution, NHWC: input pixel (y, x) spreads its filter
/// over the output window starting at (y * stride_height - pad_top, x * stride_width -
/// pad_left), clipped to the output.
struct TransposeConvShape {
  int32_t batches;          // N
  int32_t input_height;     // H_IN
  int32_t input_width;      // W_IN
  int32_t input_channels;   // C_IN
  int32_t filter_height;    // KH
  int32_t filter_width;     // KW
  int32_t output_height;    // H_OUT (the output tensor's, as TFLite Micro)
  int32_t output_width;     // W_OUT
  int32_t output_channels;  // C_OUT
  int32_t stride_height;    // >= 1
  int32_t stride_width;     // >= 1
  int32_t pad_top;          // output rows cut above (TFLite's padding_values.height)
  int32_t pad_left;         // output columns cut left (padding_values.width)
};

/// int8 per-channel transposed convolution.
struct TransposeConvS8Params {
  TransposeConvShape shape;          // the geometry
  int32_t input_offset;              // minus the input zero point, in [-127, 128]
  int32_t output_offset;             // the output zero point, in [-128, 127]
  const int32_t* output_multiplier;  // [C_OUT], Q31 in [2^30, 2^31) (0 for a zero scale)
  const int32_t* output_shift;       // [C_OUT], TFLite convention: > 0 shifts left
  int32_t activation_min;            // within [-128, 127]
  int32_t activation_max;            // within [-128, 127]
};

/// 16x8 transposed convolution (int16 activations, zero point 0; int8 per-channel filter; int64
/// bias).
struct TransposeConvS16Params {
  TransposeConvShape shape;          // the geometry
  const int32_t* output_multiplier;  // [C_OUT], Q31 in [2^30, 2^31) (0 for a zero scale)
  const int32_t* output_shift;       // [C_OUT], TFLite convention: > 0 shifts left
  int32_t activation_min;            // within [-32768, 32767]
  int32_t activation_max;            // within [-32768, 32767]
};

/// float32 transposed convolution.
struct TransposeConvF32Params {
  TransposeConvShape shape;  // the geometry
  float activation_min;      // the fused activation's lower bound (-HUGE_VALF: none)
  float activation_max;      // the fused activation's upper bound (HUGE_VALF: none)
};

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_PARAMS_TRANSPOSE_CONV_HPP
