// Written by `python -m utensor.kernel_params --write` from the table in
// scripts/utensor/kernel_params.py. Do not edit: change the table and regenerate. Generated
// models check at compile time that these structs are laid out as the table says.
#ifndef UTENSOR_KERNELS_PARAMS_LUT16_HPP
#define UTENSOR_KERNELS_PARAMS_LUT16_HPP

// The int16 (16x8) LOGISTIC, TANH and SOFTMAX parameters (kernels/lut16.hpp): TFLite Micro's
// kernels that interpolate in tables, the tables computed by the converter
// (scripts/utensor/ops/_lut16.py).

#include <stdint.h>

namespace utensor {
namespace kernels {

/// int16 LOGISTIC / TANH: input zero point 0, output scale 2^-15 and zero point 0.
struct SigmoidS16Params {
  int32_t size;              // elements
  int32_t input_multiplier;  // in [1, 65535]: the input times it fits an int32
  int32_t input_shift;       // in [0, 31]: the rounding right shift after the multiplier
  // [256] sigmoid(k / 24) in unsigned 0.16, interpolation-corrected as TFLite's
  // sigmoid_table_uint16
  const uint16_t* table;
};

/// int16 SOFTMAX (output scale 1/32768, zero point 0) over the last dimension.
struct SoftmaxS16Params {
  int32_t outer_size;   // rows: the product of every dimension but the last
  int32_t depth;        // the last dimension, <= 65536 (the int32 sum of exps)
  // QuantizeMultiplier(input scale * beta * 65535 / 10): maps differences onto [-65535, 0] =
  // [-10, 0]
  int32_t input_multiplier;
  int32_t input_shift;  // TFLite convention: > 0 shifts left
  // [513] exp over [-10, 0] in Q0.15, as TFLite's gen_lut (interpolated by the input's low 7
  // bits)
  const int16_t* exp_lut;
  // [513] 1 / (1 + x) over [0, 1] in Q0.15, as TFLite's gen_lut
  const int16_t* one_over_one_plus_x_lut;
};

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_PARAMS_LUT16_HPP
