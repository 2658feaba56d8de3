#ifndef UTENSOR_KERNELS_SOFTMAX_HPP
#define UTENSOR_KERNELS_SOFTMAX_HPP

// SOFTMAX along the last dimension, as TFLite Micro's reference kernels.
//
// Layout: input and output [OUTER, DEPTH] (any shape; DEPTH is the last dimension).
// int8 is computed exactly as TFLite's quantized reference softmax: input differences
// from the row maximum scaled to Q5.26 by (input_multiplier, input_left_shift), gemmlowp's
// fixed-point exp, a Q12.19 sum, its fixed-point reciprocal, output scale 1/256 with zero
// point -128; differences below diff_min contribute nothing and output -128. int8 -> int16
// (TFLite Micro's other int8 form) is the same computation with output scale 1/65536 and
// zero point -32768.
// Values are computed by the converter (scripts/utensor/ops/softmax.py).

#include <stdint.h>

#include "utensor/kernels/params/softmax.hpp"

namespace utensor {
namespace kernels {

/// int8 softmax: output scale 1/256, zero point -128.
void softmax_s8(const SoftmaxS8Params& params, const int8_t* input, int8_t* output);

/// int8 in, int16 out: output scale 1/65536, zero point -32768.
void softmax_s8_s16(const SoftmaxS8Params& params, const int8_t* input, int16_t* output);

/// float32 softmax: exp((x - max) * beta) / sum; output may alias the input.
void softmax_f32(const SoftmaxF32Params& params, const float* input, float* output);

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_SOFTMAX_HPP
