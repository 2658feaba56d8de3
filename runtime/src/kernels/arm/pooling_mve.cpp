// int8 AVERAGE_POOL_2D for Helium (Cortex-M55): eight channels per vector, each window
// summed with one VLDRB.S16 and one VADD.I16 per tap, then TFLite's rounding division per
// channel. Halfword sums are exact while the window has at most 255 taps (|sum| <= 128 *
// 255 < 2^15); larger windows and channel counts that are not a multiple of eight run the
// portable kernel. Same bytes as it.
// int8 MAX_POOL_2D: sixteen channels per vector (VMAX.S8 per tap), the last partial
// vector predicated (VCTP8), any window and channel count.
#include "utensor/kernels/arch.hpp"

#if UTENSOR_KERNELS_MVE  // else pooling_dsp.cpp or the portable kernel

#include <arm_mve.h>
#include <stdint.h>

#include "utensor/kernels/detail/pool_window.hpp"
#include "utensor/kernels/pooling.hpp"

namespace utensor {
namespace kernels {

void average_pool2d_s8(const PoolS8Params& params, const int8_t* input, int8_t* output) {
  const PoolShape s = params.shape;
  if (s.channels % 8 != 0 || s.filter_height * s.filter_width > 255) {
    detail::average_pool2d_s8_portable(params, input, output);
    return;
  }
  const int32_t channels = s.channels;
  const int32_t lo = params.activation_min, hi = params.activation_max;
  detail::for_each_pool_block<8>(s, input, output, [channels, lo, hi](
      const int8_t* first, int32_t row, int32_t rows, int32_t cols, int32_t count, int8_t* out) {
    int16x8_t sum = vdupq_n_s16(0);
    for (int32_t ky = 0; ky < rows; ++ky, first += row) {
      const int8_t* p = first;
      for (int32_t kx = 0; kx < cols; ++kx, p += channels) sum = vaddq_s16(sum, vldrbq_s16(p));
    }
    int16_t sums[8];
    vst1q_s16(sums, sum);
    for (int32_t i = 0; i < 8; ++i) out[i] = detail::pool_average(sums[i], count, lo, hi);
  });
}

void max_pool2d_s8(const PoolS8Params& params, const int8_t* input, int8_t* output) {
  const int32_t channels = params.shape.channels;
  const int8x16_t lo = vdupq_n_s8(static_cast<int8_t>(params.activation_min));
  const int8x16_t hi = vdupq_n_s8(static_cast<int8_t>(params.activation_max));
  detail::for_each_pool_window(params.shape, input, output,
      [&](const int8_t* first, int32_t row, int32_t rows, int32_t cols, int8_t* out) {
    for (int32_t c = 0; c < channels; c += 16) {
      const mve_pred16_t pred = vctp8q(static_cast<uint32_t>(channels - c));
      // Every window has at least one tap in the image: it seeds the maximum.
      int8x16_t m = vldrbq_z_s8(first + c, pred);
      const int8_t* r = first + c;
      for (int32_t ky = 0; ky < rows; ++ky, r += row) {
        const int8_t* p = r;
        for (int32_t kx = 0; kx < cols; ++kx, p += channels) m = vmaxq_s8(m, vldrbq_z_s8(p, pred));
      }
      vstrbq_p_s8(out + c, vminq_s8(vmaxq_s8(m, lo), hi), pred);
    }
  });
}

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_MVE
