// Written by `python -m utensor.kernel_params --write` from the table in
// scripts/utensor/kernel_params.py. Do not edit: change the table and regenerate. Generated
// models check at compile time that these structs are laid out as the table says.
#ifndef UTENSOR_KERNELS_PARAMS_TRANSPOSE_HPP
#define UTENSOR_KERNELS_PARAMS_TRANSPOSE_HPP

// TRANSPOSE's parameters (kernels/transpose.hpp).

#include <stdint.h>

namespace utensor {
namespace kernels {

/// The output shape extended to rank 6 with leading 1s.
struct TransposeParams {
  int32_t output_dims[6];    // the output shape
  int32_t input_strides[6];  // input stride of the axis that becomes output axis d
};

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_PARAMS_TRANSPOSE_HPP
