#ifndef UTENSOR_KERNELS_DETAIL_POOL_WINDOW_HPP
#define UTENSOR_KERNELS_DETAIL_POOL_WINDOW_HPP

// The window walk the Arm int8 pooling kernels share (not a user API): each output
// pixel's window clipped to the image, handed to a channel-block summer a few channels at
// a time. The variants differ only in how they sum a block (SXTAB16 pairs, Helium lanes).

#include <stdint.h>

#include "utensor/kernels/detail/kernel_util.hpp"
#include "utensor/kernels/fixedpoint.hpp"
#include "utensor/kernels/pooling.hpp"

namespace utensor {
namespace kernels {
namespace detail {

/// TFLite's int8 average of `count` values summing to `sum`: round half away from zero
/// (C++ division truncates), then clamped to [lo, hi].
UTENSOR_HOT_INLINE int8_t pool_average(int32_t sum, int32_t count, int32_t lo, int32_t hi) {
  const int32_t v = sum > 0 ? (sum + count / 2) / count : (sum - count / 2) / count;
  return static_cast<int8_t>(ClampI32(v, lo, hi));
}

/// For every output pixel, calls window(first, row_stride, rows, cols, out): the window's
/// first in-image tap at `first` (channel 0), `rows` x `cols` in-image taps (next row
/// `row_stride` bytes on, next column `channels` bytes on), the pixel's outputs at `out`.
template <typename Window>
UTENSOR_HOT_INLINE void for_each_pool_window(const PoolShape& s, const int8_t* input, int8_t* output,
                                             Window window) {
  const int32_t channels = s.channels;
  const int32_t row = s.input_width * channels;
  for (int32_t b = 0; b < s.batches; ++b) {
    const int8_t* in_batch = input + b * s.input_height * row;
    for (int32_t oy = 0; oy < s.output_height; ++oy) {
      const int32_t y0 = oy * s.stride_height - s.pad_top;
      const int32_t ky0 = y0 < 0 ? -y0 : 0;
      const int32_t ky1 = s.input_height - y0 < s.filter_height ? s.input_height - y0 : s.filter_height;
      for (int32_t ox = 0; ox < s.output_width; ++ox, output += channels) {
        const int32_t x0 = ox * s.stride_width - s.pad_left;
        const int32_t kx0 = x0 < 0 ? -x0 : 0;
        const int32_t kx1 = s.input_width - x0 < s.filter_width ? s.input_width - x0 : s.filter_width;
        window(in_batch + (y0 + ky0) * row + (x0 + kx0) * channels, row, ky1 - ky0, kx1 - kx0, output);
      }
    }
  }
}

/// For every output pixel and every block of `Lanes` channels (channels % Lanes == 0),
/// calls block(first, row_stride, rows, cols, count, out): as for_each_pool_window, with
/// `first` and `out` at the block's first channel and `count` = rows * cols.
template <int32_t Lanes, typename Block>
UTENSOR_HOT_INLINE void for_each_pool_block(const PoolShape& s, const int8_t* input, int8_t* output,
                                Block block) {
  const int32_t channels = s.channels;
  for_each_pool_window(s, input, output,
                       [&](const int8_t* first, int32_t row, int32_t rows, int32_t cols, int8_t* out) {
                         for (int32_t c = 0; c < channels; c += Lanes) {
                           block(first + c, row, rows, cols, rows * cols, out + c);
                         }
                       });
}

}  // namespace detail
}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_DETAIL_POOL_WINDOW_HPP
