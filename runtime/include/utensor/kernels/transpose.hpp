#ifndef UTENSOR_KERNELS_TRANSPOSE_HPP
#define UTENSOR_KERNELS_TRANSPOSE_HPP

// Transpose (axis permutation), as TFLite's TRANSPOSE, for tensors of rank <= 6.
//
// The converter extends the output shape to rank 6 with leading 1s and gives, for every
// output axis, the input stride (in elements) of the input axis it comes from. Output
// elements are written in row-major order.

#include <stdint.h>

#include "utensor/kernels/params/transpose.hpp"

namespace utensor {
namespace kernels {

/// int8 transpose; the output must not alias the input.
void transpose_s8(const TransposeParams& params, const int8_t* input, int8_t* output);

/// int16 transpose.
void transpose_s16(const TransposeParams& params, const int16_t* input, int16_t* output);

/// float32 transpose.
void transpose_f32(const TransposeParams& params, const float* input, float* output);

/// int32 transpose.
void transpose_i32(const TransposeParams& params, const int32_t* input, int32_t* output);

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_TRANSPOSE_HPP
