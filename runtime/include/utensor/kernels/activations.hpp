#ifndef UTENSOR_KERNELS_ACTIVATIONS_HPP
#define UTENSOR_KERNELS_ACTIVATIONS_HPP

// Unary activations as TFLite's RELU, RELU6, LEAKY_RELU, LOGISTIC, TANH and HARD_SWISH.
//
// int8: each of these maps one int8 value to one int8 value, so the converter evaluates
// TFLite Micro's reference kernel for all 256 inputs (scripts/utensor/ops/activations.py,
// bit-exact models of its fixed-point arithmetic) and the runtime looks the result up:
// one load per element, 256 bytes of flash per operator.
// float32: the reference formulas. All tensors are flat arrays of `size` elements; the
// output may alias the input.

#include <stdint.h>

#include "utensor/kernels/params/activations.hpp"

namespace utensor {
namespace kernels {

/// int8 table lookup: out[i] = table[(uint8_t)in[i]].
void lookup_s8(const LookupS8Params& params, const int8_t* input, int8_t* output);

/// int16 RELU / RELU6 / LEAKY_RELU: out = clamp(rescale ? output_zero_point +
/// MultiplyByQuantizedMultiplier(x - input_zero_point, m[sign], shift[sign]) : x); may run in
/// place. Portable only.
void linear_s16(const LinearS16Params& params, const int16_t* input, int16_t* output);

/// float32 RELU: max(x, 0).
void relu_f32(const ActivationF32Params& params, const float* input, float* output);

/// float32 RELU6: min(max(x, 0), 6).
void relu6_f32(const ActivationF32Params& params, const float* input, float* output);

/// float32 LEAKY_RELU: x > 0 ? x : x * alpha.
void leaky_relu_f32(const ActivationF32Params& params, const float* input, float* output);

/// float32 LOGISTIC: 1 / (1 + exp(-x)) with TFLite's cut-offs (1 above 16.619, exp(x) below -9).
void logistic_f32(const ActivationF32Params& params, const float* input, float* output);

/// float32 TANH.
void tanh_f32(const ActivationF32Params& params, const float* input, float* output);

/// float32 HARD_SWISH: x * min(6, max(0, x + 3)) / 6.
void hard_swish_f32(const ActivationF32Params& params, const float* input, float* output);

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_ACTIVATIONS_HPP
