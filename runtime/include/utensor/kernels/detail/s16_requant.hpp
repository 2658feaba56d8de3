#ifndef UTENSOR_KERNELS_DETAIL_S16_REQUANT_HPP
#define UTENSOR_KERNELS_DETAIL_S16_REQUANT_HPP

// The requantization of TFLite's 16x8 kernels (int16 activations, int8 weights), whose
// accumulators are int64: MultiplyByQuantizedMultiplier(int64_t, ...) of TFLite's
// common.h (the double-rounding build TFLite Micro ships). It is not the int8 kernels'
// doubling high multiply: the Q31 multiplier is first rounded to Q15, then one rounding
// shift. Bit-exactness with tflite_micro depends on keeping exactly this form.

#include <stdint.h>

namespace utensor {
namespace kernels {
namespace detail {

inline int32_t multiply_by_quantized_multiplier_s64(int64_t acc, int32_t multiplier, int32_t shift) {
  const int64_t reduced = multiplier < 0x7FFF0000 ? (multiplier + (1 << 15)) >> 16 : 0x7FFF;
  const int32_t total_shift = 15 - shift;  // shift <= 7 (converter-checked), so >= 8
  const int64_t product = acc * reduced + (static_cast<int64_t>(1) << (total_shift - 1));
  // Arithmetic shift of a negative int64: implementation-defined before C++20, arithmetic
  // on every compiler the runtime supports (as TFLite itself assumes).
  return static_cast<int32_t>(product >> total_shift);
}

inline int16_t clamp_s16(int32_t v, int32_t lo, int32_t hi) {
  return static_cast<int16_t>(v < lo ? lo : (v > hi ? hi : v));
}

}  // namespace detail
}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_DETAIL_S16_REQUANT_HPP
