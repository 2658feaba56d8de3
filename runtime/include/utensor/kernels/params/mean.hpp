// Written by `python -m utensor.kernel_params --write` from the table in
// scripts/utensor/kernel_params.py. Do not edit: change the table and regenerate. Generated
// models check at compile time that these structs are laid out as the table says.
#ifndef UTENSOR_KERNELS_PARAMS_MEAN_HPP
#define UTENSOR_KERNELS_PARAMS_MEAN_HPP

// MEAN's parameters (kernels/mean.hpp).

#include <stdint.h>

namespace utensor {
namespace kernels {

/// The input extended to rank 5 with leading 1s.
struct MeanShape {
  int32_t input_dims[5];  // the input shape
  int32_t reduce[5];      // 1 for a reduced axis, 0 otherwise
  int32_t output_count;   // elements of the output
  int32_t reduce_count;   // elements averaged into each output (>= 1)
};

/// int8 mean (TFLite Micro's QuantizedMeanOrSum).
struct MeanS8Params {
  MeanShape shape;            // the geometry
  int32_t input_zero_point;   // the input zero point
  int32_t output_zero_point;  // the output zero point
  int32_t multiplier;         // input / output scale with 1/count folded in
  int32_t shift;              // TFLite convention: > 0 shifts left
};

/// float32 mean.
struct MeanF32Params {
  MeanShape shape;  // the geometry
};

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_PARAMS_MEAN_HPP
