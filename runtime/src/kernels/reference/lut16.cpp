// int16 LOGISTIC and TANH as TFLite Micro's reference_integer_ops on int16: table lookup
// with linear interpolation, no libm. Compiled on every target; no Arm variant.

#include "utensor/kernels/lut16.hpp"

namespace utensor {
namespace kernels {

namespace {

// The input in the table's units (1/(3*4096)): the converter's multiplier and shift stand
// for TFLite Micro's, including its "3 << shift, no shift" form for power-of-two scales.
inline int32_t rescaled_input(const SigmoidS16Params& p, int16_t q, int32_t round) {
  return (static_cast<int32_t>(q) * p.input_multiplier + round) >> p.input_shift;
}

inline int32_t rounding_of(const SigmoidS16Params& p) {
  return p.input_shift > 0 ? (static_cast<int32_t>(1) << (p.input_shift - 1)) : 0;
}

// sigmoid(|x|) interpolated in unsigned 0.(16 + index_bits); `saturated` past the last entry.
inline uint32_t interpolate(const uint16_t* table, uint32_t magnitude, int index_bits,
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

}  // namespace

void logistic_s16(const SigmoidS16Params& params, const int16_t* input, int16_t* output) {
  const int32_t round = rounding_of(params);
  for (int32_t i = 0; i < params.size; ++i) {
    const int32_t x = rescaled_input(params, input[i], round);
    uint32_t r = interpolate(params.table, magnitude_of(x), 9, 0x7FFFu << 10);
    // sigmoid(-x) = 1 - sigmoid(x); both ends round in 0.25 before dropping to Q0.15.
    r = x >= 0 ? r + (1u << 9) : (1u << 25) - r + (1u << 9) - 1u;
    output[i] = static_cast<int16_t>(r >> 10);
  }
}

void tanh_s16(const SigmoidS16Params& params, const int16_t* input, int16_t* output) {
  const int32_t round = rounding_of(params);
  for (int32_t i = 0; i < params.size; ++i) {
    const int32_t x = rescaled_input(params, input[i], round);
    const int32_t s = static_cast<int32_t>(interpolate(params.table, magnitude_of(x), 8, 0xFFFFu << 8));
    const int32_t r = x >= 0 ? s - (1 << 23) + (1 << 7) : -s + (1 << 23) + (1 << 7) - 1;
    // r >> 8 is 32768 at the saturated positive end: TFLite Micro stores its low 16 bits.
    output[i] = static_cast<int16_t>(static_cast<uint16_t>(static_cast<uint32_t>(r >> 8) & 0xFFFFu));
  }
}

}  // namespace kernels
}  // namespace utensor
