#include "utensor/kernels/depthwise_conv2d.hpp"

#include "utensor/kernels/fixedpoint.hpp"

namespace utensor {
namespace kernels {
namespace {

// Filter taps whose input coordinate lies inside [0, size) (see conv2d.cpp).
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

void depthwise_conv2d_s8(const DepthwiseConv2DS8Params& params, const int8_t* input,
                         const int8_t* filter, const int32_t* bias, int8_t* output) {
  const DepthwiseConv2DShape& s = params.shape;
  const int32_t out_channels = s.input_channels * s.depth_multiplier;
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
