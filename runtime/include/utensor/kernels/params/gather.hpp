// Written by `python -m utensor.kernel_params --write` from the table in
// scripts/utensor/kernel_params.py. Do not edit: change the table and regenerate. Generated
// models check at compile time that these structs are laid out as the table says.
#ifndef UTENSOR_KERNELS_PARAMS_GATHER_HPP
#define UTENSOR_KERNELS_PARAMS_GATHER_HPP

// Index-walking operators' parameters (kernels/gather.hpp): ARG_MAX/ARG_MIN,
// RESIZE_NEAREST_NEIGHBOR.

#include <stdint.h>

namespace utensor {
namespace kernels {

/// The input viewed as [outer, axis_size, inner]; the output [outer, inner] holds the index
/// along the axis.
struct ArgMinMaxParams {
  int32_t outer_size;  // the product of the dimensions before the axis
  int32_t axis_size;   // the reduced dimension
  int32_t inner_size;  // the product of the dimensions after the axis
};

/// NHWC; which input row and column each output one reads (computed at conversion as TFLite
/// Micro's GetNearestNeighbor).
struct ResizeNearestParams {
  int32_t batches;        // N
  int32_t input_height;   // H in
  int32_t input_width;    // W in
  int32_t output_height;  // H out
  int32_t output_width;   // W out
  int32_t channels;       // C
  const int32_t* rows;    // [output_height] the input row of each output row
  const int32_t* cols;    // [output_width] the input column of each output column
};

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_PARAMS_GATHER_HPP
