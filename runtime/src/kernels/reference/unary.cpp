#include "utensor/kernels/unary.hpp"

#include <math.h>

namespace utensor {
namespace kernels {

namespace {

// TFLite's RoundToNearest: halves go to the even neighbour.
inline float round_half_even(float v) {
  const float f = floorf(v);
  const float diff = v - f;
  if (diff < 0.5f || (diff == 0.5f && fmodf(f, 2.0f) == 0.0f)) return f;
  return f + 1.0f;
}

template <typename F>
inline void apply(const UnaryF32Params& params, const float* input, float* output, F f) {
  for (int32_t i = 0; i < params.size; ++i) output[i] = f(input[i]);
}

}  // namespace

// One loop per function (no per-element dispatch), from the header's list.
#define UTENSOR_UNARY_F32_BODY(name, expr)                                          \
  void name(const UnaryF32Params& params, const float* input, float* output) {      \
    apply(params, input, output, [](float x) { return expr; });                     \
  }

UTENSOR_UNARY_F32_LIST(UTENSOR_UNARY_F32_BODY)

#undef UTENSOR_UNARY_F32_BODY

void logical_not_b8(const UnaryB8Params& params, const bool* input, bool* output) {
  for (int32_t i = 0; i < params.size; ++i) output[i] = !input[i];
}

}  // namespace kernels
}  // namespace utensor
