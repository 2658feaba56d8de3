// Written by `python -m utensor.kernel_params --write` from the table in
// scripts/utensor/kernel_params.py. Do not edit: change the table and regenerate. Generated
// models check at compile time that these structs are laid out as the table says.
#ifndef UTENSOR_KERNELS_PARAMS_VARIABLE_HPP
#define UTENSOR_KERNELS_PARAMS_VARIABLE_HPP

// READ_VARIABLE and ASSIGN_VARIABLE's parameters (kernels/variable.hpp).

#include <stdint.h>

namespace utensor {
namespace kernels {

/// A copy between a resource variable and a tensor.
struct CopyParams {
  int32_t bytes;  // bytes copied
};

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_PARAMS_VARIABLE_HPP
