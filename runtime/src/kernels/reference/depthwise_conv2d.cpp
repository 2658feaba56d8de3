#include "utensor/kernels/depthwise_conv2d.hpp"

#include <string.h>

#include "utensor/kernels/arch.hpp"
#include "utensor/kernels/detail/kernel_util.hpp"
#include "utensor/kernels/fixedpoint.hpp"

#if UTENSOR_KERNELS_MVE
#include <arm_mve.h>
#endif

namespace utensor {
namespace kernels {
namespace {

using namespace detail;  // NOLINT: the kernels' shared helpers

// The output parameters held in locals: every int8 output store may alias the parameter
// struct, so reading them through it reloads them after each store.
struct OutputQuant {
  const int32_t* multiplier;
  const int32_t* shift;
  int32_t offset, lo, hi;
};

UTENSOR_HOT_INLINE int8_t requantize(int32_t acc, const OutputQuant& q, int32_t oc) {
  acc = multiply_by_multiplier(acc, q.multiplier[oc], q.shift[oc]);
  return static_cast<int8_t>(ClampI32(acc + q.offset, q.lo, q.hi));
}

UTENSOR_HOT_INLINE int8_t requantize(int32_t acc, const DepthwiseConv2DS8Params& p,
                                      int32_t oc) {
  acc = multiply_by_multiplier(acc, p.output_multiplier[oc], p.output_shift[oc]);
  return static_cast<int8_t>(ClampI32(acc + p.output_offset, p.activation_min, p.activation_max));
}

// One tap for four channels: acc_k += (x_k [+ offset]) * f_k. `off` is the input offset,
// as a halfword pair on DSP cores.
#if UTENSOR_KERNELS_DSP
template <bool Inside>
UTENSOR_HOT_INLINE void tap4(const int8_t* x, const int8_t* f, uint32_t off, int32_t* a0,
                             int32_t* a1, int32_t* a2, int32_t* a3) {
  const uint32_t xv = load_u32(x), fv = load_u32(f);
  uint32_t x02 = sxtb16(xv), x13 = sxtb16_ror8(xv);
  if (!Inside) {
    x02 = sadd16(x02, off);
    x13 = sadd16(x13, off);
  }
  const uint32_t f02 = sxtb16(fv), f13 = sxtb16_ror8(fv);
  *a0 = smlabb(x02, f02, *a0);
  *a2 = smlatt(x02, f02, *a2);
  *a1 = smlabb(x13, f13, *a1);
  *a3 = smlatt(x13, f13, *a3);
}
#else
template <bool Inside>
UTENSOR_HOT_INLINE void tap4(const int8_t* x, const int8_t* f, int32_t off, int32_t* a0,
                             int32_t* a1, int32_t* a2, int32_t* a3) {
  const int32_t o = Inside ? 0 : off;
  *a0 += (static_cast<int32_t>(x[0]) + o) * f[0];
  *a1 += (static_cast<int32_t>(x[1]) + o) * f[1];
  *a2 += (static_cast<int32_t>(x[2]) + o) * f[2];
  *a3 += (static_cast<int32_t>(x[3]) + o) * f[3];
}
#endif

#if UTENSOR_KERNELS_MVE
// requantize() for four channels [c, c + 4) of which `pred` selects the valid ones, as
// CMSIS-NN's MVE requantization: VQRDMULH is SaturatingRoundingDoublingHighMul, and the
// sign fixup before the rounding VRSHL gives RoundingDivideByPOT's round-half-away.
UTENSOR_HOT_INLINE int32x4_t requantize4(int32x4_t acc, const DepthwiseConv2DS8Params& p,
                                         int32_t c, mve_pred16_t pred) {
  const int32x4_t mult = vldrwq_z_s32(p.output_multiplier + c, pred);
  const int32x4_t shift = vldrwq_z_s32(p.output_shift + c, pred);
  const int32x4_t zero = vdupq_n_s32(0);
  const int32x4_t right = vminq_s32(shift, zero);  // minus the right shift
  int32x4_t v = vqrdmulhq_s32(vshlq_s32(acc, vmaxq_s32(shift, zero)), mult);
  v = vqaddq_s32(v, vshrq_n_s32(vandq_s32(v, right), 31));
  v = vaddq_n_s32(vrshlq_s32(v, right), p.output_offset);
  return vminq_s32(vmaxq_s32(v, vdupq_n_s32(p.activation_min)), vdupq_n_s32(p.activation_max));
}

// One block of four channels of pixel_m1 on Helium: int8 widened to int32 lanes by the
// load, one multiply and one add per tap (MVE has no vector-by-vector integer VMLA).
// Pred: the block is the channel tail (masked lanes load as zero). KH/KW == 3: a whole
// 3x3 window, fully unrolled; 0: any tap counts.
template <bool Inside, bool Pred, int KH, int KW>
UTENSOR_HOT_INLINE int32x4_t taps_mve(int32x4_t acc, const int8_t* xr, const int8_t* fr,
                                      int32_t tap_x, int32_t tap_y, int32_t channels,
                                      int32_t f_row, int32_t n_ky, int32_t n_kx,
                                      int32_t offset, mve_pred16_t pred) {
  const int32_t ny = KH == 3 ? 3 : n_ky;
  const int32_t nx = KW == 3 ? 3 : n_kx;
#pragma GCC unroll 3
  for (int32_t ky = 0; ky < ny; ++ky, xr += tap_y, fr += f_row) {
    const int8_t* x = xr;
    const int8_t* f = fr;
#pragma GCC unroll 3
    for (int32_t k = 0; k < nx; ++k, x += tap_x, f += channels) {
      int32x4_t xv = Pred ? vldrbq_z_s32(x, pred) : vldrbq_s32(x);
      const int32x4_t fv = Pred ? vldrbq_z_s32(f, pred) : vldrbq_s32(f);
      if (!Inside) xv = vaddq_n_s32(xv, offset);
      acc = vaddq_s32(acc, vmulq_s32(xv, fv));
    }
  }
  return acc;
}

template <bool Inside, int KH, int KW>
void pixel_m1_mve(const DepthwiseConv2DS8Params& p, const int8_t* in0, int32_t tap_x,
                  int32_t tap_y, const int8_t* f0, int32_t f_row, int32_t n_ky, int32_t n_kx,
                  const int32_t* bias, int8_t* out) {
  const int32_t channels = p.shape.input_channels;
  const int32_t offset = p.input_offset;
  const int32_t* init = Inside ? p.folded_bias : bias;
  int32_t c = 0;
  for (; c + 4 <= channels; c += 4) {
    const mve_pred16_t all = vctp32q(4);
    int32x4_t acc = init != nullptr ? vldrwq_s32(init + c) : vdupq_n_s32(0);
    acc = taps_mve<Inside, false, KH, KW>(acc, in0 + c, f0 + c, tap_x, tap_y, channels, f_row,
                                          n_ky, n_kx, offset, all);
    vstrbq_s32(out + c, requantize4(acc, p, c, all));
  }
  if (c < channels) {
    const mve_pred16_t pred = vctp32q(static_cast<uint32_t>(channels - c));
    int32x4_t acc = init != nullptr ? vldrwq_z_s32(init + c, pred) : vdupq_n_s32(0);
    acc = taps_mve<Inside, true, KH, KW>(acc, in0 + c, f0 + c, tap_x, tap_y, channels, f_row,
                                         n_ky, n_kx, offset, pred);
    vstrbq_p_s32(out + c, requantize4(acc, p, c, pred), pred);
  }
}
#endif

// One output pixel, depth multiplier 1, taps [ky_begin, ky_end) x [kx_begin, kx_end) of
// the window at input (y0, x0). Channels go in blocks of four with the accumulators in
// registers. Inside == true: the window is whole and folded_bias already holds the input
// offset times the weight sums; otherwise the offset is added to each input, as TFLite
// does. Integer sums are exact in any order, so both are bit-exact.
// KW == 3: the caller guarantees kx_end - kx_begin == 3 (loop unrolled); 0: any width.
template <bool Inside, int KW>
void pixel_m1(const DepthwiseConv2DS8Params& p, const int8_t* in_batch, int32_t y0,
              int32_t x0, int32_t ky_begin, int32_t ky_end, int32_t kx_begin, int32_t kx_end,
              const int8_t* filter, const int32_t* bias, int8_t* out) {
  const DepthwiseConv2DShape& s = p.shape;
  const int32_t channels = s.input_channels;
  const int32_t tap_x = s.dilation_width * channels;
  const int32_t tap_y = s.dilation_height * s.input_width * channels;
  const int8_t* in0 = in_batch + ((y0 + ky_begin * s.dilation_height) * s.input_width +
                                  x0 + kx_begin * s.dilation_width) * channels;
  const int8_t* f0 = filter + (ky_begin * s.filter_width + kx_begin) * channels;
  const int32_t f_row = s.filter_width * channels;
  const int32_t n_kx = kx_end - kx_begin;
#if UTENSOR_KERNELS_MVE
  if (KW == 3 && ky_end - ky_begin == 3) {
    pixel_m1_mve<Inside, 3, KW>(p, in0, tap_x, tap_y, f0, f_row, 3, n_kx, bias, out);
  } else {
    pixel_m1_mve<Inside, 0, KW>(p, in0, tap_x, tap_y, f0, f_row, ky_end - ky_begin, n_kx, bias,
                                out);
  }
  return;
#endif
  const int32_t offset = p.input_offset;
  const OutputQuant q = {p.output_multiplier, p.output_shift, p.output_offset,
                         p.activation_min, p.activation_max};
  const int32_t* const folded_bias = p.folded_bias;
#if UTENSOR_KERNELS_DSP
  const uint32_t off =
      (static_cast<uint32_t>(offset) << 16) | (static_cast<uint32_t>(offset) & 0xFFFFu);
#else
  const int32_t off = offset;
#endif
  int32_t c = 0;
  for (; c + 4 <= channels; c += 4) {
    int32_t a0, a1, a2, a3;
    if (Inside) {
      a0 = folded_bias[c], a1 = folded_bias[c + 1];
      a2 = folded_bias[c + 2], a3 = folded_bias[c + 3];
    } else if (bias != nullptr) {
      a0 = bias[c], a1 = bias[c + 1], a2 = bias[c + 2], a3 = bias[c + 3];
    } else {
      a0 = a1 = a2 = a3 = 0;
    }
    for (int32_t ky = ky_begin; ky < ky_end; ++ky) {
      const int8_t* x = in0 + (ky - ky_begin) * tap_y + c;
      const int8_t* f = f0 + (ky - ky_begin) * f_row + c;
      if (KW == 3) {  // the common 3-wide window, unrolled
        tap4<Inside>(x, f, off, &a0, &a1, &a2, &a3);
        tap4<Inside>(x + tap_x, f + channels, off, &a0, &a1, &a2, &a3);
        tap4<Inside>(x + 2 * tap_x, f + 2 * channels, off, &a0, &a1, &a2, &a3);
      } else {
        for (int32_t k = 0; k < n_kx; ++k, x += tap_x, f += channels) {
          tap4<Inside>(x, f, off, &a0, &a1, &a2, &a3);
        }
      }
    }
    out[c] = requantize(a0, q, c);
    out[c + 1] = requantize(a1, q, c + 1);
    out[c + 2] = requantize(a2, q, c + 2);
    out[c + 3] = requantize(a3, q, c + 3);
  }
  for (; c < channels; ++c) {
    int32_t acc = Inside ? folded_bias[c] : (bias != nullptr ? bias[c] : 0);
    for (int32_t ky = ky_begin; ky < ky_end; ++ky) {
      const int8_t* x = in0 + (ky - ky_begin) * tap_y + c;
      const int8_t* f = f0 + (ky - ky_begin) * f_row + c;
      for (int32_t k = 0; k < n_kx; ++k, x += tap_x, f += channels) {
        acc += (static_cast<int32_t>(*x) + (Inside ? 0 : offset)) * *f;
      }
    }
    out[c] = requantize(acc, q, c);
  }
}

}  // namespace

void depthwise_conv2d_s8(const DepthwiseConv2DS8Params& params, const int8_t* input,
                         const int8_t* filter, const int32_t* bias, int8_t* output) {
  const DepthwiseConv2DShape& s = params.shape;
  const int32_t out_channels = s.input_channels * s.depth_multiplier;
  const bool m1 = s.depth_multiplier == 1;
  for (int32_t b = 0; b < s.batches; ++b) {
    const int8_t* in_batch = input + b * s.input_height * s.input_width * s.input_channels;
    for (int32_t oy = 0; oy < s.output_height; ++oy) {
      const int32_t y0 = oy * s.stride_height - s.pad_top;
      int32_t ky_begin, ky_end;
      tap_range(y0, s.dilation_height, s.filter_height, s.input_height, &ky_begin, &ky_end);
      for (int32_t ox = 0; ox < s.output_width; ++ox) {
        const int32_t x0 = ox * s.stride_width - s.pad_left;
        int32_t kx_begin, kx_end;
        tap_range(x0, s.dilation_width, s.filter_width, s.input_width, &kx_begin, &kx_end);
        if (m1) {
          if (params.folded_bias != nullptr && ky_begin == 0 && ky_end == s.filter_height &&
              kx_begin == 0 && kx_end == s.filter_width) {
            if (s.filter_width == 3) {
              pixel_m1<true, 3>(params, in_batch, y0, x0, 0, s.filter_height, 0, 3, filter,
                                bias, output);
            } else {
              pixel_m1<true, 0>(params, in_batch, y0, x0, 0, s.filter_height, 0,
                                s.filter_width, filter, bias, output);
            }
          } else if (kx_end - kx_begin == 3) {
            pixel_m1<false, 3>(params, in_batch, y0, x0, ky_begin, ky_end, kx_begin, kx_end,
                               filter, bias, output);
          } else {
            pixel_m1<false, 0>(params, in_batch, y0, x0, ky_begin, ky_end, kx_begin, kx_end,
                               filter, bias, output);
          }
          output += out_channels;
          continue;
        }
        for (int32_t oc = 0; oc < out_channels; ++oc) {
          const int32_t ic = oc / s.depth_multiplier;
          int32_t acc = 0;
          for (int32_t ky = ky_begin; ky < ky_end; ++ky) {
            const int32_t y = y0 + ky * s.dilation_height;
            const int8_t* f_row = filter + ky * s.filter_width * out_channels + oc;
            const int8_t* in_row = in_batch + y * s.input_width * s.input_channels + ic;
            for (int32_t kx = kx_begin; kx < kx_end; ++kx) {
              const int32_t x = x0 + kx * s.dilation_width;
              acc += static_cast<int32_t>(f_row[kx * out_channels]) *
                     (static_cast<int32_t>(in_row[x * s.input_channels]) + params.input_offset);
            }
          }
          if (bias != nullptr) acc += bias[oc];
          *output++ = requantize(acc, params, oc);
        }
      }
    }
  }
}

// One output pixel, depth multiplier 1, float: four channels at a time, each summing its
// taps in TFLite's order (ky, kx, then the bias), so results are unchanged by the blocking.
void pixel_m1_f32(const DepthwiseConv2DF32Params& p, const float* in_batch, int32_t y0,
                  int32_t x0, int32_t ky_begin, int32_t ky_end, int32_t kx_begin,
                  int32_t kx_end, const float* filter, const float* bias, float* out) {
  const DepthwiseConv2DShape& s = p.shape;
  const int32_t channels = s.input_channels;
  const int32_t tap_x = s.dilation_width * channels;
  const int32_t tap_y = s.dilation_height * s.input_width * channels;
  const float* in0 = in_batch + ((y0 + ky_begin * s.dilation_height) * s.input_width +
                                 x0 + kx_begin * s.dilation_width) * channels;
  const float* f0 = filter + (ky_begin * s.filter_width + kx_begin) * channels;
  const int32_t f_row = s.filter_width * channels;
  const int32_t n_kx = kx_end - kx_begin;
  const float lo = p.activation_min, hi = p.activation_max;
  int32_t c = 0;
  for (; c + 4 <= channels; c += 4) {
    float t0 = 0.0f, t1 = 0.0f, t2 = 0.0f, t3 = 0.0f;
    for (int32_t ky = ky_begin; ky < ky_end; ++ky) {
      const float* x = in0 + (ky - ky_begin) * tap_y + c;
      const float* f = f0 + (ky - ky_begin) * f_row + c;
      for (int32_t k = 0; k < n_kx; ++k, x += tap_x, f += channels) {
        t0 += x[0] * f[0];
        t1 += x[1] * f[1];
        t2 += x[2] * f[2];
        t3 += x[3] * f[3];
      }
    }
    const float t[4] = {t0, t1, t2, t3};
    for (int k = 0; k < 4; ++k) {
      const float v = t[k] + (bias != nullptr ? bias[c + k] : 0.0f);
      const float a = v < lo ? lo : v;
      out[c + k] = a > hi ? hi : a;
    }
  }
  for (; c < channels; ++c) {
    float total = 0.0f;
    for (int32_t ky = ky_begin; ky < ky_end; ++ky) {
      const float* x = in0 + (ky - ky_begin) * tap_y + c;
      const float* f = f0 + (ky - ky_begin) * f_row + c;
      for (int32_t k = 0; k < n_kx; ++k, x += tap_x, f += channels) total += *x * *f;
    }
    const float v = total + (bias != nullptr ? bias[c] : 0.0f);
    const float a = v < lo ? lo : v;
    out[c] = a > hi ? hi : a;
  }
}

void depthwise_conv2d_f32(const DepthwiseConv2DF32Params& params, const float* input,
                          const float* filter, const float* bias, float* output) {
  const DepthwiseConv2DShape& s = params.shape;
  const int32_t out_channels = s.input_channels * s.depth_multiplier;
  for (int32_t b = 0; b < s.batches; ++b) {
    const float* in_batch = input + b * s.input_height * s.input_width * s.input_channels;
    for (int32_t oy = 0; oy < s.output_height; ++oy) {
      const int32_t y0 = oy * s.stride_height - s.pad_top;
      int32_t ky_begin, ky_end;
      tap_range(y0, s.dilation_height, s.filter_height, s.input_height, &ky_begin, &ky_end);
      for (int32_t ox = 0; ox < s.output_width; ++ox) {
        const int32_t x0 = ox * s.stride_width - s.pad_left;
        int32_t kx_begin, kx_end;
        tap_range(x0, s.dilation_width, s.filter_width, s.input_width, &kx_begin, &kx_end);
        if (s.depth_multiplier == 1) {
          pixel_m1_f32(params, in_batch, y0, x0, ky_begin, ky_end, kx_begin, kx_end, filter,
                       bias, output);
          output += out_channels;
          continue;
        }
        for (int32_t oc = 0; oc < out_channels; ++oc) {
          const int32_t ic = oc / s.depth_multiplier;
          // TFLite's reference order: taps (ky, kx), then the bias.
          float total = 0.0f;
          for (int32_t ky = ky_begin; ky < ky_end; ++ky) {
            const int32_t y = y0 + ky * s.dilation_height;
            const float* f_row = filter + ky * s.filter_width * out_channels + oc;
            const float* in_row = in_batch + y * s.input_width * s.input_channels + ic;
            for (int32_t kx = kx_begin; kx < kx_end; ++kx) {
              const int32_t x = x0 + kx * s.dilation_width;
              total += in_row[x * s.input_channels] * f_row[kx * out_channels];
            }
          }
          const float value = total + (bias != nullptr ? bias[oc] : 0.0f);
          const float lo = value < params.activation_min ? params.activation_min : value;
          *output++ = lo > params.activation_max ? params.activation_max : lo;
        }
      }
    }
  }
}

}  // namespace kernels
}  // namespace utensor
