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
