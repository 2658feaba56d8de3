// Written by `python -m utensor.kernel_params --write` from the table in
// scripts/utensor/kernel_params.py. Do not edit: change the table and regenerate. Generated
// models check at compile time that these structs are laid out as the table says.
#ifndef UTENSOR_KERNELS_PARAMS_SQUARED_DIFFERENCE_HPP
#define UTENSOR_KERNELS_PARAMS_SQUARED_DIFFERENCE_HPP

// int8 SQUARED_DIFFERENCE's parameters (kernels/squared_difference.hpp).

#include <stdint.h>

#include "utensor/kernels/params/elementwise.hpp"

namespace utensor {
namespace kernels {

/// int8 SQUARED_DIFFERENCE (TFLite Micro's quantized form).
struct SquaredDifferenceS8Params {
  BroadcastShape shape;         // the geometry (elementwise.hpp's broadcasting)
  // [256] input 1's byte rescaled: (x - zero point) << 7 times its multiplier, indexed by the
  // byte as uint8_t
  const int32_t* input1_table;
  const int32_t* input2_table;  // [256] the same for input 2
  int32_t output_multiplier;    // (2 max scale)^2 / (2^14 output scale)
  int32_t output_shift;         // TFLite convention: > 0 shifts left
  int32_t output_offset;        // the output zero point
};

/// int16 SQUARED_DIFFERENCE (TFLite Micro's quantized form with int16's left shift), computed
/// per element.
struct SquaredDifferenceS16Params {
  BroadcastShape shape;       // the geometry (elementwise.hpp's broadcasting)
  int32_t left_shift;         // TFLite Micro's left shift for int16
  int32_t input1_offset;      // minus input 1's zero point
  int32_t input1_multiplier;  // Q31 of input 1's scale / (2 max scale)
  int32_t input1_shift;       // <= 0
  int32_t input2_offset;      // minus input 2's zero point
  int32_t input2_multiplier;  // Q31 of input 2's scale / (2 max scale)
  int32_t input2_shift;       // <= 0
  int32_t output_multiplier;  // (2 max scale)^2 / (2^(2 left_shift) output scale)
  int32_t output_shift;       // TFLite convention: > 0 shifts left
  int32_t output_offset;      // the output zero point
};

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_PARAMS_SQUARED_DIFFERENCE_HPP
