// Written by `python -m utensor.kernel_params --write` from the table in
// scripts/utensor/kernel_params.py. Do not edit: change the table and regenerate. Generated
// models check at compile time that these structs are laid out as the table says.
#ifndef UTENSOR_KERNELS_PARAMS_CONCATENATION_HPP
#define UTENSOR_KERNELS_PARAMS_CONCATENATION_HPP

// CONCATENATION's parameters (kernels/concatenation.hpp).

#include <stdint.h>

namespace utensor {
namespace kernels {

/// Every tensor viewed as [outer, axis_dim * inner].
struct ConcatenationParams {
  int32_t num_inputs;        // inputs
  int32_t outer_size;        // the product of the dimensions before the axis
  const int32_t* row_sizes;  // [num_inputs]: axis_dim(i) * inner, in elements
};

/// SPLIT, SPLIT_V, UNPACK: the input cut into [outer, axis_dim * inner] pieces.
struct SplitParams {
  int32_t num_outputs;       // outputs
  int32_t outer_size;        // the product of the dimensions before the axis
  const int32_t* row_sizes;  // [num_outputs]: axis_dim(i) * inner, in elements
};

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_PARAMS_CONCATENATION_HPP
