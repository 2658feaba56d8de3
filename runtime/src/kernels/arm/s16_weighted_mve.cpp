// 16x8 FULLY_CONNECTED, CONV_2D and DEPTHWISE_CONV_2D (int16 activations, int8 weights)
// for cores with integer Helium (M55). FC and CONV_2D: eight products per VMLALDAVA,
// summed straight into 64 bits (TFLite's int64 sum, exact for any layer), the weights
// widened by the load (VLDRB.S16), four rows per pass sharing each input vector, the tail
// predicated. conv2d_s16_acc32 uses VMLADAVA, which wraps in int32 as TFLite Micro does.
// DEPTHWISE_CONV_2D: per-channel sums in int32 lanes where the converter proved them
// exact (params.acc32), else the int64 loop. Bias and requantization are the
// reference's (detail/s16_requant.hpp), hence the same bytes.
#include "utensor/kernels/arch.hpp"

#if UTENSOR_KERNELS_MVE

#include <arm_mve.h>

#include "utensor/kernels/conv2d.hpp"
#include "utensor/kernels/depthwise_conv2d.hpp"
#include "utensor/kernels/detail/kernel_util.hpp"
#include "utensor/kernels/detail/s16_requant.hpp"
#include "utensor/kernels/detail/s16_weighted_util.hpp"
#include "utensor/kernels/fixedpoint.hpp"
#include "utensor/kernels/fully_connected.hpp"

