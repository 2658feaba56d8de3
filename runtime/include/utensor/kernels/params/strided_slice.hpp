// Written by `python -m utensor.kernel_params --write` from the table in
// scripts/utensor/kernel_params.py. Do not edit: change the table and regenerate. Generated
// models check at compile time that these structs are laid out as the table says.
#ifndef UTENSOR_KERNELS_PARAMS_STRIDED_SLICE_HPP
#define UTENSOR_KERNELS_PARAMS_STRIDED_SLICE_HPP

// STRIDED_SLICE's parameters (kernels/strided_slice.hpp).

#include <stdint.h>

namespace utensor {
namespace kernels {

/// An affine gather over a rank-5 output box.
struct StridedSliceParams {
  int32_t output_dims[5];  // the output box, padded with leading 1s
  // stride * the input stride of each axis, in elements (possibly negative)
  int32_t input_steps[5];
  int32_t start;           // input element offset of output element 0
};

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_PARAMS_STRIDED_SLICE_HPP
