#ifndef UTENSOR_KERNELS_BATCH_MATMUL_HPP
#define UTENSOR_KERNELS_BATCH_MATMUL_HPP

// BATCH_MATMUL as TFLite Micro computes it: for every output batch index (up to 3 batch
// dimensions, lhs and rhs broadcast along them by zero strides), a [rows x depth] by
// [depth x cols] product. adj_x / adj_y (transposed operands) are strides, so no operand
// is copied. The output is [batch..., rows, cols], row-major.
//
// float32 sums each dot product in float32 in increasing k, as TFLM's reference. int8 sums
// (lhs + lhs_offset) * (rhs + rhs_offset) in int32, requantizes with
// MultiplyByQuantizedMultiplier, adds the output zero point and saturates to int8 (no
// fused activation: BATCH_MATMUL has none). int16 (zero points 0) sums in int64 and
// requantizes as TFLite's 16x8 kernels (the int64 MultiplyByQuantizedMultiplier).

#include <stdint.h>

#include "utensor/kernels/params/batch_matmul.hpp"

namespace utensor {
namespace kernels {

/// int8 batched matrix product.
void batch_matmul_s8(const BatchMatMulS8Params& params, const int8_t* lhs, const int8_t* rhs,
                     int8_t* output);

/// int16 batched matrix product (zero points 0): int64 sums, the 16x8 requantization.
void batch_matmul_s16(const BatchMatMulS16Params& params, const int16_t* lhs, const int16_t* rhs,
                      int16_t* output);

/// float32 batched matrix product.
void batch_matmul_f32(const BatchMatMulF32Params& params, const float* lhs, const float* rhs,
                      float* output);

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_BATCH_MATMUL_HPP
