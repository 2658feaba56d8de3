#ifndef UTENSOR_KERNELS_DETAIL_S16_WEIGHTED_UTIL_HPP
#define UTENSOR_KERNELS_DETAIL_S16_WEIGHTED_UTIL_HPP

// What the Arm variants of the 16x8 weighted kernels (runtime/src/kernels/arm/
// s16_weighted_*.cpp) share: the window clipping they do once per output pixel instead of
// a test per tap, the bias and requantization of a sum, CONV_2D's walk over output pixels
// and channel blocks (each variant brings only its dot product), and the int64 depthwise
// loop they fall back to for a layer whose sums the converter could not bound in int32
// (kernel windows of more than 511 taps).

#include <stdint.h>

#include "utensor/kernels/conv2d.hpp"
#include "utensor/kernels/depthwise_conv2d.hpp"
#include "utensor/kernels/detail/kernel_util.hpp"
#include "utensor/kernels/detail/s16_requant.hpp"
#include "utensor/kernels/fixedpoint.hpp"

// The loops over a block's rows must be unrolled for their pointers and accumulators to
// live in registers (GCC keeps the small arrays in memory otherwise).
#if defined(__GNUC__) && !defined(__clang__)
#define UTENSOR_S16_UNROLL _Pragma("GCC unroll 4")
#else
#define UTENSOR_S16_UNROLL
#endif

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

/// An int64 sum plus its int64 bias (none: nullptr), requantized and clamped as TFLite's 16x8 kernels do.
UTENSOR_HOT_INLINE int16_t s16_finish64(int64_t acc, const int64_t* bias, int32_t o, int32_t m,
                                        int32_t shift, int32_t lo, int32_t hi) {
  if (bias != nullptr) acc += bias[o];
  return clamp_s16(multiply_by_quantized_multiplier_s64(acc, m, shift), lo, hi);
}

/// Output channel oc of CONV_2D 16x8 from its sum: int64 bias (conv2d_s16), or int32 bias
/// added with TFLite Micro's wrapping int32 arithmetic (conv2d_s16_acc32).
template <typename Bias>
struct S16ConvFinish;
template <>
struct S16ConvFinish<int64_t> {
  static int16_t apply(const Conv2DS16Params& p, int64_t acc, const int64_t* bias, int32_t oc) {
    return s16_finish64(acc, bias, oc, p.output_multiplier[oc], p.output_shift[oc], p.activation_min,
                        p.activation_max);
  }
};
template <>
struct S16ConvFinish<int32_t> {
  static int16_t apply(const Conv2DS16Params& p, int32_t acc, const int32_t* bias, int32_t oc) {
    if (bias != nullptr) acc = static_cast<int32_t>(static_cast<uint32_t>(acc) + static_cast<uint32_t>(bias[oc]));
    return clamp_s16(MultiplyByQuantizedMultiplier(acc, p.output_multiplier[oc], p.output_shift[oc]),
                     p.activation_min, p.activation_max);
  }
};

/// Output channels [oc, oc + R) of one group at one output pixel (window origin `origin`,
/// an input offset; taps [ky0, ky1) x [kx0, kx1) inside the image): Dot::run<R>(x, w, n, acc)
/// adds to acc[r] the dot product of n inputs from x with weight row w[r].
template <class Dot, int R, typename Bias>
UTENSOR_HOT_INLINE void s16_conv_block(const Conv2DS16Params& p, const int16_t* input, int32_t origin,
                                       int32_t ky0, int32_t ky1, int32_t kx0, int32_t kx1,
                                       bool contiguous, const int8_t* filter, const Bias* bias,
                                       int32_t oc, int16_t* out) {
  const Conv2DShape& s = p.shape;
  const int32_t fic = s.filter_input_channels;
  const int32_t row_step = s.dilation_height * s.input_width * s.input_channels;
  const int32_t wstride = s.filter_height * s.filter_width * fic;
  typename Dot::T acc[R];
  UTENSOR_S16_UNROLL for (int r = 0; r < R; ++r) acc[r] = 0;
  const int8_t* w[R];
  for (int32_t ky = ky0; ky < ky1; ++ky) {
    const int32_t row = origin + ky * row_step;
    const int8_t* wk = filter + (oc * s.filter_height + ky) * s.filter_width * fic;
    if (contiguous) {
      // Dilation 1 and one group: the window row's inside taps are one run of inputs.
      UTENSOR_S16_UNROLL for (int r = 0; r < R; ++r) w[r] = wk + r * wstride + kx0 * fic;
      Dot::template run<R>(input + (row + kx0 * s.input_channels), w, (kx1 - kx0) * fic, acc);
    } else {
      for (int32_t kx = kx0; kx < kx1; ++kx) {
        UTENSOR_S16_UNROLL for (int r = 0; r < R; ++r) w[r] = wk + r * wstride + kx * fic;
        Dot::template run<R>(input + (row + kx * s.dilation_width * s.input_channels), w, fic, acc);
      }
    }
  }
  UTENSOR_S16_UNROLL for (int r = 0; r < R; ++r) out[oc + r] = S16ConvFinish<Bias>::apply(p, acc[r], bias, oc + r);
}

/// CONV_2D 16x8 (any groups, strides, dilation, padding) through Dot's dot products, R
/// output channels of a group per pass and the rest one at a time.
template <class Dot, int R, typename Bias>
void s16_conv(const Conv2DS16Params& p, const int16_t* input, const int8_t* filter, const Bias* bias,
              int16_t* output) {
  const Conv2DShape& s = p.shape;
  const int32_t group_size = s.output_channels / (s.input_channels / s.filter_input_channels);
  const bool contiguous = s.filter_input_channels == s.input_channels && s.dilation_width == 1;
  for (int32_t n = 0; n < s.batches; ++n) {
    for (int32_t oy = 0; oy < s.output_height; ++oy) {
      const int32_t y0 = oy * s.stride_height - s.pad_top;
      int32_t ky0, ky1;
      s16_tap_range(y0, s.filter_height, s.dilation_height, s.input_height, &ky0, &ky1);
      for (int32_t ox = 0; ox < s.output_width; ++ox) {
        const int32_t x0 = ox * s.stride_width - s.pad_left;
        int32_t kx0, kx1;
        s16_tap_range(x0, s.filter_width, s.dilation_width, s.input_width, &kx0, &kx1);
        int16_t* out = output + ((n * s.output_height + oy) * s.output_width + ox) * s.output_channels;
        // The window's origin may lie outside the image: an integer offset, turned into a
        // pointer only for taps inside.
        const int32_t origin = ((n * s.input_height + y0) * s.input_width + x0) * s.input_channels;
        for (int32_t g0 = 0; g0 < s.output_channels; g0 += group_size) {
          const int32_t in_px = origin + (g0 / group_size) * s.filter_input_channels;
          const int32_t g1 = g0 + group_size;
          int32_t oc = g0;
          for (; oc + R <= g1; oc += R) {
            s16_conv_block<Dot, R>(p, input, in_px, ky0, ky1, kx0, kx1, contiguous, filter, bias, oc, out);
          }
          for (; oc < g1; ++oc) {
            s16_conv_block<Dot, 1>(p, input, in_px, ky0, ky1, kx0, kx1, contiguous, filter, bias, oc, out);
          }
        }
      }
    }
  }
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
          out[oc] = s16_finish64(acc, bias, oc, params.output_multiplier[oc], params.output_shift[oc],
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
