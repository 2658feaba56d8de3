// int8 DEPTHWISE_CONV_2D for Helium (Cortex-M55). 3x3 undilated layers with C % 8 == 0
// (KWS, VWW) run eight channels per vector (depthwise3x3_mve below); other depth-multiplier-1
// layers four channels per vector (int8 widened to int32 lanes by the load); the rest the
// portable kernel. Requantization in vector form. Same contract and the same integers as
// the portable kernel, hence the same bytes.
#include "utensor/kernels/arch.hpp"

#if UTENSOR_KERNELS_MVE  // else depthwise_conv2d_dsp.cpp or the portable kernel

#include <arm_mve.h>
#include <stdint.h>

#include "utensor/kernels/depthwise_conv2d.hpp"
#include "utensor/kernels/detail/kernel_util.hpp"

namespace utensor {
namespace kernels {
namespace {

using namespace detail;  // NOLINT: the kernels' shared helpers

// The pixel loops get their own register allocation (inlined, GCC spills their vectors).
#define UTENSOR_NOINLINE_MVE __attribute__((noinline, optimize("no-schedule-insns")))

// requantize() for four channels [c, c + 4) of which `pred` selects the valid ones.
UTENSOR_HOT_INLINE int32x4_t requantize4(int32x4_t acc, const DepthwiseConv2DS8Params& p,
                                         int32_t c, mve_pred16_t pred) {
  const int32x4_t v = mve_multiply_by_multiplier(acc, vldrwq_z_s32(p.output_multiplier + c, pred),
                                                 vldrwq_z_s32(p.output_shift + c, pred));
  return mve_offset_clamp(v, p.output_offset, p.activation_min, p.activation_max);
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

// ---- 3x3, depth multiplier 1, C % 8 == 0: eight channels per vector -------------------
//
// Inputs load as int16 lanes (VLDRB.S16), the block's weights are widened to int16 once per
// block and call, and VMULLB/VMULLT multiply the even and odd channels into two int32
// accumulators: two multiplies and two adds per tap for eight channels. The requantization
// (VQRDMULH + sign fixup + VRSHL, as requantize4) runs on the even/odd halves with the
// block's constants hoisted, then VQMOVNB/VQMOVNT interleave the channels back and one
// VLDRB.16-sized store writes them.

struct Block8 {
  int16x8_t w[9];
  int32x4_t mult[2], left[2], right[2];  // [0]: even channels, [1]: odd
  int32x4_t folded[2];
  // Windows missing their first (left) or last (right) column: bias + input offset * the
  // other six weights' sum, so those windows multiply raw inputs too.
  int32x4_t start_left[2], start_right[2];
};

struct Layer8 {
  int32_t zero_point;
  int16x8_t lo, hi;
};

UTENSOR_HOT_INLINE int32x4_t requant_half(int32x4_t acc, const Block8& k, int h, int32_t zp) {
  int32x4_t v = vqrdmulhq_s32(vshlq_s32(acc, k.left[h]), k.mult[h]);
  v = vqaddq_s32(v, vshrq_n_s32(vandq_s32(v, k.right[h]), 31));
  return vaddq_n_s32(vrshlq_s32(v, k.right[h]), zp);
}

UTENSOR_HOT_INLINE void store8(int8_t* out, int32x4_t even, int32x4_t odd, const Block8& k,
                               const Layer8& l) {
  int16x8_t v = vdupq_n_s16(0);
  v = vqmovnbq_s32(v, requant_half(even, k, 0, l.zero_point));
  v = vqmovntq_s32(v, requant_half(odd, k, 1, l.zero_point));
  vstrbq_s16(out, vminq_s16(vmaxq_s16(v, l.lo), l.hi));
}

UTENSOR_HOT_INLINE void tap8(const int8_t* x, int16x8_t w, int32x4_t* even, int32x4_t* odd) {
  const int16x8_t xv = vldrbq_s16(x);
  *even = vaddq_s32(*even, vmullbq_int_s16(xv, w));
  *odd = vaddq_s32(*odd, vmulltq_int_s16(xv, w));
  // One tap at a time: GCC otherwise loads and multiplies all nine taps first and spills
  // the products (Helium has eight vector registers).
  __asm__ volatile("" : "+w"(*even), "+w"(*odd)::"memory");
}

// `n` consecutive output pixels whose windows lie inside the image (see run_inside in
// depthwise_conv2d_dsp.cpp for the arguments).
UTENSOR_NOINLINE_MVE void run_inside8(const int8_t* x, int32_t n, int32_t step, int32_t c,
                                      int32_t row, const Block8& k, const Layer8& l,
                                      int8_t* out, int32_t out_step) {
  for (; n > 0; --n, x += step, out += out_step) {
    int32x4_t even = k.folded[0], odd = k.folded[1];
    const int8_t* r = x;
#pragma GCC unroll 3
    for (int32_t ky = 0; ky < 3; ++ky, r += row) {
      tap8(r, k.w[3 * ky], &even, &odd);
      tap8(r + c, k.w[3 * ky + 1], &even, &odd);
      tap8(r + 2 * c, k.w[3 * ky + 2], &even, &odd);
    }
    store8(out, even, odd, k, l);
  }
}

// One pixel whose window misses its left (Left) or right column only; x: its first column
// inside the image.
template <bool Left>
UTENSOR_NOINLINE_MVE void run_edge8(const int8_t* x, int32_t c, int32_t row, const Block8& k,
                                    const Layer8& l, int8_t* out) {
  const int32x4_t* start = Left ? k.start_left : k.start_right;
  int32x4_t even = start[0], odd = start[1];
  const int32_t w0 = Left ? 1 : 0;
#pragma GCC unroll 3
  for (int32_t ky = 0; ky < 3; ++ky, x += row) {
    tap8(x, k.w[3 * ky + w0], &even, &odd);
    tap8(x + c, k.w[3 * ky + w0 + 1], &even, &odd);
  }
  store8(out, even, odd, k, l);
}

// One pixel whose window the padding clips to taps [ky0, ky1) x [kx0, kx1), from the bias
// with the input offset added to each input, as TFLite does. x: tap (ky0, kx0).
UTENSOR_NOINLINE_MVE void run_clipped8(const int8_t* x, int32_t ky0, int32_t ky1, int32_t kx0,
                                       int32_t kx1, int32_t c, int32_t row, int32_t offset,
                                       const Block8& k, const int32_t* bias, const Layer8& l,
                                       int8_t* out) {
  int32x4_t even = vdupq_n_s32(0), odd = vdupq_n_s32(0);
  if (bias != nullptr) {
    const int32x4x2_t b = vld2q_s32(bias);
    even = b.val[0];
    odd = b.val[1];
  }
  for (int32_t ky = ky0; ky < ky1; ++ky, x += row) {
    const int8_t* p = x;
    for (int32_t kx = kx0; kx < kx1; ++kx, p += c) {
      const int16x8_t xv = vaddq_n_s16(vldrbq_s16(p), static_cast<int16_t>(offset));
      const int16x8_t w = k.w[3 * ky + kx];
      even = vaddq_s32(even, vmullbq_int_s16(xv, w));
      odd = vaddq_s32(odd, vmulltq_int_s16(xv, w));
    }
  }
  store8(out, even, odd, k, l);
}

UTENSOR_NOINLINE_MVE void load_block8(const int8_t* filter, int32_t c, const int32_t* mult,
                                      const int32_t* shift, const int32_t* folded,
                                      int16_t neg_offset, Block8* k) {
#pragma GCC unroll 9
  for (int32_t i = 0; i < 9; ++i) k->w[i] = vldrbq_s16(filter + i * c);
  const int32x4x2_t m = vld2q_s32(mult), sh = vld2q_s32(shift), f = vld2q_s32(folded);
  const int32x4_t zero = vdupq_n_s32(0);
  const int16x8_t left_sum = vaddq_s16(vaddq_s16(k->w[0], k->w[3]), k->w[6]);
  const int16x8_t right_sum = vaddq_s16(vaddq_s16(k->w[2], k->w[5]), k->w[8]);
  const int16x8_t neg = vdupq_n_s16(neg_offset);
  k->mult[0] = m.val[0];
  k->mult[1] = m.val[1];
  k->left[0] = vmaxq_s32(sh.val[0], zero);
  k->left[1] = vmaxq_s32(sh.val[1], zero);
  k->right[0] = vminq_s32(sh.val[0], zero);
  k->right[1] = vminq_s32(sh.val[1], zero);
  k->folded[0] = f.val[0];
  k->folded[1] = f.val[1];
  k->start_left[0] = vaddq_s32(f.val[0], vmullbq_int_s16(left_sum, neg));
  k->start_left[1] = vaddq_s32(f.val[1], vmulltq_int_s16(left_sum, neg));
  k->start_right[0] = vaddq_s32(f.val[0], vmullbq_int_s16(right_sum, neg));
  k->start_right[1] = vaddq_s32(f.val[1], vmulltq_int_s16(right_sum, neg));
}

void depthwise3x3_mve(const DepthwiseConv2DS8Params& params, const int8_t* input,
                      const int8_t* filter, const int32_t* bias, int8_t* output) {
  const DepthwiseConv2DShape s = params.shape;
  const int32_t channels = s.input_channels;
  const int32_t row = s.input_width * channels;
  const int32_t offset = params.input_offset;
  const Layer8 l = {params.output_offset, vdupq_n_s16(static_cast<int16_t>(params.activation_min)),
                    vdupq_n_s16(static_cast<int16_t>(params.activation_max))};
  int32_t ox_in = (s.pad_left + s.stride_width - 1) / s.stride_width;
  int32_t ox_end = s.input_width + s.pad_left >= 3
                       ? (s.input_width + s.pad_left - 3) / s.stride_width + 1
                       : 0;
  if (ox_end > s.output_width) ox_end = s.output_width;
  if (ox_in > ox_end) ox_in = ox_end;
  // Pixels [row_begin, row_end) of a row whose windows are vertically inside: the inside
  // run [ox_in, ox_end) and the pixels next to it that miss one column only.
  const bool left_edge = ox_end > ox_in && ox_in >= 1 &&
                         (ox_in - 1) * s.stride_width - s.pad_left == -1 && s.input_width >= 2;
  const int32_t right_x = ox_end * s.stride_width - s.pad_left;
  const bool right_edge = ox_end > ox_in && ox_end < s.output_width && right_x >= 0 &&
                          right_x + 2 == s.input_width;
  const int32_t row_begin = left_edge ? ox_in - 1 : ox_in;
  const int32_t row_end = right_edge ? ox_end + 1 : ox_end;
  const int32_t out_row = s.output_width * channels;
  const int32_t step = s.stride_width * channels;
  // Blocks outer (a block's weights and constants are set up once per call), rows inner.
  for (int32_t b = 0; b < s.batches; ++b) {
    const int8_t* in_batch = input + b * s.input_height * row;
    int8_t* out_batch = output + b * s.output_height * out_row;
    for (int32_t c = 0; c < channels; c += 8) {
      Block8 k;
      load_block8(filter + c, channels, params.output_multiplier + c, params.output_shift + c,
                  params.folded_bias + c, static_cast<int16_t>(-offset), &k);
      const int32_t* bias_c = bias != nullptr ? bias + c : nullptr;
      for (int32_t oy = 0; oy < s.output_height; ++oy) {
        const int32_t y0 = oy * s.stride_height - s.pad_top;
        int32_t ky0, ky1;
        tap_range(y0, 1, 3, s.input_height, &ky0, &ky1);
        const bool rows_inside = ky0 == 0 && ky1 == 3 && ox_end > ox_in;
        const int32_t lo = rows_inside ? row_begin : s.output_width;
        const int32_t hi = rows_inside ? row_end : s.output_width;
        const int8_t* x_row = in_batch + y0 * row;  // only used when rows_inside
        int8_t* out_y = out_batch + oy * out_row;
        if (rows_inside) {
          if (left_edge) {
            run_edge8<true>(x_row + c, channels, row, k, l, out_y + (ox_in - 1) * channels + c);
          }
          run_inside8(x_row + (ox_in * s.stride_width - s.pad_left) * channels + c,
                      ox_end - ox_in, step, channels, row, k, l, out_y + ox_in * channels + c,
                      channels);
          if (right_edge) {
            run_edge8<false>(x_row + right_x * channels + c, channels, row, k, l,
                             out_y + ox_end * channels + c);
          }
        }
        for (int32_t ox = 0; ox < s.output_width; ++ox) {  // the other pixels
          if (ox == lo) {
            ox = hi - 1;
            continue;
          }
          const int32_t x0 = ox * s.stride_width - s.pad_left;
          const int32_t kx0 = x0 < 0 ? -x0 : 0;
          const int32_t kx1 = s.input_width - x0 < 3 ? s.input_width - x0 : 3;
          run_clipped8(in_batch + (y0 + ky0) * row + (x0 + kx0) * channels + c, ky0, ky1, kx0,
                       kx1, channels, row, offset, k, bias_c, l, out_y + ox * channels + c);
        }
      }
    }
  }
}

// One output pixel, depth multiplier 1, taps [ky_begin, ky_end) x [kx_begin, kx_end) of
// the window at input (y0, x0). Inside == true: the window is whole and folded_bias holds
// the input offset times the weight sums; otherwise the offset is added to each input.
template <bool Inside>
void pixel_m1(const DepthwiseConv2DS8Params& p, const int8_t* in_batch, int32_t y0, int32_t x0,
              int32_t ky_begin, int32_t ky_end, int32_t kx_begin, int32_t kx_end,
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
  if (n_kx == 3 && ky_end - ky_begin == 3) {
    pixel_m1_mve<Inside, 3, 3>(p, in0, tap_x, tap_y, f0, f_row, 3, 3, bias, out);
  } else if (n_kx == 3) {  // the top and bottom rows of 3-wide windows
    pixel_m1_mve<Inside, 0, 3>(p, in0, tap_x, tap_y, f0, f_row, ky_end - ky_begin, 3, bias,
                               out);
  } else {
    pixel_m1_mve<Inside, 0, 0>(p, in0, tap_x, tap_y, f0, f_row, ky_end - ky_begin, n_kx, bias,
                               out);
  }
}

}  // namespace

void depthwise_conv2d_s8(const DepthwiseConv2DS8Params& params, const int8_t* input,
                         const int8_t* filter, const int32_t* bias, int8_t* output) {
  const DepthwiseConv2DShape& s = params.shape;
  if (s.depth_multiplier != 1) {
    depthwise_conv2d_s8_portable(params, input, filter, bias, output);
    return;
  }
  if (s.input_channels % 8 == 0 && s.filter_height == 3 && s.filter_width == 3 &&
      s.dilation_height == 1 && s.dilation_width == 1 && params.folded_bias != nullptr) {
    depthwise3x3_mve(params, input, filter, bias, output);
    return;
  }
  const int32_t channels = s.input_channels;
  for (int32_t b = 0; b < s.batches; ++b) {
    const int8_t* in_batch = input + b * s.input_height * s.input_width * channels;
    for (int32_t oy = 0; oy < s.output_height; ++oy) {
      const int32_t y0 = oy * s.stride_height - s.pad_top;
      int32_t ky_begin, ky_end;
      tap_range(y0, s.dilation_height, s.filter_height, s.input_height, &ky_begin, &ky_end);
      for (int32_t ox = 0; ox < s.output_width; ++ox, output += channels) {
        const int32_t x0 = ox * s.stride_width - s.pad_left;
        int32_t kx_begin, kx_end;
        tap_range(x0, s.dilation_width, s.filter_width, s.input_width, &kx_begin, &kx_end);
        if (params.folded_bias != nullptr && ky_begin == 0 && ky_end == s.filter_height &&
            kx_begin == 0 && kx_end == s.filter_width) {
          pixel_m1<true>(params, in_batch, y0, x0, 0, s.filter_height, 0, s.filter_width,
                         filter, bias, output);
        } else {
          pixel_m1<false>(params, in_batch, y0, x0, ky_begin, ky_end, kx_begin, kx_end, filter,
                          bias, output);
        }
      }
    }
  }
}

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_MVE
