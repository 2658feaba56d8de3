#ifndef UTENSOR_KERNELS_GATHER_HPP
#define UTENSOR_KERNELS_GATHER_HPP

// Operators that pick input elements by index: ARG_MAX / ARG_MIN (the index of the first
// largest / smallest value along an axis, comparing stored values as TFLite Micro does)
// and RESIZE_NEAREST_NEIGHBOR (each output pixel copies the input pixel the converter
// chose for its row and column, exactly as TFLite Micro's GetNearestNeighbor).

#include <stdint.h>

#include "utensor/kernels/params/gather.hpp"

namespace utensor {
namespace kernels {

// ArgMax / ArgMin for every input type TFLite Micro takes, int32 out: X(input type, suffix).
#define UTENSOR_ARG_TYPES(X) X(int8_t, s8) X(float, f32)

/// arg_max_<in>_i32 / arg_min_<in>_i32: output[o * inner + i] = the first k with the
/// largest (smallest) input[(o * axis + k) * inner + i].
#define UTENSOR_ARG_DECLARE(T, suffix)                                                          \
  void arg_max_##suffix##_i32(const ArgMinMaxParams& p, const T* input, int32_t* output);       \
  void arg_min_##suffix##_i32(const ArgMinMaxParams& p, const T* input, int32_t* output);
UTENSOR_ARG_TYPES(UTENSOR_ARG_DECLARE)
#undef UTENSOR_ARG_DECLARE

/// RESIZE_NEAREST_NEIGHBOR of `element_bytes`-byte elements (int8, int16, float32).
void resize_nearest(const ResizeNearestParams& p, const void* input, void* output, int32_t element_bytes);

/// Typed entry points for the generated code.
inline void resize_nearest_s8(const ResizeNearestParams& p, const int8_t* input, int8_t* output) {
  resize_nearest(p, input, output, 1);
}
inline void resize_nearest_s16(const ResizeNearestParams& p, const int16_t* input, int16_t* output) {
  resize_nearest(p, input, output, 2);
}
inline void resize_nearest_f32(const ResizeNearestParams& p, const float* input, float* output) {
  resize_nearest(p, input, output, 4);
}

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_GATHER_HPP
