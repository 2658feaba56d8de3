#ifndef UTENSOR_KERNELS_LUT16_HPP
#define UTENSOR_KERNELS_LUT16_HPP

// int16 (16x8) activations that interpolate in tables, as TFLite Micro's int16 kernels:
// LOGISTIC and TANH (reference_integer_ops Logistic/Tanh on int16). The tables and the
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

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_LUT16_HPP
