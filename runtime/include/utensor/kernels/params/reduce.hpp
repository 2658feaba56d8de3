// Written by `python -m utensor.kernel_params --write` from the table in
// scripts/utensor/kernel_params.py. Do not edit: change the table and regenerate. Generated
// models check at compile time that these structs are laid out as the table says.
#ifndef UTENSOR_KERNELS_PARAMS_REDUCE_HPP
#define UTENSOR_KERNELS_PARAMS_REDUCE_HPP

// SUM, REDUCE_MAX, REDUCE_MIN and REDUCE_ALL's parameters (kernels/reduce.hpp; int8 SUM is
// mean_s8).

#include <stdint.h>

#include "utensor/kernels/params/mean.hpp"

namespace utensor {
namespace kernels {

/// float32 SUM, REDUCE_MAX, REDUCE_MIN.
struct ReduceF32Params {
  MeanShape shape;  // the geometry
};

/// int8 REDUCE_MAX, REDUCE_MIN (same quantization in and out).
struct ReduceS8Params {
  MeanShape shape;  // the geometry
};

/// bool REDUCE_ALL.
struct ReduceB8Params {
  MeanShape shape;  // the geometry
};

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_PARAMS_REDUCE_HPP
