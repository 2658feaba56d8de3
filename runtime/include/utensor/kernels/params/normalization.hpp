// Written by `python -m utensor.kernel_params --write` from the table in
// scripts/utensor/kernel_params.py. Do not edit: change the table and regenerate. Generated
// models check at compile time that these structs are laid out as the table says.
#ifndef UTENSOR_KERNELS_PARAMS_NORMALIZATION_HPP
#define UTENSOR_KERNELS_PARAMS_NORMALIZATION_HPP

// LOG_SOFTMAX and L2_NORMALIZATION's parameters (kernels/normalization.hpp), over the last axis.

#include <stdint.h>

namespace utensor {
namespace kernels {

/// float32 LOG_SOFTMAX.
struct LogSoftmaxF32Params {
  int32_t outer_size;  // rows: the product of every dimension but the last
  int32_t depth;       // the last dimension
};

/// int8 LOG_SOFTMAX (output scale 16/256, zero point 127), TFLite's fixed-point exp and log.
struct LogSoftmaxS8Params {
  int32_t outer_size;               // rows: the product of every dimension but the last
  int32_t depth;                    // the last dimension, <= 4095 (the Q12.19 sum of exps)
  int32_t input_multiplier;         // input scale * 2^26 as QuantizeMultiplierGreaterThanOne
  int32_t input_left_shift;         // >= 1
  int32_t reverse_scaling_divisor;  // 2^(31 - input_left_shift) / input_multiplier, Q31
  int32_t reverse_scaling_shift;    // <= 0, TFLite convention (a right shift)
  int32_t diff_min;                 // -CalculateInputRadius(5, input_left_shift)
};

/// float32 L2_NORMALIZATION (epsilon 1e-6, as TFLite Micro).
struct L2NormF32Params {
  int32_t outer_size;  // rows: the product of every dimension but the last
  int32_t depth;       // the last dimension
};

/// int8 L2_NORMALIZATION (output scale 1/128, zero point 0).
struct L2NormS8Params {
  int32_t outer_size;        // rows: the product of every dimension but the last
  int32_t depth;             // the last dimension
  int32_t input_zero_point;  // the input zero point
};

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_PARAMS_NORMALIZATION_HPP
