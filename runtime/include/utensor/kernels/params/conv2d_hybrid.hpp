// Written by `python -m utensor.kernel_params --write` from the table in
// scripts/utensor/kernel_params.py. Do not edit: change the table and regenerate. Generated
// models check at compile time that these structs are laid out as the table says.
#ifndef UTENSOR_KERNELS_PARAMS_CONV2D_HYBRID_HPP
#define UTENSOR_KERNELS_PARAMS_CONV2D_HYBRID_HPP

// Hybrid (float32 activations, int8 weights) convolutions' parameters
// (kernels/conv2d_hybrid.hpp).

#include <stdint.h>

#include "utensor/kernels/params/conv2d.hpp"

#include "utensor/kernels/params/depthwise_conv2d.hpp"

namespace utensor {
namespace kernels {

/// Hybrid CONV_2D (and FULLY_CONNECTED as a 1x1 convolution).
struct Conv2DHybridParams {
  Conv2DShape shape;          // filter_input_channels == input_channels
  const float* filter_scale;  // [1] (per_channel == 0) or [C_OUT]
  int32_t per_channel;        // 1: asymmetric input quantization, per-channel scales
  float activation_min;       // the fused activation's lower bound (-HUGE_VALF: none)
  float activation_max;       // the fused activation's upper bound (HUGE_VALF: none)
};

/// Hybrid DEPTHWISE_CONV_2D.
struct DepthwiseConv2DHybridParams {
  DepthwiseConv2DShape shape;  // the geometry
  const float* filter_scale;   // [C_OUT]
  float activation_min;        // the fused activation's lower bound (-HUGE_VALF: none)
  float activation_max;        // the fused activation's upper bound (HUGE_VALF: none)
};

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_PARAMS_CONV2D_HYBRID_HPP
