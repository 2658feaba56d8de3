#ifndef UTENSOR_KERNELS_STRIDED_SLICE_HPP
#define UTENSOR_KERNELS_STRIDED_SLICE_HPP

// Strided slice, as TFLite's STRIDED_SLICE, for tensors of rank <= 5.
//
// The converter resolves begin/end/strides and the masks exactly as TFLite does and
// passes the result as an affine gather over a rank-5 output box:
//   output[i0..i4] (row-major) = input[start + sum_d i_d * input_steps[d]]
// where input_steps[d] = stride[d] * (input stride of axis d), possibly negative.

#include <stdint.h>

#include "utensor/kernels/params/strided_slice.hpp"

namespace utensor {
namespace kernels {

/// int8 strided slice (input and output share quantization).
void strided_slice_s8(const StridedSliceParams& params, const int8_t* input, int8_t* output);

/// float32 strided slice.
void strided_slice_f32(const StridedSliceParams& params, const float* input, float* output);

/// int32 strided slice.
/// bool strided slice (SLICE and STRIDED_SLICE of bool tensors, which TFLite Micro takes).
void strided_slice_b8(const StridedSliceParams& params, const bool* input, bool* output);

void strided_slice_s16(const StridedSliceParams& params, const int16_t* input, int16_t* output);
void strided_slice_i32(const StridedSliceParams& params, const int32_t* input,
                       int32_t* output);

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_STRIDED_SLICE_HPP
