#include "utensor/kernels/conv2d.hpp"

#include "utensor/kernels/fixedpoint.hpp"

namespace utensor {
namespace kernels {
namespace {

// First and one-past-last filter taps whose input coordinate lies inside [0, size):
// clipping the tap range once per output pixel keeps the bounds test out of the inner
// loops while visiting exactly the taps TFLite's reference visits, in the same order.
inline void tap_range(int32_t origin, int32_t dilation, int32_t taps, int32_t size,
                      int32_t* begin, int32_t* end) {
  int32_t b = 0;
  while (b < taps && origin + b * dilation < 0) ++b;
  int32_t e = taps;
  while (e > b && origin + (e - 1) * dilation >= size) --e;
  *begin = b;
  *end = e;
}

}  // namespace

void conv2d_s8(const Conv2DS8Params& params, const int8_t* input, const int8_t* filter,
               const int32_t* bias, int8_t* output) {
  const Conv2DShape& s = params.shape;
  const int32_t filter_depth = s.filter_input_channels;
  const int32_t groups = s.input_channels / filter_depth;
  const int32_t filters_per_group = s.output_channels / groups;
  const int32_t filter_row = s.filter_width * filter_depth;
  const int32_t filter_size = s.filter_height * filter_row;
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
          acc = MultiplyByQuantizedMultiplier(acc, params.output_multiplier[oc],
                                              params.output_shift[oc]);
          acc += params.output_offset;
          *output++ = static_cast<int8_t>(ClampI32(acc, params.activation_min,
                                                   params.activation_max));
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
        for (int32_t oc = 0; oc < s.output_channels; ++oc) {
          const int32_t group = oc / filters_per_group;
          const float* f_oc = filter + oc * filter_size;
          // Same summation order as TFLite's reference (ky, kx, ic, then bias) so float
          // results agree to the last bit where the compiler does not contract to FMA.
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
