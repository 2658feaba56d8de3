#ifndef UTENSOR_KERNELS_CONV2D_HYBRID_HPP
#define UTENSOR_KERNELS_CONV2D_HYBRID_HPP

// Hybrid ("dynamic range quantized") 2-D convolution, NHWC, as TensorFlow Lite's CONV_2D
// computes it for float32 input/output with int8 weights (tensorflow/lite/kernels/conv.cc,
// EvalHybrid and EvalHybridPerChannel). TensorFlow Lite Micro has no such kernel; the
// reference is tf.lite.Interpreter's builtin kernels (not its XNNPACK delegate).
//
// Algorithm, per batch b:
//  1. quantize the whole input image to int8 (TFLite's tensor_utils):
//     - symmetric (per-tensor weights, SymmetricQuantizeFloats): range = max |x|;
//       factor = range / 127, q = clamp(round(x * (127 / range)), -127, 127), offset 0;
//       an all-zero image quantizes to 0 with factor 1;
//     - asymmetric (per-channel weights, AsymmetricQuantizeFloats): min/max widened to
//       include 0, their difference in float, scale and nudged zero point in double,
//       factor = float(scale), q = clamp(round(zp + x * (1 / factor)), -128, 127).
//  2. int32 sum over the window of filter * (q - offset); taps outside the image add 0.
//  3. out = float(sum) * (factor * filter_scale) (per-tensor) or
//     float(sum) * factor * filter_scale[c] (per-channel), + bias[c], clamped.
// The float expressions are written in TFLite's order with no fused multiply-add, so the
// result is identical to TFLite's on any IEEE-754 single-precision FPU.
//
// Layouts as conv2d.hpp: input [N, H_IN, W_IN, C_IN], filter [C_OUT, KH, KW, C_IN],
// bias [C_OUT] float32 (optional), output [N, H_OUT, W_OUT, C_OUT]. No groups.
// Scratch (planned by the converter, conv2d_hybrid_scratch_bytes): N floats (factors),
// N int32 (offsets), then the int8 copy of the input.

#include <stddef.h>
#include <stdint.h>

#include "utensor/kernels/conv2d.hpp"
#include "utensor/kernels/depthwise_conv2d.hpp"
#include "utensor/kernels/params/conv2d_hybrid.hpp"

namespace utensor {
namespace kernels {

/// Bytes of scratch conv2d_hybrid needs for `batches` images of `image_elements` values.
inline size_t conv2d_hybrid_scratch_bytes(int32_t batches, int32_t image_elements) {
  return static_cast<size_t>(batches) * (sizeof(float) + sizeof(int32_t)) +
         static_cast<size_t>(batches) * static_cast<size_t>(image_elements);
}

/// Hybrid conv: float32 input/output, int8 filter, float32 bias [C_OUT] or nullptr;
/// `scratch` (4-byte aligned) holds conv2d_hybrid_scratch_bytes(N, H_IN*W_IN*C_IN) bytes.
void conv2d_hybrid(const Conv2DHybridParams& params, const float* input, const int8_t* filter,
                   const float* bias, float* output, uint8_t* scratch);

// Hybrid DEPTHWISE_CONV_2D (TFLite's depthwise_conv.cc EvalHybridPerChannel): always the
// asymmetric input quantization; out = (float(sum) * filter_scale[c]) * factor + bias[c],
// clamped. Filter [1, KH, KW, C_IN * depth_multiplier]; same scratch as conv2d_hybrid.

/// Hybrid depthwise conv: float32 input/output, int8 filter, float32 bias [C_OUT] or
/// nullptr; `scratch` (4-byte aligned) holds conv2d_hybrid_scratch_bytes(N, H_IN*W_IN*C_IN).
void depthwise_conv2d_hybrid(const DepthwiseConv2DHybridParams& params, const float* input,
                             const int8_t* filter, const float* bias, float* output,
                             uint8_t* scratch);

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_CONV2D_HYBRID_HPP
