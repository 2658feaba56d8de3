#ifndef UTENSOR_KERNELS_LUT16_HPP
#define UTENSOR_KERNELS_LUT16_HPP

// int16 (16x8) activations that interpolate in tables, as TFLite Micro's int16 kernels:
// LOGISTIC and TANH (reference_integer_ops Logistic/Tanh on int16) and SOFTMAX
// (reference_ops SoftmaxInt16, 513-entry tables with 7-bit interpolation). The tables and the
// input rescaling are computed by the converter (scripts/utensor/ops/_lut16.py); the
// kernels only multiply, shift, look up and interpolate. Tensors are flat arrays of `size`
// elements; the output may alias the input.

#include <stdint.h>

#include "utensor/kernels/params/lut16.hpp"

namespace utensor {
namespace kernels {

/// int16 LOGISTIC: x = (in * input_multiplier) >> input_shift (rounding) in units of
/// 1/(3*4096); |x| indexes the table by its bits 9.. and interpolates on its low 9 bits; the
/// result, mirrored for x < 0, in Q0.15.
void logistic_s16(const SigmoidS16Params& params, const int16_t* input, int16_t* output);

/// int16 TANH: as logistic_s16 with the index on bits 8.. (tanh(x) = 2 sigmoid(2x) - 1),
/// result in Q0.15; like TFLite Micro, an input past the table's positive end gives -32768.
void tanh_s16(const SigmoidS16Params& params, const int16_t* input, int16_t* output);

/// int16 SOFTMAX along the last dimension (layout [outer_size, depth]): exp of each
/// difference from the row maximum from exp_lut, their int32 sum normalized and inverted
/// with one_over_one_plus_x_lut, each exp times that reciprocal, rounded, in [0, 32767].
/// The output must not alias the input (exps are cached in it while the row is read).
void softmax_s16(const SoftmaxS16Params& params, const int16_t* input, int16_t* output);

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_LUT16_HPP
