#ifndef UTENSOR_KERNELS_PAD_HPP
#define UTENSOR_KERNELS_PAD_HPP

// Constant padding, as TFLite's PAD / PADV2, for tensors of rank <= 5.
//
// Shapes are extended to rank 5 with leading 1s by the converter. Output dimension d is
// before[d] + input_dims[d] + after[d]; output elements outside the copied input hold the
// pad value (int8: the output zero point for PAD, the constant for PADV2).

#include <stdint.h>

#include "utensor/kernels/params/pad.hpp"

namespace utensor {
namespace kernels {

/// int8 pad; input and output share quantization. Output must not alias the input.
void pad_s8(const PadS8Params& params, const int8_t* input, int8_t* output);

/// float32 pad.
void pad_f32(const PadF32Params& params, const float* input, float* output);

/// int16 pad.
void pad_s16(const PadS16Params& params, const int16_t* input, int16_t* output);

/// int32 pad.
void pad_i32(const PadI32Params& params, const int32_t* input, int32_t* output);

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_PAD_HPP
