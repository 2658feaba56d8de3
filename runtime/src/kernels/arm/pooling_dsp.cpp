// int8 AVERAGE_POOL_2D for cores with the DSP extension (M4, M7, M33): four channels
// per word, each window summed with two SXTAB16 per tap into halfword pairs (bytes 0,2
// and 1,3), then TFLite's rounding division per channel. Halfword sums are exact while
// the window has at most 255 taps (|sum| <= 128 * 255 < 2^15); larger windows and channel
// counts that are not a multiple of four run the portable kernel. Same bytes as it.
#include "utensor/kernels/arch.hpp"

#if UTENSOR_KERNELS_DSP && !UTENSOR_KERNELS_MVE  // else pooling_mve.cpp

#include <stdint.h>

#include "utensor/kernels/detail/kernel_util.hpp"
#include "utensor/kernels/fixedpoint.hpp"
#include "utensor/kernels/pooling.hpp"

namespace utensor {
namespace kernels {
namespace {

using namespace detail;  // NOLINT: the kernels' shared helpers

/// acc + bytes 0 and 2 of v, sign-extended, halfword by halfword.
UTENSOR_HOT_INLINE uint32_t sxtab16(uint32_t acc, uint32_t v) {
  uint32_t r;
  __asm__("sxtab16 %0, %1, %2" : "=r"(r) : "r"(acc), "r"(v));
  return r;
}

/// acc + bytes 1 and 3 of v, sign-extended, halfword by halfword.
UTENSOR_HOT_INLINE uint32_t sxtab16_ror8(uint32_t acc, uint32_t v) {
  uint32_t r;
  __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(acc), "r"(v));
  return r;
}

// TFLite's average: round half away from zero (C++ division truncates), then the clamp.
UTENSOR_HOT_INLINE int8_t average(int32_t sum, int32_t count, int32_t lo, int32_t hi) {
  const int32_t v = sum > 0 ? (sum + count / 2) / count : (sum - count / 2) / count;
  return static_cast<int8_t>(ClampI32(v, lo, hi));
}

inline int32_t max_i32(int32_t a, int32_t b) { return a > b ? a : b; }
inline int32_t min_i32(int32_t a, int32_t b) { return a < b ? a : b; }

}  // namespace

void average_pool2d_s8(const PoolS8Params& params, const int8_t* input, int8_t* output) {
  const PoolShape s = params.shape;
  if (s.channels % 4 != 0 || s.filter_height * s.filter_width > 255) {
    average_pool2d_s8_portable(params, input, output);
    return;
  }
  const int32_t channels = s.channels;
  const int32_t row = s.input_width * channels;
  const int32_t lo = params.activation_min, hi = params.activation_max;
  for (int32_t b = 0; b < s.batches; ++b) {
    const int8_t* in_batch = input + b * s.input_height * row;
    for (int32_t oy = 0; oy < s.output_height; ++oy) {
      const int32_t y0 = oy * s.stride_height - s.pad_top;
      const int32_t ky0 = max_i32(0, -y0), ky1 = min_i32(s.filter_height, s.input_height - y0);
      for (int32_t ox = 0; ox < s.output_width; ++ox, output += channels) {
        const int32_t x0 = ox * s.stride_width - s.pad_left;
        const int32_t kx0 = max_i32(0, -x0), kx1 = min_i32(s.filter_width, s.input_width - x0);
        const int32_t count = (ky1 - ky0) * (kx1 - kx0);
        const int8_t* first = in_batch + (y0 + ky0) * row + (x0 + kx0) * channels;
        for (int32_t c = 0; c < channels; c += 4) {
          uint32_t s02 = 0, s13 = 0;
          const int8_t* r = first + c;
          for (int32_t ky = ky0; ky < ky1; ++ky, r += row) {
            const int8_t* p = r;
            for (int32_t kx = kx0; kx < kx1; ++kx, p += channels) {
              const uint32_t v = load_u32(p);
              s02 = sxtab16(s02, v);
              s13 = sxtab16_ror8(s13, v);
            }
          }
          output[c] = average(static_cast<int16_t>(s02 & 0xFFFFu), count, lo, hi);
          output[c + 1] = average(static_cast<int16_t>(s13 & 0xFFFFu), count, lo, hi);
          output[c + 2] = average(static_cast<int32_t>(s02) >> 16, count, lo, hi);
          output[c + 3] = average(static_cast<int32_t>(s13) >> 16, count, lo, hi);
        }
      }
    }
  }
}

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_DSP && !UTENSOR_KERNELS_MVE
