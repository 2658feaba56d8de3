// Written by `python -m utensor.kernel_params --write` from the table in
// scripts/utensor/kernel_params.py. Do not edit: change the table and regenerate. Generated
// models check at compile time that these structs are laid out as the table says.
#ifndef UTENSOR_KERNELS_PARAMS_ACTIVATIONS_HPP
#define UTENSOR_KERNELS_PARAMS_ACTIVATIONS_HPP

// The unary activations' parameters (kernels/activations.hpp).

#include <stdint.h>

namespace utensor {
namespace kernels {

/// int8 activations: one table lookup per element.
struct LookupS8Params {
  int32_t size;         // elements
  const int8_t* table;  // [256], indexed by the input byte as uint8_t
};

/// float32 activations.
struct ActivationF32Params {
  int32_t size;  // elements
  float alpha;   // LEAKY_RELU's slope for negative inputs; unused otherwise
};

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_PARAMS_ACTIVATIONS_HPP
