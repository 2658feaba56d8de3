#ifndef UTENSOR_KERNELS_UNARY_HPP
#define UTENSOR_KERNELS_UNARY_HPP

// Elementwise math on float32 tensors as TFLite Micro computes it: ABS, NEG, SQRT, RSQRT,
// SQUARE, EXP, LOG, SIN, COS, FLOOR, CEIL, ROUND (half to even, TFLite's RoundToNearest),
// ELU (expm1 below 0: TFLite's reference Elu).
// All tensors are flat arrays of `size` elements; the output may alias the input.
// int8 ABS is a table lookup (activations.hpp lookup_s8) computed by the converter; so is
// int8 RSQRT, checked (rsqrt_s8) when its input zero point leaves inputs TFLite Micro refuses.

#include <stdint.h>

#include "utensor/core/status.hpp"
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
  X(round_f32, round_half_even(x))   \
  X(elu_f32, x < 0.0f ? expm1f(x) : x)

// The element types CAST converts between: X(C type, suffix).
#define UTENSOR_CAST_TYPES(X) X(float, f32) X(int32_t, i32) X(int8_t, s8) X(int16_t, s16) X(int64_t, i64) X(bool, b8)

/// cast_<from>_<to>: out[i] = static_cast<to>(in[i]) for every pair of UTENSOR_CAST_TYPES.
template <typename From, typename To>
void cast(const CastParams& params, const From* input, To* output) {
  for (int32_t i = 0; i < params.size; ++i) output[i] = static_cast<To>(input[i]);
}
#define UTENSOR_CAST_TO(To, to_suffix, From, from_suffix)                                          \
  inline void cast_##from_suffix##_##to_suffix(const CastParams& p, const From* in, To* out) {     \
    cast(p, in, out);                                                                               \
  }
#define UTENSOR_CAST_FROM(From, from_suffix)                                                       \
  UTENSOR_CAST_TO(float, f32, From, from_suffix)                                                   \
  UTENSOR_CAST_TO(int32_t, i32, From, from_suffix)                                                 \
  UTENSOR_CAST_TO(int8_t, s8, From, from_suffix)                                                   \
  UTENSOR_CAST_TO(int16_t, s16, From, from_suffix)                                                 \
  UTENSOR_CAST_TO(int64_t, i64, From, from_suffix)                                                 \
  UTENSOR_CAST_TO(bool, b8, From, from_suffix)
UTENSOR_CAST_TYPES(UTENSOR_CAST_FROM)
#undef UTENSOR_CAST_FROM
#undef UTENSOR_CAST_TO

/// int8 RSQRT: out[i] = table[in[i]]; an input below input_min gives Status::invalid_argument
/// (TFLite Micro fails the invocation: "Rsqrt is only defined for positive values"), the
/// elements before it written. The output may alias the input.
Status rsqrt_s8(const RsqrtS8Params& params, const int8_t* input, int8_t* output);

/// LOGICAL_NOT: out[i] = !in[i].
void logical_not_b8(const UnaryB8Params& params, const bool* input, bool* output);

/// int16 ABS as TFLite Micro's AbsEvalQuantized<int16_t> (65536 inputs: computed, not a
/// table); the output may alias the input.
void abs_s16(const AbsS16Params& params, const int16_t* input, int16_t* output);

/// out[i] = f(in[i]) for the function in the name (see UTENSOR_UNARY_F32_LIST).
#define UTENSOR_UNARY_F32_DECLARE(name, what) \
  void name(const UnaryF32Params& params, const float* input, float* output);
UTENSOR_UNARY_F32_LIST(UTENSOR_UNARY_F32_DECLARE)
#undef UTENSOR_UNARY_F32_DECLARE

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_UNARY_HPP
