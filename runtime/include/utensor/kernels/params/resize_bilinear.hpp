// Written by `python -m utensor.kernel_params --write` from the table in
// scripts/utensor/kernel_params.py. Do not edit: change the table and regenerate. Generated
// models check at compile time that these structs are laid out as the table says.
#ifndef UTENSOR_KERNELS_PARAMS_RESIZE_BILINEAR_HPP
#define UTENSOR_KERNELS_PARAMS_RESIZE_BILINEAR_HPP

// RESIZE_BILINEAR's parameters (kernels/resize_bilinear.hpp): the source rows and columns of
// every output one and their weights, computed at conversion as TFLite Micro does.

#include <stdint.h>

namespace utensor {
namespace kernels {

/// int8, TFLite's ResizeBilinearInteger (10-bit fractions).
struct ResizeBilinearS8Params {
  int32_t batches;        // N
  int32_t input_height;   // H in
  int32_t input_width;    // W in
  int32_t output_height;  // H out
  int32_t output_width;   // W out
  int32_t channels;       // C
  const int32_t* rows;    // [output_height * 3]: y0, y1, the source y * 1024
  const int32_t* cols;    // [output_width * 3]: x0, x1, the source x * 1024
};

/// float32, TFLite's ResizeBilinear.
struct ResizeBilinearF32Params {
  int32_t batches;        // N
  int32_t input_height;   // H in
  int32_t input_width;    // W in
  int32_t output_height;  // H out
  int32_t output_width;   // W out
  int32_t channels;       // C
  const int32_t* rows;    // [output_height * 2]: y0, y1
  const int32_t* cols;    // [output_width * 2]: x0, x1
  const float* row_frac;  // [output_height]: source y - y0, in float32
  const float* col_frac;  // [output_width]: source x - x0, in float32
};

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_PARAMS_RESIZE_BILINEAR_HPP
