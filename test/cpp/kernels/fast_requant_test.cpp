// kernel_util.hpp's fast_requantize equals multiply_by_multiplier + zero point (the
// general form, checked against TFLite by the conformance tests) for accumulators within
// the bound the converter proves (ops/_requant.py states it: |acc| * 2^pre_shift < 2^31,
// post_shift in [1, 22]).
#include <gtest/gtest.h>
#include <stdint.h>

#include "utensor/kernels/detail/kernel_util.hpp"

namespace {

using utensor::kernels::detail::FastRequant;
using utensor::kernels::detail::fast_requantize;
using utensor::kernels::detail::multiply_by_multiplier;

uint32_t next(uint32_t* s) {  // xorshift32: deterministic, no <random> distribution drift
  *s ^= *s << 13;
  *s ^= *s >> 17;
  *s ^= *s << 5;
  return *s;
}

TEST(FastRequant, EqualsTheGeneralFormWithinTheBound) {
  uint32_t s = 12345u;
  for (int trial = 0; trial < 2000; ++trial) {
    const int32_t multiplier = static_cast<int32_t>((1u << 30) | (next(&s) & 0x3fffffffu));
    const int32_t left = static_cast<int32_t>(next(&s) % 3u);
    const int32_t right = left > 0 ? 0 : 1 + static_cast<int32_t>(next(&s) % 22u);
    if (right == 0) continue;  // the fast form needs a right shift (converter refuses)
    const int32_t shift = left - right;
    const int32_t zero_point = static_cast<int32_t>(next(&s) % 256u) - 128;
    const int32_t pre = left + 1;
    const int32_t bound = static_cast<int32_t>((INT64_C(1) << (31 - pre)) - 1);
    const FastRequant q = {multiplier, pre, right,
                           (1 << (right - 1)) + zero_point * (1 << right)};
    for (int i = 0; i < 200; ++i) {
      int32_t acc = static_cast<int32_t>(next(&s) % (2u * static_cast<uint32_t>(bound) + 1u)) - bound;
      if (i < 4) acc = (i & 1) ? bound : -bound;
      EXPECT_EQ(fast_requantize(acc, q), multiply_by_multiplier(acc, multiplier, shift) + zero_point)
          << "acc " << acc << " multiplier " << multiplier << " shift " << shift;
    }
  }
}

TEST(FastRequant, HalvesRoundAwayFromZero) {
  const FastRequant q = {1 << 30, 1, 1, 1};  // x0.25, zero point 0
  for (int32_t acc = -1000; acc <= 1000; ++acc) {
    EXPECT_EQ(fast_requantize(acc, q), multiply_by_multiplier(acc, 1 << 30, -1)) << acc;
  }
}

}  // namespace
