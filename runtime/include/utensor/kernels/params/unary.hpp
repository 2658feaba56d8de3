// Written by `python -m utensor.kernel_params --write` from the table in
// scripts/utensor/kernel_params.py. Do not edit: change the table and regenerate. Generated
// models check at compile time that these structs are laid out as the table says.
#ifndef UTENSOR_KERNELS_PARAMS_UNARY_HPP
#define UTENSOR_KERNELS_PARAMS_UNARY_HPP

// The elementwise math functions' parameters (kernels/unary.hpp).

#include <stdint.h>

namespace utensor {
namespace kernels {

/// float32 functions of one tensor, element by element.
struct UnaryF32Params {
  int32_t size;  // elements
};

/// int8 RSQRT: a table lookup that refuses the inputs TFLite Micro refuses (below the input
/// zero point).
struct RsqrtS8Params {
  int32_t size;         // elements
  const int8_t* table;  // [256], indexed by the input byte as uint8_t
  int32_t input_min;    // the input zero point: a smaller input fails the invocation
};

/// bool functions of one tensor (LOGICAL_NOT).
struct UnaryB8Params {
  int32_t size;  // elements
};

/// int16 ABS (zero points 0, as TFLite Micro requires): |x|, rescaled when the scales differ,
/// clamped to int16.
struct AbsS16Params {
  int32_t size;        // elements
  int32_t rescale;     // 0: the scales are equal, out = clamp(|x|); 1: rescale
  int32_t multiplier;  // Q31 of input scale / output scale (float32 quotient)
  int32_t shift;       // TFLite convention: > 0 shifts left
};

/// CAST: each element converted with static_cast, as TFLite Micro.
struct CastParams {
  int32_t size;  // elements
};

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_PARAMS_UNARY_HPP
