// Written by `python -m utensor.kernel_params --write` from the table in
// scripts/utensor/kernel_params.py. Do not edit: change the table and regenerate. Generated
// models check at compile time that these structs are laid out as the table says.
#ifndef UTENSOR_KERNELS_PARAMS_POOLING_HPP
#define UTENSOR_KERNELS_PARAMS_POOLING_HPP

// AVERAGE_POOL_2D and MAX_POOL_2D's parameters (kernels/pooling.hpp).

#include <stdint.h>

namespace utensor {
namespace kernels {

/// The geometry of a 2-D pooling, NHWC.
struct PoolShape {
  int32_t batches;        // N
  int32_t input_height;   // H_IN
  int32_t input_width;    // W_IN
  int32_t channels;       // C
  int32_t filter_height;  // the window's height
  int32_t filter_width;   // the window's width
  int32_t output_height;  // H_OUT
  int32_t output_width;   // W_OUT
  int32_t stride_height;  // >= 1
  int32_t stride_width;   // >= 1
  int32_t pad_top;        // rows of padding above the image
  int32_t pad_left;       // columns of padding left of the image
};

/// int8 pooling (same quantization in and out).
struct PoolS8Params {
  PoolShape shape;         // the geometry
  int32_t activation_min;  // within [-128, 127]
  int32_t activation_max;  // within [-128, 127]
};

/// float32 pooling.
struct PoolF32Params {
  PoolShape shape;       // the geometry
  float activation_min;  // the fused activation's lower bound (-HUGE_VALF: none)
  float activation_max;  // the fused activation's upper bound (HUGE_VALF: none)
};

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_PARAMS_POOLING_HPP
