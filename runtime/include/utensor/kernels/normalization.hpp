#ifndef UTENSOR_KERNELS_NORMALIZATION_HPP
#define UTENSOR_KERNELS_NORMALIZATION_HPP

// Normalizations over the last axis, row by row (outer_size rows of depth elements), as
// TFLite Micro's reference kernels compute them.
//
// LOG_SOFTMAX float32: x - max - log(sum of exp(x - max)), in float32.
// L2_NORMALIZATION float32: x / max(sqrt(sum of x^2), 1e-6). int8: the sum of squared
// (x - zero point) in int32, its inverse square root by TFLite's fixed-point
// Newton-Raphson (GetInvSqrtQuantizedMultiplierExp), each element requantized to the
// output's fixed 1/128 scale (zero point 0), saturated.

#include <stdint.h>

#include "utensor/kernels/params/normalization.hpp"

namespace utensor {
namespace kernels {

/// float32 log-softmax over the last axis.
void log_softmax_f32(const LogSoftmaxF32Params& params, const float* input, float* output);

/// int8 log-softmax over the last axis, as TFLite Micro's LogSoftmaxQuantized: differences
/// from the row maximum in Q5.26, gemmlowp's exp summed in Q12.19, TFLite's fixed-point
/// log of the sum, the output (diff - log sum) in units of 16/256 from 127; differences
/// too small to represent give -128 (reference/log_softmax_s8.cpp).
void log_softmax_s8(const LogSoftmaxS8Params& params, const int8_t* input, int8_t* output);

/// float32 L2 normalization over the last axis.
void l2_normalization_f32(const L2NormF32Params& params, const float* input, float* output);

/// int8 L2 normalization over the last axis.
void l2_normalization_s8(const L2NormS8Params& params, const int8_t* input, int8_t* output);

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_NORMALIZATION_HPP