namespace utensor {
namespace kernels {

namespace {

struct Sum64 {
  typedef int64_t T;
  static T mac(T acc, int16x8_t x, int16x8_t w) { return vmlaldavaq_s16(acc, x, w); }
  static T mac_p(T acc, int16x8_t x, int16x8_t w, mve_pred16_t p) { return vmlaldavaq_p_s16(acc, x, w, p); }
};
struct Sum32 {  // wraps, as TFLite Micro's int32 accumulator
  typedef int32_t T;
  static T mac(T acc, int16x8_t x, int16x8_t w) { return vmladavaq_s16(acc, x, w); }
  static T mac_p(T acc, int16x8_t x, int16x8_t w, mve_pred16_t p) { return vmladavaq_p_s16(acc, x, w, p); }
};

// acc[r] += sum_d x[d] * w[r][d] for R rows of n weights each.
template <class S, int R>
UTENSOR_HOT_INLINE void dot_rows(const int16_t* x, const int8_t* const* w, int32_t n,
                                 typename S::T* acc) {
  const int8_t* wr[R];
  typename S::T a[R];
  UTENSOR_S16_UNROLL for (int r = 0; r < R; ++r) {
    wr[r] = w[r];
    a[r] = acc[r];
  }
  for (int32_t k = n >> 3; k > 0; --k) {
    const int16x8_t xv = vldrhq_s16(x);
    x += 8;
    UTENSOR_S16_UNROLL for (int r = 0; r < R; ++r) {
      a[r] = S::mac(a[r], xv, vldrbq_s16(wr[r]));
      wr[r] += 8;
    }
  }
  if (n & 7) {
    const mve_pred16_t p = vctp16q(static_cast<uint32_t>(n & 7));
    const int16x8_t xv = vldrhq_z_s16(x, p);
    UTENSOR_S16_UNROLL for (int r = 0; r < R; ++r) a[r] = S::mac_p(a[r], xv, vldrbq_z_s16(wr[r], p), p);
  }
  UTENSOR_S16_UNROLL for (int r = 0; r < R; ++r) acc[r] = a[r];
}

// dot_rows in the shape detail::s16_conv takes: Sum32 for an int32 bias (conv2d_s16_acc32,
// wrapping as TFLite Micro does), Sum64 for an int64 one.
template <typename Bias>
struct MveDot {
  typedef typename Sum32::T T;
  template <int R>
  static UTENSOR_HOT_INLINE void run(const int16_t* x, const int8_t* const* w, int32_t n, T* acc) {
    dot_rows<Sum32, R>(x, w, n, acc);
  }
};
template <>
struct MveDot<int64_t> {
  typedef typename Sum64::T T;
  template <int R>
  static UTENSOR_HOT_INLINE void run(const int16_t* x, const int8_t* const* w, int32_t n, T* acc) {
    dot_rows<Sum64, R>(x, w, n, acc);
  }
};

UTENSOR_HOT_INLINE int16_t dw_finish(const DepthwiseConv2DS16Params& p, int32_t acc,
                                     const int64_t* bias, int32_t oc) {
  return detail::s16_finish64(acc, bias, oc, p.output_multiplier[oc], p.output_shift[oc], p.activation_min,
                  p.activation_max);
}

}  // namespace

void fully_connected_s16(const FullyConnectedS16Params& params, const int16_t* input,
                         const int8_t* filter, const int64_t* bias, int16_t* output) {
  const int32_t depth = params.shape.accum_depth;
  const int32_t out_depth = params.shape.output_depth;
  const int32_t lo = params.activation_min, hi = params.activation_max;
  for (int32_t b = 0; b < params.shape.batches; ++b) {
    const int16_t* x = input + b * depth;
    int16_t* out = output + b * out_depth;
    int32_t o = 0;
    for (; o + 4 <= out_depth; o += 4) {
      const int8_t* w[4] = {filter + o * depth, filter + (o + 1) * depth, filter + (o + 2) * depth,
                            filter + (o + 3) * depth};
      int64_t acc[4] = {0, 0, 0, 0};
      dot_rows<Sum64, 4>(x, w, depth, acc);
      UTENSOR_S16_UNROLL for (int r = 0; r < 4; ++r) {
        const int32_t c = params.per_channel ? o + r : 0;
        out[o + r] = detail::s16_finish64(acc[r], bias, o + r, params.output_multiplier[c],
                              params.output_shift[c], lo, hi);
      }
    }
    for (; o < out_depth; ++o) {
      const int8_t* w[1] = {filter + o * depth};
      int64_t acc[1] = {0};
      dot_rows<Sum64, 1>(x, w, depth, acc);
      const int32_t c = params.per_channel ? o : 0;
      out[o] = detail::s16_finish64(acc[0], bias, o, params.output_multiplier[c], params.output_shift[c], lo, hi);
    }
  }
}

void conv2d_s16(const Conv2DS16Params& params, const int16_t* input, const int8_t* filter,
                const int64_t* bias, int16_t* output) {
  detail::s16_conv<MveDot<int64_t>, 4>(params, input, filter, bias, output);
}

void conv2d_s16_acc32(const Conv2DS16Params& params, const int16_t* input, const int8_t* filter,
                      const int32_t* bias, int16_t* output) {
  detail::s16_conv<MveDot<int32_t>, 4>(params, input, filter, bias, output);
}

void depthwise_conv2d_s16(const DepthwiseConv2DS16Params& params, const int16_t* input,
                          const int8_t* filter, const int64_t* bias, int16_t* output) {
  if (!params.acc32) {
    detail::depthwise_conv2d_s16_wide(params, input, filter, bias, output);
    return;
  }
  const DepthwiseConv2DShape& s = params.shape;
  const int32_t in_c = s.input_channels;
  const int32_t mult = s.depth_multiplier;
  const int32_t out_c = in_c * mult;
  const int32_t row_step = s.dilation_height * s.input_width * in_c;
  const int32_t tap_step = s.dilation_width * in_c;
  int32_t lanes[8];
  for (int32_t n = 0; n < s.batches; ++n) {
    for (int32_t oy = 0; oy < s.output_height; ++oy) {
      const int32_t y0 = oy * s.stride_height - s.pad_top;
      int32_t ky0, ky1;
      detail::s16_tap_range(y0, s.filter_height, s.dilation_height, s.input_height, &ky0, &ky1);
      for (int32_t ox = 0; ox < s.output_width; ++ox) {
        const int32_t x0 = ox * s.stride_width - s.pad_left;
        int32_t kx0, kx1;
        detail::s16_tap_range(x0, s.filter_width, s.dilation_width, s.input_width, &kx0, &kx1);
        int16_t* out = output + ((n * s.output_height + oy) * s.output_width + ox) * out_c;
        // An integer offset: the window's origin may lie outside the image.
        const int32_t in_px = ((n * s.input_height + y0) * s.input_width + x0) * in_c;
        if (mult == 1) {
          // Eight channels per pass: even and odd channels' products (VMULLB/VMULLT) in
          // two int32 vectors; a partial last block predicated.
          for (int32_t c = 0; c < in_c; c += 8) {
            const mve_pred16_t p = vctp16q(static_cast<uint32_t>(in_c - c));
            int32x4_t even = vdupq_n_s32(0), odd = vdupq_n_s32(0);
            for (int32_t ky = ky0; ky < ky1; ++ky) {
              const int16_t* xp = input + (in_px + ky * row_step + kx0 * tap_step + c);
              const int8_t* wp = filter + (ky * s.filter_width + kx0) * out_c + c;
              for (int32_t kx = kx0; kx < kx1; ++kx) {
                const int16x8_t xv = vldrhq_z_s16(xp, p);
                const int16x8_t wv = vldrbq_z_s16(wp, p);
                even = vaddq_s32(even, vmullbq_int_s16(xv, wv));
                odd = vaddq_s32(odd, vmulltq_int_s16(xv, wv));
                xp += tap_step;
                wp += out_c;
              }
            }
            vst1q_s32(lanes, even);
            vst1q_s32(lanes + 4, odd);
            const int32_t k_end = in_c - c < 8 ? in_c - c : 8;
            for (int32_t k = 0; k < k_end; ++k) {
              out[c + k] = dw_finish(params, lanes[(k & 1) * 4 + (k >> 1)], bias, c + k);
            }
          }
          continue;
        }
        // Depth multiplier > 1: one input value times four consecutive output channels'
        // weights (VMLA by a scalar), a partial last block predicated.
        for (int32_t ic = 0; ic < in_c; ++ic) {
          const int32_t oc0 = ic * mult;
          for (int32_t m = 0; m < mult; m += 4) {
            const mve_pred16_t p = vctp32q(static_cast<uint32_t>(mult - m));
            int32x4_t acc = vdupq_n_s32(0);
            for (int32_t ky = ky0; ky < ky1; ++ky) {
              const int16_t* xp = input + (in_px + ky * row_step + kx0 * tap_step + ic);
              const int8_t* wp = filter + (ky * s.filter_width + kx0) * out_c + oc0 + m;
              for (int32_t kx = kx0; kx < kx1; ++kx) {
                acc = vmlaq_n_s32(acc, vldrbq_z_s32(wp, p), *xp);
                xp += tap_step;
                wp += out_c;
              }
            }
            vst1q_s32(lanes, acc);
            const int32_t k_end = mult - m < 4 ? mult - m : 4;
            for (int32_t k = 0; k < k_end; ++k) out[oc0 + m + k] = dw_finish(params, lanes[k], bias, oc0 + m + k);
          }
        }
      }
    }
  }
}

}  // namespace kernels
}  // namespace utensor

#undef UTENSOR_S16_UNROLL

#endif  // UTENSOR_KERNELS_MVE
