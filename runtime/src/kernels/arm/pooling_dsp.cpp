// int8 AVERAGE_POOL_2D for cores with the DSP extension (M4, M7, M33): four channels
// per word, each window summed with two SXTAB16 per tap into halfword pairs (bytes 0,2
// and 1,3), then TFLite's rounding division per channel. Halfword sums are exact while
// the window has at most 255 taps (|sum| <= 128 * 255 < 2^15); larger windows and channel
// counts that are not a multiple of four run the portable kernel. Same bytes as it.
// int8 MAX_POOL_2D: four channels per word, each tap one load and a bytewise signed
// maximum (SSUB8 sets the GE flags where a >= b, SEL picks by them); the activation range
// clamps the same way. Any window; channel counts not a multiple of four run the portable
// kernel (taps outer, channels inner).
#include "utensor/kernels/arch.hpp"

#if UTENSOR_KERNELS_DSP && !UTENSOR_KERNELS_MVE  // else pooling_mve.cpp

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "utensor/kernels/detail/kernel_util.hpp"
#include "utensor/kernels/detail/pool_window.hpp"
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

/// Bytewise signed maximum of four int8 lanes.
UTENSOR_HOT_INLINE uint32_t max_s8x4(uint32_t a, uint32_t b) {
  uint32_t r, diff;
  __asm__("ssub8 %0, %2, %3\n\t"
          "sel %1, %2, %3"
          : "=&r"(diff), "=r"(r)
          : "r"(a), "r"(b)
          : "cc");
  return r;
}

/// Bytewise signed minimum of four int8 lanes.
UTENSOR_HOT_INLINE uint32_t min_s8x4(uint32_t a, uint32_t b) {
  uint32_t r, diff;
  __asm__("ssub8 %0, %2, %3\n\t"
          "sel %1, %3, %2"
          : "=&r"(diff), "=r"(r)
          : "r"(a), "r"(b)
          : "cc");
  return r;
}

/// `v` in all four bytes.
inline uint32_t splat_s8(int32_t v) { return 0x01010101u * (static_cast<uint32_t>(v) & 0xFFu); }

}  // namespace

void max_pool2d_s8(const PoolS8Params& params, const int8_t* input, int8_t* output) {
  if (params.shape.channels % 4 != 0) {
    max_pool2d_s8_portable(params, input, output);
    return;
  }
  max_pool2d_s8_c4(params, input, output);
}

void max_pool2d_s8_c4(const PoolS8Params& params, const int8_t* input, int8_t* output) {
  const PoolShape s = params.shape;
  const int32_t words = s.channels / 4;
  const int32_t channels = s.channels;
  const bool clamp = params.activation_min > -128 || params.activation_max < 127;
  const uint32_t lo = splat_s8(params.activation_min), hi = splat_s8(params.activation_max);
  detail::for_each_pool_window(s, input, output,
      [&](const int8_t* first, int32_t row, int32_t rows, int32_t cols, int8_t* out) {
    // Taps outer, channel words inner, the output as the running maximum: the first
    // in-image tap (every window has one) seeds it, each further tap is one pass of
    // LDR, LDR, SSUB8, SEL, STR per four channels.
    memcpy(out, first, static_cast<size_t>(channels));
    const int8_t* r = first;
    for (int32_t ky = 0; ky < rows; ++ky, r += row) {
      const int8_t* p = r;
      for (int32_t kx = 0; kx < cols; ++kx, p += channels) {
        if (ky == 0 && kx == 0) continue;
        for (int32_t i = 0; i < words; ++i) {
          uint32_t m, v;
          memcpy(&m, out + 4 * i, 4);
          memcpy(&v, p + 4 * i, 4);
          m = max_s8x4(m, v);
          memcpy(out + 4 * i, &m, 4);
        }
      }
    }
    if (clamp) {
      for (int32_t i = 0; i < words; ++i) {
        uint32_t m;
        memcpy(&m, out + 4 * i, 4);
        m = min_s8x4(max_s8x4(m, lo), hi);
        memcpy(out + 4 * i, &m, 4);
      }
    }
  });
}

void average_pool2d_s8(const PoolS8Params& params, const int8_t* input, int8_t* output) {
  const PoolShape& s = params.shape;
  if (s.channels % 4 != 0 || s.filter_height * s.filter_width > 255) {
    average_pool2d_s8_portable(params, input, output);
    return;
  }
  average_pool2d_s8_c4(params, input, output);
}

void average_pool2d_s8_c4(const PoolS8Params& params, const int8_t* input, int8_t* output) {
  const PoolShape s = params.shape;
  const int32_t channels = s.channels;
  const int32_t lo = params.activation_min, hi = params.activation_max;
  for_each_pool_block<4>(s, input, output, [channels, lo, hi](const int8_t* first, int32_t row,
                                                                int32_t rows, int32_t cols,
                                                                int32_t count, int8_t* out) {
    uint32_t s02 = 0, s13 = 0;
    for (int32_t ky = 0; ky < rows; ++ky, first += row) {
      const int8_t* p = first;
      for (int32_t kx = 0; kx < cols; ++kx, p += channels) {
        const uint32_t v = load_u32(p);
        s02 = sxtab16(s02, v);
        s13 = sxtab16_ror8(s13, v);
      }
    }
    out[0] = pool_average(static_cast<int16_t>(s02 & 0xFFFFu), count, lo, hi);
    out[1] = pool_average(static_cast<int16_t>(s13 & 0xFFFFu), count, lo, hi);
    out[2] = pool_average(static_cast<int32_t>(s02) >> 16, count, lo, hi);
    out[3] = pool_average(static_cast<int32_t>(s13) >> 16, count, lo, hi);
  });
}

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_DSP && !UTENSOR_KERNELS_MVE
