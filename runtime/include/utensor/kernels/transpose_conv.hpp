#ifndef UTENSOR_KERNELS_TRANSPOSE_CONV_HPP
#define UTENSOR_KERNELS_TRANSPOSE_CONV_HPP

// Transposed 2-D convolution, NHWC, as TFLite's TRANSPOSE_CONV (bit-exact for int8).
//
// Layouts: input [N, H_IN, W_IN, C_IN], filter [C_OUT, KH, KW, C_IN], bias [C_OUT]
// (optional), output [N, H_OUT, W_OUT, C_OUT]. Input pixel (y, x) and tap (ky, kx) feed
// output (y * stride_h - pad_top + ky, x * stride_w - pad_left + kx) when it lies in the
// output; the output size is the output tensor's (TFLite Micro ignores the operator's
// output_shape input). int8: per-channel requantization of
// sum((x + input_offset) * w) + bias, then the fused activation's clamp.
//
// TFLite scatters every input pixel into an int32 scratch the size of the output; these
// kernels gather instead (for each output, the few input pixels whose window covers it),
// so they need no scratch and do the same number of multiplications. The float sums add
// the products in TFLite's order (input row, column, channel), then the bias.

#include <stdint.h>

#include "utensor/kernels/params/transpose_conv.hpp"

namespace utensor {
namespace kernels {

/// int8 per-channel transposed convolution: bias int32 [C_OUT] or nullptr.
void transpose_conv_s8(const TransposeConvS8Params& params, const int8_t* input,
                       const int8_t* filter, const int32_t* bias, int8_t* output);

/// 16x8 transposed convolution (int16 input/output with zero point 0, int8 per-channel
/// filter): int64 sums requantized as TFLite's 16x8 kernels; bias int64 [C_OUT] or nullptr.
void transpose_conv_s16(const TransposeConvS16Params& params, const int16_t* input,
                        const int8_t* filter, const int64_t* bias, int16_t* output);

/// float32 transposed convolution: bias [C_OUT] or nullptr.
void transpose_conv_f32(const TransposeConvF32Params& params, const float* input,
                        const float* filter, const float* bias, float* output);

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_TRANSPOSE_CONV_HPP
