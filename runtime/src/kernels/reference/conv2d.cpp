#include "utensor/kernels/conv2d.hpp"

#include <string.h>

#include "utensor/kernels/arch.hpp"
#include "utensor/kernels/detail/kernel_util.hpp"
#include "utensor/kernels/fixedpoint.hpp"

namespace utensor {
namespace kernels {
namespace {

using namespace detail;  // NOLINT: the kernels' shared helpers

#if UTENSOR_KERNELS_DSP
// `v` in both halfwords (for SMLAD against a pair of int16 values).
UTENSOR_HOT_INLINE uint32_t halfword_pair(int32_t v) {
  return (static_cast<uint32_t>(v) << 16) | (static_cast<uint32_t>(v) & 0xFFFFu);
}
#endif

// As dot2_s8 with `offset` added to every input first: TFLite's sum of
// w * (x + offset), used for windows clipped by the padding (no folded bias there).
// x + offset stays within int16 (offset in [-127, 128]).
UTENSOR_HOT_INLINE void dot2_offset_s8(const int8_t* x, const int8_t* w0, const int8_t* w1,
                                       int32_t n, int32_t offset, int32_t* acc0,
                                       int32_t* acc1) {
  int32_t a0 = *acc0, a1 = *acc1;
  int32_t i = 0;
#if UTENSOR_KERNELS_DSP
  const uint32_t off2 = halfword_pair(offset);
  for (; i + 4 <= n; i += 4) {
    const uint32_t xv = load_u32(x + i);
    const uint32_t x02 = sadd16(sxtb16(xv), off2), x13 = sadd16(sxtb16_ror8(xv), off2);
    const uint32_t v0 = load_u32(w0 + i);
    a0 = smlad(x02, sxtb16(v0), a0);
    a0 = smlad(x13, sxtb16_ror8(v0), a0);
    const uint32_t v1 = load_u32(w1 + i);
    a1 = smlad(x02, sxtb16(v1), a1);
    a1 = smlad(x13, sxtb16_ror8(v1), a1);
  }
#endif
  for (; i < n; ++i) {
    const int32_t xi = x[i] + offset;
    a0 += xi * w0[i];
    a1 += xi * w1[i];
  }
  *acc0 = a0;
  *acc1 = a1;
}

// acc0 += x . w0 and acc1 += x . w1 over n int8 values: two output channels share the
// input loads. Integer sums are exact in any order, so this stays bit-exact.
UTENSOR_HOT_INLINE void dot2_s8(const int8_t* x, const int8_t* w0, const int8_t* w1,
                                int32_t n, int32_t* acc0, int32_t* acc1) {
  int32_t a0 = *acc0, a1 = *acc1;
  int32_t i = 0;
#if UTENSOR_KERNELS_DSP
  for (; i + 4 <= n; i += 4) {
    const uint32_t xv = load_u32(x + i);
    const uint32_t x02 = sxtb16(xv), x13 = sxtb16_ror8(xv);
    const uint32_t v0 = load_u32(w0 + i);
    a0 = smlad(x02, sxtb16(v0), a0);
    a0 = smlad(x13, sxtb16_ror8(v0), a0);
    const uint32_t v1 = load_u32(w1 + i);
    a1 = smlad(x02, sxtb16(v1), a1);
    a1 = smlad(x13, sxtb16_ror8(v1), a1);
  }
#endif
  for (; i < n; ++i) {
    const int32_t xi = x[i];
    a0 += xi * w0[i];
    a1 += xi * w1[i];
  }
  *acc0 = a0;
  *acc1 = a1;
}

// acc[k] += (x + offset) . w_k for four output channels k whose weight rows are `stride`
// apart: one input load feeds four channels. Offset == false skips the offset (windows
// inside the image, whose bias already holds it).
template <bool Offset>
UTENSOR_HOT_INLINE void dot4_s8(const int8_t* x, const int8_t* w, int32_t stride,
                                int32_t n, int32_t offset, int32_t* acc) {
  const int8_t* w0 = w;
  const int8_t* w1 = w + stride;
  const int8_t* w2 = w1 + stride;
  const int8_t* w3 = w2 + stride;
  int32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
  int32_t i = 0;
#if UTENSOR_KERNELS_DSP
  const uint32_t off2 = halfword_pair(offset);
  for (; i + 4 <= n; i += 4) {
    const uint32_t xv = load_u32(x + i);
    uint32_t x02 = sxtb16(xv), x13 = sxtb16_ror8(xv);
    if (Offset) {
      x02 = sadd16(x02, off2);
      x13 = sadd16(x13, off2);
    }
    uint32_t v = load_u32(w0 + i);
    a0 = smlad(x02, sxtb16(v), a0);
    a0 = smlad(x13, sxtb16_ror8(v), a0);
    v = load_u32(w1 + i);
    a1 = smlad(x02, sxtb16(v), a1);
    a1 = smlad(x13, sxtb16_ror8(v), a1);
    v = load_u32(w2 + i);
    a2 = smlad(x02, sxtb16(v), a2);
    a2 = smlad(x13, sxtb16_ror8(v), a2);
    v = load_u32(w3 + i);
    a3 = smlad(x02, sxtb16(v), a3);
    a3 = smlad(x13, sxtb16_ror8(v), a3);
  }
#endif
  for (; i < n; ++i) {
    const int32_t xi = x[i] + (Offset ? offset : 0);
    a0 += xi * w0[i];
    a1 += xi * w1[i];
    a2 += xi * w2[i];
    a3 += xi * w3[i];
  }
  acc[0] = a0;
  acc[1] = a1;
  acc[2] = a2;
  acc[3] = a3;
}


UTENSOR_HOT_INLINE int8_t requantize(int32_t acc, const Conv2DS8Params& p, int32_t oc) {
  acc = multiply_by_multiplier(acc, p.output_multiplier[oc], p.output_shift[oc]);
  return static_cast<int8_t>(ClampI32(acc + p.output_offset, p.activation_min, p.activation_max));
}


// Pointwise convolution (1x1, stride 1, no padding): every window is one pixel inside the
// image, so the layer is a plain matrix product. Kept out of line so that it does not
// disturb the register allocation of the general loop.
void pointwise_s8(const Conv2DS8Params& params, const int8_t* input, const int8_t* filter,
                  int8_t* output) {
  const Conv2DShape& s = params.shape;
  const int32_t out_pairs_end = s.output_channels & ~1;
  const int32_t pixels = s.batches * s.output_height * s.output_width;
  const int32_t depth = s.input_channels;
  for (int32_t px = 0; px < pixels; ++px, input += depth) {
    int32_t oc = 0;
    for (; oc + 4 <= s.output_channels; oc += 4) {
      int32_t acc[4] = {params.folded_bias[oc], params.folded_bias[oc + 1],
                        params.folded_bias[oc + 2], params.folded_bias[oc + 3]};
      dot4_s8<false>(input, filter + oc * depth, depth, depth, 0, acc);
      for (int k = 0; k < 4; ++k) *output++ = requantize(acc[k], params, oc + k);
    }
    for (; oc < s.output_channels; oc += 2) {
      const int32_t oc1 = oc < out_pairs_end ? oc + 1 : oc;
      int32_t acc0 = params.folded_bias[oc], acc1 = params.folded_bias[oc1];
      dot2_s8(input, filter + oc * depth, filter + oc1 * depth, depth, &acc0, &acc1);
      *output++ = requantize(acc0, params, oc);
      if (oc1 != oc) *output++ = requantize(acc1, params, oc1);
    }
  }
}

// Small windows (the first layer of most models: 1 to 3 input channels) make the row dot
// products too short to pay for their setup. Here each window is copied once into
// `window` (taps outside the image hold the input zero point, which contributes exactly
// zero with folded_bias), and each group of output channels is one long dot product.
void windowed_s8(const Conv2DS8Params& params, const int8_t* input, const int8_t* filter,
                 int8_t* output, int8_t* window) {
  const Conv2DShape& s = params.shape;
  const int32_t depth = s.input_channels;
  const int32_t filter_size = s.filter_height * s.filter_width * depth;
  const int8_t pad = static_cast<int8_t>(-params.input_offset);
  const int32_t out_pairs_end = s.output_channels & ~1;
  for (int32_t b = 0; b < s.batches; ++b) {
    const int8_t* in_batch = input + b * s.input_height * s.input_width * depth;
    for (int32_t oy = 0; oy < s.output_height; ++oy) {
      const int32_t y0 = oy * s.stride_height - s.pad_top;
      for (int32_t ox = 0; ox < s.output_width; ++ox) {
        const int32_t x0 = ox * s.stride_width - s.pad_left;
        int8_t* w = window;
        for (int32_t ky = 0; ky < s.filter_height; ++ky) {
          const int32_t y = y0 + ky * s.dilation_height;
          for (int32_t kx = 0; kx < s.filter_width; ++kx, w += depth) {
            const int32_t x = x0 + kx * s.dilation_width;
            if (y < 0 || y >= s.input_height || x < 0 || x >= s.input_width) {
              for (int32_t c = 0; c < depth; ++c) w[c] = pad;
            } else {
              const int8_t* src = in_batch + (y * s.input_width + x) * depth;
              for (int32_t c = 0; c < depth; ++c) w[c] = src[c];
            }
          }
        }
        int32_t oc = 0;
        for (; oc + 4 <= s.output_channels; oc += 4) {
          int32_t acc[4] = {params.folded_bias[oc], params.folded_bias[oc + 1],
                            params.folded_bias[oc + 2], params.folded_bias[oc + 3]};
          dot4_s8<false>(window, filter + oc * filter_size, filter_size, filter_size, 0, acc);
          for (int k = 0; k < 4; ++k) *output++ = requantize(acc[k], params, oc + k);
        }
        for (; oc < s.output_channels; oc += 2) {
          const int32_t oc1 = oc < out_pairs_end ? oc + 1 : oc;
          int32_t acc0 = params.folded_bias[oc], acc1 = params.folded_bias[oc1];
          dot2_s8(window, filter + oc * filter_size, filter + oc1 * filter_size, filter_size,
                  &acc0, &acc1);
          *output++ = requantize(acc0, params, oc);
          if (oc1 != oc) *output++ = requantize(acc1, params, oc1);
        }
      }
    }
  }
}

}  // namespace

#if !UTENSOR_KERNELS_DSP || UTENSOR_KERNELS_MVE  // else arm/conv2d_dsp.cpp
// No kernel of its own here: the general entry takes these layers as well.
void conv2d_s8_gemm_fast(const Conv2DS8Params& params, const int8_t* input, const int8_t* filter,
                         const int32_t* bias, int8_t* output, int8_t* scratch) {
  conv2d_s8_gemm(params, input, filter, bias, output, scratch);
}
#endif

#if !UTENSOR_KERNELS_DSP && !UTENSOR_KERNELS_MVE  // else arm/conv2d_dsp.cpp, arm/conv2d_mve.cpp
void conv2d_s8_gemm(const Conv2DS8Params& params, const int8_t* input, const int8_t* filter,
                    const int32_t* bias, int8_t* output, int8_t* scratch) {
  const Conv2DShape& s = params.shape;
  // Short filter rows over enough output channels: the window copy pays (the converter
  // used to choose this path itself; the scratch holds a window).
  if (s.filter_width * s.input_channels < 16 && s.output_channels >= 16) {
    windowed_s8(params, input, filter, output, scratch);
  } else {
    conv2d_s8(params, input, filter, bias, output, nullptr);
  }
}
#endif

void conv2d_s8(const Conv2DS8Params& params, const int8_t* input, const int8_t* filter,
               const int32_t* bias, int8_t* output, int8_t* scratch) {
  if (scratch != nullptr) {
    windowed_s8(params, input, filter, output, scratch);
    return;
  }
  const Conv2DShape& s = params.shape;
  const int32_t filter_depth = s.filter_input_channels;
  const int32_t groups = s.input_channels / filter_depth;
  const int32_t filters_per_group = s.output_channels / groups;
  const int32_t filter_row = s.filter_width * filter_depth;
  const int32_t filter_size = s.filter_height * filter_row;
  const int32_t in_row_stride = s.input_width * s.input_channels;
  // Without groups or horizontal dilation, the taps of one filter row that fall inside the
  // image are one contiguous run of input and of weights: one dot product per row. Windows
  // fully inside the image use folded_bias (the input offset summed over all taps in
  // advance); clipped windows add the offset to each input, as TFLite does.
  const bool rows = groups == 1 && s.dilation_width == 1;
  const int32_t out_pairs_end = s.output_channels & ~1;
  // Shallow pointwise layers are dominated by per-pixel overhead, which the matrix-product
  // loop avoids; with deeper inputs the general loop below measured faster (GCC 12, M4).
  // Output pixel i then reads input pixel i: 1x1, no padding, unit horizontal stride, and
  // consecutive input rows (unit vertical stride, or the single row run_rows_in_place asks
  // for, whose input may continue below it).
  if (rows && params.folded_bias != nullptr && s.input_channels <= 16 &&
      s.filter_height == 1 && s.filter_width == 1 && s.stride_width == 1 && s.pad_top == 0 &&
      s.pad_left == 0 && s.output_width == s.input_width &&
      (s.stride_height == 1 || s.output_height == 1) &&
      (s.batches == 1 || s.output_height == s.input_height)) {
    pointwise_s8(params, input, filter, output);
    return;
  }
  for (int32_t b = 0; b < s.batches; ++b) {
    const int8_t* in_batch = input + b * s.input_height * in_row_stride;
    for (int32_t oy = 0; oy < s.output_height; ++oy) {
      const int32_t y0 = oy * s.stride_height - s.pad_top;
      int32_t ky_begin, ky_end;
      tap_range(y0, s.dilation_height, s.filter_height, s.input_height, &ky_begin, &ky_end);
      for (int32_t ox = 0; ox < s.output_width; ++ox) {
        const int32_t x0 = ox * s.stride_width - s.pad_left;
        int32_t kx_begin, kx_end;
        tap_range(x0, s.dilation_width, s.filter_width, s.input_width, &kx_begin, &kx_end);
        if (rows) {
          const bool inside = params.folded_bias != nullptr && ky_begin == 0 &&
                              ky_end == s.filter_height && kx_begin == 0 &&
                              kx_end == s.filter_width;
          const int8_t* in_px = in_batch + y0 * in_row_stride + (x0 + kx_begin) * s.input_channels;
          const int32_t in_tap_row = s.dilation_height * in_row_stride;
          const int32_t f_off = kx_begin * filter_depth;
          const int32_t len = (kx_end - kx_begin) * filter_depth;
          int32_t oc = 0;
          for (; oc + 4 <= s.output_channels; oc += 4) {
            int32_t acc[4];
            const int8_t* f = filter + oc * filter_size;
            if (inside) {
              for (int k = 0; k < 4; ++k) acc[k] = params.folded_bias[oc + k];
              for (int32_t ky = 0; ky < s.filter_height; ++ky) {
                dot4_s8<false>(in_px + ky * in_tap_row, f + ky * filter_row, filter_size, len,
                               0, acc);
              }
            } else {
              for (int k = 0; k < 4; ++k) acc[k] = bias != nullptr ? bias[oc + k] : 0;
              for (int32_t ky = ky_begin; ky < ky_end; ++ky) {
                dot4_s8<true>(in_px + ky * in_tap_row, f + f_off + ky * filter_row,
                              filter_size, len, params.input_offset, acc);
              }
            }
            for (int k = 0; k < 4; ++k) *output++ = requantize(acc[k], params, oc + k);
          }
          if (oc == s.output_channels) continue;
          if (inside) {
            for (; oc < s.output_channels; oc += 2) {
              // An odd last channel is paired with itself; only one result is kept.
              const int32_t oc1 = oc < out_pairs_end ? oc + 1 : oc;
              const int8_t* f0 = filter + oc * filter_size;
              const int8_t* f1 = filter + oc1 * filter_size;
              int32_t acc0 = params.folded_bias[oc], acc1 = params.folded_bias[oc1];
              for (int32_t ky = 0; ky < s.filter_height; ++ky) {
                dot2_s8(in_px + ky * in_tap_row, f0 + ky * filter_row, f1 + ky * filter_row,
                        len, &acc0, &acc1);
              }
              *output++ = requantize(acc0, params, oc);
              if (oc1 != oc) *output++ = requantize(acc1, params, oc1);
            }
          } else {
            for (; oc < s.output_channels; oc += 2) {
              const int32_t oc1 = oc < out_pairs_end ? oc + 1 : oc;
              const int8_t* f0 = filter + oc * filter_size + f_off;
              const int8_t* f1 = filter + oc1 * filter_size + f_off;
              int32_t acc0 = bias != nullptr ? bias[oc] : 0;
              int32_t acc1 = bias != nullptr ? bias[oc1] : 0;
              for (int32_t ky = ky_begin; ky < ky_end; ++ky) {
                dot2_offset_s8(in_px + ky * in_tap_row, f0 + ky * filter_row,
                               f1 + ky * filter_row, len, params.input_offset, &acc0, &acc1);
              }
              *output++ = requantize(acc0, params, oc);
              if (oc1 != oc) *output++ = requantize(acc1, params, oc1);
            }
          }
          continue;
        }
        for (int32_t oc = 0; oc < s.output_channels; ++oc) {
          const int32_t group = oc / filters_per_group;
          const int8_t* f_oc = filter + oc * filter_size;
          int32_t acc = 0;
          for (int32_t ky = ky_begin; ky < ky_end; ++ky) {
            const int32_t y = y0 + ky * s.dilation_height;
            for (int32_t kx = kx_begin; kx < kx_end; ++kx) {
              const int32_t x = x0 + kx * s.dilation_width;
              const int8_t* in_px =
                  in_batch + (y * s.input_width + x) * s.input_channels + group * filter_depth;
              const int8_t* f_px = f_oc + ky * filter_row + kx * filter_depth;
              for (int32_t ic = 0; ic < filter_depth; ++ic) {
                acc += static_cast<int32_t>(f_px[ic]) *
                       (static_cast<int32_t>(in_px[ic]) + params.input_offset);
              }
            }
          }
          if (bias != nullptr) acc += bias[oc];
          *output++ = requantize(acc, params, oc);
        }
      }
    }
  }
}

void conv2d_f32(const Conv2DF32Params& params, const float* input, const float* filter,
                const float* bias, float* output) {
  const Conv2DShape& s = params.shape;
  const int32_t filter_depth = s.filter_input_channels;
  const int32_t groups = s.input_channels / filter_depth;
  const int32_t filters_per_group = s.output_channels / groups;
  const int32_t filter_row = s.filter_width * filter_depth;
  const int32_t filter_size = s.filter_height * filter_row;
  const int32_t in_row_stride = s.input_width * s.input_channels;
  const float lo = params.activation_min, hi = params.activation_max;
  // Every output channel sums its products in TFLite's order (ky, kx, ic, then the bias),
  // so float results match the reference bit for bit whatever the blocking; without groups
  // or horizontal dilation the valid taps of a filter row are one contiguous run, and four
  // output channels share each input load.
  const bool rows = groups == 1 && s.dilation_width == 1;
  for (int32_t b = 0; b < s.batches; ++b) {
    const float* in_batch = input + b * s.input_height * in_row_stride;
    for (int32_t oy = 0; oy < s.output_height; ++oy) {
      const int32_t y0 = oy * s.stride_height - s.pad_top;
      int32_t ky_begin, ky_end;
      tap_range(y0, s.dilation_height, s.filter_height, s.input_height, &ky_begin, &ky_end);
      for (int32_t ox = 0; ox < s.output_width; ++ox) {
        const int32_t x0 = ox * s.stride_width - s.pad_left;
        int32_t kx_begin, kx_end;
        tap_range(x0, s.dilation_width, s.filter_width, s.input_width, &kx_begin, &kx_end);
        int32_t oc = 0;
        if (rows) {
          const float* in_px = in_batch + y0 * in_row_stride + (x0 + kx_begin) * s.input_channels;
          const int32_t in_tap_row = s.dilation_height * in_row_stride;
          const int32_t f_off = kx_begin * filter_depth;
          const int32_t len = (kx_end - kx_begin) * filter_depth;
          for (; oc + 4 <= s.output_channels; oc += 4) {
            const float* w0 = filter + oc * filter_size + f_off;
            const float* w1 = w0 + filter_size;
            const float* w2 = w1 + filter_size;
            const float* w3 = w2 + filter_size;
            float t0 = 0.0f, t1 = 0.0f, t2 = 0.0f, t3 = 0.0f;
            for (int32_t ky = ky_begin; ky < ky_end; ++ky) {
              const float* x = in_px + ky * in_tap_row;
              const int32_t r = ky * filter_row;
              for (int32_t i = 0; i < len; ++i) {
                const float xi = x[i];
                t0 += xi * w0[r + i];
                t1 += xi * w1[r + i];
                t2 += xi * w2[r + i];
                t3 += xi * w3[r + i];
              }
            }
            const float t[4] = {t0, t1, t2, t3};
            for (int k = 0; k < 4; ++k) {
              const float v = t[k] + (bias != nullptr ? bias[oc + k] : 0.0f);
              const float c = v < lo ? lo : v;
              *output++ = c > hi ? hi : c;
            }
          }
        }
        for (; oc < s.output_channels; ++oc) {
          const int32_t group = oc / filters_per_group;
          const float* f_oc = filter + oc * filter_size;
          float total = 0.0f;
          for (int32_t ky = ky_begin; ky < ky_end; ++ky) {
            const int32_t y = y0 + ky * s.dilation_height;
            for (int32_t kx = kx_begin; kx < kx_end; ++kx) {
              const int32_t x = x0 + kx * s.dilation_width;
              const float* in_px =
                  in_batch + (y * s.input_width + x) * s.input_channels + group * filter_depth;
              const float* f_px = f_oc + ky * filter_row + kx * filter_depth;
              for (int32_t ic = 0; ic < filter_depth; ++ic) total += in_px[ic] * f_px[ic];
            }
          }
          const float v = total + (bias != nullptr ? bias[oc] : 0.0f);
          const float c = v < lo ? lo : v;
          *output++ = c > hi ? hi : c;
        }
      }
    }
  }
}

}  // namespace kernels
}  // namespace utensor
