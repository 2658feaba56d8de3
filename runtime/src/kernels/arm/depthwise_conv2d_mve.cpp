// int8 DEPTHWISE_CONV_2D for Helium (Cortex-M55): depth multiplier 1 with four channels
// per vector (int8 widened to int32 lanes by the load), the requantization in vector form.
// Same contract and the same integers as the portable kernel, hence the same bytes; other
// shapes run the portable kernel.
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
