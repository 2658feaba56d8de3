#include "utensor/kernels/depthwise_conv2d.hpp"

#include <string.h>

#include "utensor/kernels/detail/kernel_util.hpp"
#include "utensor/kernels/fixedpoint.hpp"

namespace utensor {
namespace kernels {
namespace {

using namespace detail;  // NOLINT: the kernels' shared helpers

// The output parameters held in locals: every int8 output store may alias the parameter
// struct, so reading them through it reloads them after each store.
struct OutputQuant {
  const int32_t* multiplier;
  const int8_t* shift;
  bool fast;  // the converter proved FastRequant exact for the layer
  int32_t offset, lo, hi;
};

// On the cores with their own kernels this one only serves unusual shapes: out of line
// there, as inlined at each output store it costs about 3 KB of flash.
#if UTENSOR_KERNELS_DSP || UTENSOR_KERNELS_MVE
#define UTENSOR_DW_REQUANT_INLINE __attribute__((noinline))
#else
#define UTENSOR_DW_REQUANT_INLINE UTENSOR_HOT_INLINE
#endif

UTENSOR_DW_REQUANT_INLINE int8_t requantize(int32_t acc, const OutputQuant& q, int32_t oc) {
  acc = q.fast ? fast_requantize(acc, make_fast_requant(q.multiplier[oc], q.shift[oc], q.offset))
               : multiply_by_multiplier(acc, q.multiplier[oc], q.shift[oc]) + q.offset;
  return static_cast<int8_t>(ClampI32(acc, q.lo, q.hi));
}

// One output pixel, depth multiplier 1, taps [ky_begin, ky_end) x [kx_begin, kx_end) of
// the window at input (y0, x0), four channels at a time. Inside == true: the window is
// whole and folded_bias already holds the input offset times the weight sums; otherwise
// the offset is added to each input, as TFLite does. Integer sums are exact in any order,
// so both are bit-exact.
template <bool Inside>
void pixel_m1(const DepthwiseConv2DS8Params& p, const OutputQuant& q, const int8_t* in_batch,
              int32_t y0, int32_t x0, int32_t ky_begin, int32_t ky_end, int32_t kx_begin,
              int32_t kx_end, const int8_t* filter, const int32_t* bias, int8_t* out) {
  const DepthwiseConv2DShape& s = p.shape;
  const int32_t channels = s.input_channels;
  const detail::TapWalk walk = detail::tap_walk(s, in_batch, filter, y0, x0, ky_begin, kx_begin);
  const int32_t n_kx = kx_end - kx_begin;
  const int32_t offset = Inside ? 0 : p.input_offset;
  const int32_t* const init = Inside ? p.folded_bias : bias;
  int32_t c = 0;
  for (; c + 4 <= channels; c += 4) {
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    if (init != nullptr) a0 = init[c], a1 = init[c + 1], a2 = init[c + 2], a3 = init[c + 3];
    for (int32_t ky = ky_begin; ky < ky_end; ++ky) {
      const int8_t* x = walk.in + (ky - ky_begin) * walk.tap_y + c;
      const int8_t* f = walk.filter + (ky - ky_begin) * walk.f_row + c;
      for (int32_t k = 0; k < n_kx; ++k, x += walk.tap_x, f += channels) {
        a0 += (static_cast<int32_t>(x[0]) + offset) * f[0];
        a1 += (static_cast<int32_t>(x[1]) + offset) * f[1];
        a2 += (static_cast<int32_t>(x[2]) + offset) * f[2];
        a3 += (static_cast<int32_t>(x[3]) + offset) * f[3];
      }
    }
    out[c] = requantize(a0, q, c);
    out[c + 1] = requantize(a1, q, c + 1);
    out[c + 2] = requantize(a2, q, c + 2);
    out[c + 3] = requantize(a3, q, c + 3);
  }
  for (; c < channels; ++c) {
    int32_t acc = init != nullptr ? init[c] : 0;
    for (int32_t ky = ky_begin; ky < ky_end; ++ky) {
      const int8_t* x = walk.in + (ky - ky_begin) * walk.tap_y + c;
      const int8_t* f = walk.filter + (ky - ky_begin) * walk.f_row + c;
      for (int32_t k = 0; k < n_kx; ++k, x += walk.tap_x, f += channels) {
        acc += (static_cast<int32_t>(*x) + offset) * *f;
      }
    }
    out[c] = requantize(acc, q, c);
  }
}

}  // namespace

namespace detail {

void depthwise_conv2d_s8_portable(const DepthwiseConv2DS8Params& params, const int8_t* input,
                                  const int8_t* filter, const int32_t* bias, int8_t* output) {
  const DepthwiseConv2DShape& s = params.shape;
  const int32_t out_channels = s.input_channels * s.depth_multiplier;
  const OutputQuant q = {params.output_multiplier, params.output_shift, params.fast_requant != 0,
                         params.output_offset, params.activation_min, params.activation_max};
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
            pixel_m1<true>(params, q, in_batch, y0, x0, 0, s.filter_height, 0, s.filter_width,
                           filter, bias, output);
          } else {
            pixel_m1<false>(params, q, in_batch, y0, x0, ky_begin, ky_end, kx_begin, kx_end,
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
          *output++ = requantize(acc, q, oc);
        }
      }
    }
  }
}

}  // namespace detail

#if !UTENSOR_KERNELS_DSP || UTENSOR_KERNELS_MVE  // else depthwise_conv2d_dsp.cpp
// No kernel of its own here: the general entry takes these layers as well.
void depthwise_conv2d_s8_3x3(const DepthwiseConv2DS8Params& params, const int8_t* input,
                             const int8_t* filter, const int32_t* bias, int8_t* output) {
  depthwise_conv2d_s8(params, input, filter, bias, output);
}
#endif

#if !UTENSOR_KERNELS_DSP && !UTENSOR_KERNELS_MVE  // else runtime/src/kernels/arm/
void depthwise_conv2d_s8(const DepthwiseConv2DS8Params& params, const int8_t* input,
                         const int8_t* filter, const int32_t* bias, int8_t* output) {
  detail::depthwise_conv2d_s8_portable(params, input, filter, bias, output);
}
#endif

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
