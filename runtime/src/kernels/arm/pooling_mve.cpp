// int8 AVERAGE_POOL_2D for Helium (Cortex-M55): eight channels per vector, each window
// summed with one VLDRB.S16 and one VADD.I16 per tap, then TFLite's rounding division per
// channel. Halfword sums are exact while the window has at most 255 taps (|sum| <= 128 *
// 255 < 2^15); larger windows and channel counts that are not a multiple of eight run the
// portable kernel. Same bytes as it.
#include "utensor/kernels/arch.hpp"

#if UTENSOR_KERNELS_MVE  // else pooling_dsp.cpp or the portable kernel

#include <arm_mve.h>
#include <stdint.h>

#include "utensor/kernels/fixedpoint.hpp"
#include "utensor/kernels/pooling.hpp"

namespace utensor {
namespace kernels {
namespace {

// TFLite's average: round half away from zero (C++ division truncates), then the clamp.
inline int8_t average(int32_t sum, int32_t count, int32_t lo, int32_t hi) {
  const int32_t v = sum > 0 ? (sum + count / 2) / count : (sum - count / 2) / count;
  return static_cast<int8_t>(ClampI32(v, lo, hi));
}

inline int32_t max_i32(int32_t a, int32_t b) { return a > b ? a : b; }
inline int32_t min_i32(int32_t a, int32_t b) { return a < b ? a : b; }

}  // namespace

void average_pool2d_s8(const PoolS8Params& params, const int8_t* input, int8_t* output) {
  const PoolShape s = params.shape;
  if (s.channels % 8 != 0 || s.filter_height * s.filter_width > 255) {
    detail::average_pool2d_s8_portable(params, input, output);
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
        for (int32_t c = 0; c < channels; c += 8) {
          int16x8_t sum = vdupq_n_s16(0);
          const int8_t* r = first + c;
          for (int32_t ky = ky0; ky < ky1; ++ky, r += row) {
            const int8_t* p = r;
            for (int32_t kx = kx0; kx < kx1; ++kx, p += channels) {
              sum = vaddq_s16(sum, vldrbq_s16(p));
            }
          }
          int16_t sums[8];
          vst1q_s16(sums, sum);
          for (int32_t i = 0; i < 8; ++i) output[c + i] = average(sums[i], count, lo, hi);
        }
      }
    }
  }
}

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_MVE
