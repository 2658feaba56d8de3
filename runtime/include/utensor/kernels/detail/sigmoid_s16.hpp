#ifndef UTENSOR_KERNELS_DETAIL_SIGMOID_S16_HPP
#define UTENSOR_KERNELS_DETAIL_SIGMOID_S16_HPP

// TFLite's int16 sigmoid and tanh (reference_integer_ops::Logistic / Tanh on int16), shared
// by int16 LOGISTIC/TANH (lut16.cpp) and the int8 LSTM's gates (lstm_s8.cpp); not a user
// API. Both interpolate linearly in the converter's 256-entry table of sigmoid(k / 24) in
// unsigned 0.16 (ops/_lut16.py sigmoid_table_u16), read at |x| in units of 1/(3 * 4096).

#include <stdint.h>

namespace utensor {
namespace kernels {
namespace detail {

/// sigmoid(|x|) interpolated in unsigned 0.(16 + index_bits); `saturated` past the last entry.
inline uint32_t sigmoid_interpolate(const uint16_t* table, uint32_t magnitude, int index_bits,
                                    uint32_t saturated) {
  const uint32_t index = magnitude >> index_bits;
  if (index >= 255u) return saturated;
  const uint32_t a = table[index];
  const uint32_t b = table[index + 1];
  const uint32_t frac = magnitude & ((1u << index_bits) - 1u);
  return (a << index_bits) + frac * (b - a);
}

inline uint32_t magnitude_of(int32_t x) {
  return x < 0 ? 0u - static_cast<uint32_t>(x) : static_cast<uint32_t>(x);
}

/// sigmoid(x) in Q0.15 for x already rescaled to the table's units (index step 2^9).
inline int16_t sigmoid_s16(const uint16_t* table, int32_t x) {
  uint32_t r = sigmoid_interpolate(table, magnitude_of(x), 9, 0x7FFFu << 10);
  // sigmoid(-x) = 1 - sigmoid(x); both ends round in 0.25 before dropping to Q0.15.
  r = x >= 0 ? r + (1u << 9) : (1u << 25) - r + (1u << 9) - 1u;
  return static_cast<int16_t>(r >> 10);
}

/// tanh(x) = 2 sigmoid(2x) - 1 in Q0.15 for x already rescaled (index step 2^8).
inline int16_t tanh_s16(const uint16_t* table, int32_t x) {
  const int32_t s = static_cast<int32_t>(sigmoid_interpolate(table, magnitude_of(x), 8, 0xFFFFu << 8));
  const int32_t r = x >= 0 ? s - (1 << 23) + (1 << 7) : -s + (1 << 23) + (1 << 7) - 1;
  // r >> 8 is 32768 at the saturated positive end: TFLite Micro stores its low 16 bits.
  return static_cast<int16_t>(static_cast<uint16_t>(static_cast<uint32_t>(r >> 8) & 0xFFFFu));
}

}  // namespace detail
}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_DETAIL_SIGMOID_S16_HPP
