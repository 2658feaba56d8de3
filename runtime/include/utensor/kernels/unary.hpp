#ifndef UTENSOR_KERNELS_UNARY_HPP
#define UTENSOR_KERNELS_UNARY_HPP

// Elementwise math on float32 tensors as TFLite Micro computes it: ABS, NEG, SQRT, RSQRT,
// SQUARE, EXP, LOG, SIN, COS, FLOOR, CEIL, ROUND (half to even, TFLite's RoundToNearest).
// All tensors are flat arrays of `size` elements; the output may alias the input.
// int8 ABS is a table lookup (activations.hpp lookup_s8) computed by the converter.

#include <stdint.h>

#include "utensor/kernels/params/unary.hpp"

namespace utensor {
namespace kernels {

// Every function once: X(name, its value for one element x); runtime/src/kernels/
// reference/unary.cpp expands the same list into the loops (round_half_even is TFLite's
// RoundToNearest, defined there).
#define UTENSOR_UNARY_F32_LIST(X)    \
  X(abs_f32, fabsf(x))               \
  X(neg_f32, -x)                     \
  X(sqrt_f32, sqrtf(x))              \
  X(rsqrt_f32, 1.0f / sqrtf(x))      \
  X(square_f32, x * x)               \
  X(exp_f32, expf(x))                \
  X(log_f32, logf(x))                \
  X(sin_f32, sinf(x))                \
  X(cos_f32, cosf(x))                \
  X(floor_f32, floorf(x))            \
  X(ceil_f32, ceilf(x))              \
  X(round_f32, round_half_even(x))

/// LOGICAL_NOT: out[i] = !in[i].
void logical_not_b8(const UnaryB8Params& params, const bool* input, bool* output);

/// out[i] = f(in[i]) for the function in the name (see UTENSOR_UNARY_F32_LIST).
#define UTENSOR_UNARY_F32_DECLARE(name, what) \
  void name(const UnaryF32Params& params, const float* input, float* output);
UTENSOR_UNARY_F32_LIST(UTENSOR_UNARY_F32_DECLARE)
#undef UTENSOR_UNARY_F32_DECLARE

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_UNARY_HPP
