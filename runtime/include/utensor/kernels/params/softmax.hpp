// Written by `python -m utensor.kernel_params --write` from the table in
// scripts/utensor/kernel_params.py. Do not edit: change the table and regenerate. Generated
// models check at compile time that these structs are laid out as the table says.
#ifndef UTENSOR_KERNELS_PARAMS_SOFTMAX_HPP
#define UTENSOR_KERNELS_PARAMS_SOFTMAX_HPP

// SOFTMAX's parameters (kernels/softmax.hpp).

#include <stdint.h>

namespace utensor {
namespace kernels {

/// int8 softmax (int8 output: scale 1/256, zero point -128; int16 output: scale 1/65536, zero
/// point -32768).
struct SoftmaxS8Params {
  int32_t outer_size;        // rows: the product of every dimension but the last
  int32_t depth;             // the last dimension
  int32_t input_multiplier;  // beta * input_scale * 2^26 as QuantizeMultiplierGreaterThanOne
  int32_t input_left_shift;  // >= 0
  int32_t diff_min;          // -CalculateInputRadius(5, input_left_shift)
  // [256]: entry k is exp of the difference -k in Q0.31, 0 below diff_min; nullptr to compute
  // each
  const int32_t* exp_table;
};

/// float32 softmax.
struct SoftmaxF32Params {
  int32_t outer_size;  // rows: the product of every dimension but the last
  int32_t depth;       // the last dimension
  float beta;          // the inverse temperature
};

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_PARAMS_SOFTMAX_HPP
