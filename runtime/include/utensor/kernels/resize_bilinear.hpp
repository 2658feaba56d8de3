#ifndef UTENSOR_KERNELS_RESIZE_BILINEAR_HPP
#define UTENSOR_KERNELS_RESIZE_BILINEAR_HPP

// RESIZE_BILINEAR on NHWC tensors as TFLite Micro computes it. Which two source rows and
// columns each output pixel blends, and by how much, depends only on the sizes and the
// align_corners / half_pixel_centers options: the converter computes them (TFLite's
// ComputeInterpolationValues[Integer]) and the kernels only blend.
//
// int8 (ResizeBilinearInteger): weights in 1/1024ths, a 64-bit sum of the four products,
// rounded half away from zero by 2^20 and converted to int8 (input and output share their
// quantization). float32 (ResizeBilinear): TFLite's expression, term by term in float32.

#include <stdint.h>

#include "utensor/kernels/params/resize_bilinear.hpp"

namespace utensor {
namespace kernels {

/// int8 bilinear resize.
void resize_bilinear_s8(const ResizeBilinearS8Params& params, const int8_t* input, int8_t* output);

/// float32 bilinear resize.
void resize_bilinear_f32(const ResizeBilinearF32Params& params, const float* input, float* output);

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_RESIZE_BILINEAR_HPP
