#ifndef UTENSOR_KERNELS_DETAIL_S16_WEIGHTED_UTIL_HPP
#define UTENSOR_KERNELS_DETAIL_S16_WEIGHTED_UTIL_HPP

// What the Arm variants of the 16x8 weighted kernels (runtime/src/kernels/arm/
// s16_weighted_*.cpp) share: the window clipping they do once per output pixel instead of
// a test per tap, and the int64 depthwise loop they fall back to for a layer whose sums
// the converter could not bound in int32 (kernel windows of more than 511 taps).

#include <stdint.h>

#include "utensor/kernels/depthwise_conv2d.hpp"
#include "utensor/kernels/detail/s16_requant.hpp"

namespace utensor {
namespace kernels {
namespace detail {

/// The taps [*lo, *hi) of a window of k taps, `dilation` apart, starting at `start`, that
/// fall inside [0, size); *hi == *lo when none does.
inline void s16_tap_range(int32_t start, int32_t k, int32_t dilation, int32_t size, int32_t* lo,
                          int32_t* hi) {
  const int32_t l = start < 0 ? (-start + dilation - 1) / dilation : 0;
  int32_t h = 0;
  if (start <= size - 1) {
    h = (size - 1 - start) / dilation + 1;
    if (h > k) h = k;
  }
  *lo = l;
  *hi = h > l ? h : l;
}

/// DEPTHWISE_CONV_2D 16x8 with int64 sums, one output at a time (TFLite's loop).
inline void depthwise_conv2d_s16_wide(const DepthwiseConv2DS16Params& params, const int16_t* input,
                                      const int8_t* filter, const int64_t* bias, int16_t* output) {
  const DepthwiseConv2DShape& s = params.shape;
  const int32_t out_c = s.input_channels * s.depth_multiplier;
  for (int32_t n = 0; n < s.batches; ++n) {
    for (int32_t oy = 0; oy < s.output_height; ++oy) {
      const int32_t y0 = oy * s.stride_height - s.pad_top;
      int32_t ky0, ky1;
      s16_tap_range(y0, s.filter_height, s.dilation_height, s.input_height, &ky0, &ky1);
      for (int32_t ox = 0; ox < s.output_width; ++ox) {
        const int32_t x0 = ox * s.stride_width - s.pad_left;
        int32_t kx0, kx1;
        s16_tap_range(x0, s.filter_width, s.dilation_width, s.input_width, &kx0, &kx1);
        int16_t* out = output + ((n * s.output_height + oy) * s.output_width + ox) * out_c;
        for (int32_t oc = 0; oc < out_c; ++oc) {
          const int32_t ic = oc / s.depth_multiplier;
          int64_t acc = 0;
          for (int32_t ky = ky0; ky < ky1; ++ky) {
            const int32_t y = y0 + ky * s.dilation_height;
            for (int32_t kx = kx0; kx < kx1; ++kx) {
              const int32_t x = x0 + kx * s.dilation_width;
              acc += static_cast<int32_t>(filter[(ky * s.filter_width + kx) * out_c + oc]) *
                     static_cast<int32_t>(input[((n * s.input_height + y) * s.input_width + x) * s.input_channels + ic]);
            }
          }
          if (bias != nullptr) acc += bias[oc];
          out[oc] = clamp_s16(multiply_by_quantized_multiplier_s64(acc, params.output_multiplier[oc],
                                                                   params.output_shift[oc]),
                              params.activation_min, params.activation_max);
        }
      }
    }
  }
}

}  // namespace detail
}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_DETAIL_S16_WEIGHTED_UTIL_HPP
