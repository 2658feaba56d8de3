// Written by `python -m utensor.kernel_params --write` from the table in
// scripts/utensor/kernel_params.py. Do not edit: change the table and regenerate. Generated
// models check at compile time that these structs are laid out as the table says.
#ifndef UTENSOR_KERNELS_PARAMS_ACTIVATIONS_HPP
#define UTENSOR_KERNELS_PARAMS_ACTIVATIONS_HPP

// The unary activations' parameters (kernels/activations.hpp).

#include <stdint.h>

namespace utensor {
namespace kernels {

/// int8 activations: one table lookup per element.
struct LookupS8Params {
  int32_t size;         // elements
  const int8_t* table;  // [256], indexed by the input byte as uint8_t
};

/// int16 RELU, RELU6 and LEAKY_RELU (16x8): a rescaling per sign of x - input zero point, then
/// a clamp.
struct LinearS16Params {
  int32_t size;                 // elements
  int32_t input_zero_point;     // subtracted from every input
  int32_t output_zero_point;    // added after the rescaling
  int32_t rescale;              // 0: no rescaling (out = clamp(x), RELU6); 1: rescale
  int32_t multiplier_positive;  // for x - input_zero_point >= 0 (Q31)
  int32_t shift_positive;       // TFLite convention: > 0 shifts left
  int32_t multiplier_negative;  // for x - input_zero_point < 0 (Q31)
  int32_t shift_negative;       // TFLite convention: > 0 shifts left
  int32_t activation_min;       // within [-32768, 32767]
  int32_t activation_max;       // within [-32768, 32767]
};

/// float32 activations.
struct ActivationF32Params {
  int32_t size;  // elements
  float alpha;   // LEAKY_RELU's slope for negative inputs; unused otherwise
};

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_PARAMS_ACTIVATIONS_HPP
