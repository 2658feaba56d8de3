// The 16x8 weighted kernels (int16 activations with zero point 0, int8 weights): FC,
// CONV_2D, DEPTHWISE_CONV_2D as TFLite Micro's reference_integer_ops. Cores with the DSP
// extension or Helium use runtime/src/kernels/arm/s16_weighted_{dsp,mve}.cpp instead.

#include "utensor/kernels/arch.hpp"

#if !UTENSOR_KERNELS_DSP && !UTENSOR_KERNELS_MVE  // else runtime/src/kernels/arm/

#include "utensor/kernels/conv2d.hpp"
#include "utensor/kernels/depthwise_conv2d.hpp"
#include "utensor/kernels/detail/s16_requant.hpp"
#include "utensor/kernels/fixedpoint.hpp"
#include "utensor/kernels/fully_connected.hpp"

namespace utensor {
namespace kernels {

void fully_connected_s16(const FullyConnectedS16Params& params, const int16_t* input,
                         const int8_t* filter, const int64_t* bias, int16_t* output) {
  const FullyConnectedShape& s = params.shape;
  for (int32_t b = 0; b < s.batches; ++b) {
    const int16_t* x = input + b * s.accum_depth;
    for (int32_t o = 0; o < s.output_depth; ++o) {
      const int8_t* w = filter + o * s.accum_depth;
      int64_t acc = 0;
      for (int32_t d = 0; d < s.accum_depth; ++d) {
        // One product fits int32 (2^7 * 2^15); TFLite widens it only when adding.
        acc += static_cast<int32_t>(w[d]) * static_cast<int32_t>(x[d]);
      }
      if (bias != nullptr) acc += bias[o];
      const int32_t c = params.per_channel ? o : 0;
      const int32_t v = detail::multiply_by_quantized_multiplier_s64(
          acc, params.output_multiplier[c], params.output_shift[c]);
      output[b * s.output_depth + o] = detail::clamp_s16(v, params.activation_min, params.activation_max);
    }
  }
}

namespace {

// The whole CONV_2D loop nest of TFLite's reference ConvPerChannel over int16 input; Acc is
// the accumulator TFLite Micro picks from the bias type (int64_t, or int32_t which wraps:
// summed as uint32_t here so the wrap is defined behaviour with the same bits).
template <typename Acc>
struct Conv16Acc;

template <>
struct Conv16Acc<int64_t> {
  typedef int64_t Sum;
  static int32_t requant(Sum acc, int32_t m, int32_t shift) {
    return detail::multiply_by_quantized_multiplier_s64(acc, m, shift);
  }
  static Sum add(Sum acc, int32_t v) { return acc + v; }
};

template <>
struct Conv16Acc<int32_t> {
  typedef uint32_t Sum;
  static int32_t requant(Sum acc, int32_t m, int32_t shift) {
    return MultiplyByQuantizedMultiplier(static_cast<int32_t>(acc), m, shift);
  }
  static Sum add(Sum acc, int32_t v) { return acc + static_cast<uint32_t>(v); }
};

template <typename Acc, typename Bias>
void conv2d_s16_impl(const Conv2DS16Params& params, const int16_t* input, const int8_t* filter,
                     const Bias* bias, int16_t* output) {
  typedef Conv16Acc<Acc> A;
  const Conv2DShape& s = params.shape;
  const int32_t group_size = s.output_channels / (s.input_channels / s.filter_input_channels);
  for (int32_t n = 0; n < s.batches; ++n) {
    for (int32_t oy = 0; oy < s.output_height; ++oy) {
      const int32_t y0 = oy * s.stride_height - s.pad_top;
      for (int32_t ox = 0; ox < s.output_width; ++ox) {
        const int32_t x0 = ox * s.stride_width - s.pad_left;
        int16_t* out = output + ((n * s.output_height + oy) * s.output_width + ox) * s.output_channels;
        for (int32_t oc = 0; oc < s.output_channels; ++oc) {
          const int32_t in_c0 = (oc / group_size) * s.filter_input_channels;
          typename A::Sum acc = 0;
          for (int32_t ky = 0; ky < s.filter_height; ++ky) {
            const int32_t y = y0 + ky * s.dilation_height;
            if (y < 0 || y >= s.input_height) continue;
            for (int32_t kx = 0; kx < s.filter_width; ++kx) {
              const int32_t x = x0 + kx * s.dilation_width;
              if (x < 0 || x >= s.input_width) continue;
              const int16_t* in = input + ((n * s.input_height + y) * s.input_width + x) * s.input_channels + in_c0;
              const int8_t* w = filter + ((oc * s.filter_height + ky) * s.filter_width + kx) * s.filter_input_channels;
              for (int32_t c = 0; c < s.filter_input_channels; ++c) {
                acc = A::add(acc, static_cast<int32_t>(w[c]) * static_cast<int32_t>(in[c]));
              }
            }
          }
          if (bias != nullptr) acc += static_cast<typename A::Sum>(bias[oc]);
          const int32_t v = A::requant(acc, params.output_multiplier[oc], params.output_shift[oc]);
          out[oc] = detail::clamp_s16(v, params.activation_min, params.activation_max);
        }
      }
    }
  }
}

}  // namespace

void conv2d_s16(const Conv2DS16Params& params, const int16_t* input, const int8_t* filter,
                const int64_t* bias, int16_t* output) {
  conv2d_s16_impl<int64_t>(params, input, filter, bias, output);
}

void conv2d_s16_acc32(const Conv2DS16Params& params, const int16_t* input, const int8_t* filter,
                      const int32_t* bias, int16_t* output) {
  conv2d_s16_impl<int32_t>(params, input, filter, bias, output);
}

void depthwise_conv2d_s16(const DepthwiseConv2DS16Params& params, const int16_t* input,
                          const int8_t* filter, const int64_t* bias, int16_t* output) {
  const DepthwiseConv2DShape& s = params.shape;
  const int32_t out_c = s.input_channels * s.depth_multiplier;
  for (int32_t n = 0; n < s.batches; ++n) {
    for (int32_t oy = 0; oy < s.output_height; ++oy) {
      const int32_t y0 = oy * s.stride_height - s.pad_top;
      for (int32_t ox = 0; ox < s.output_width; ++ox) {
        const int32_t x0 = ox * s.stride_width - s.pad_left;
        int16_t* out = output + ((n * s.output_height + oy) * s.output_width + ox) * out_c;
        for (int32_t ic = 0; ic < s.input_channels; ++ic) {
          for (int32_t m = 0; m < s.depth_multiplier; ++m) {
            const int32_t oc = ic * s.depth_multiplier + m;
            int64_t acc = 0;
            for (int32_t ky = 0; ky < s.filter_height; ++ky) {
              const int32_t y = y0 + ky * s.dilation_height;
              if (y < 0 || y >= s.input_height) continue;
              for (int32_t kx = 0; kx < s.filter_width; ++kx) {
                const int32_t x = x0 + kx * s.dilation_width;
                if (x < 0 || x >= s.input_width) continue;
                const int32_t xv = input[((n * s.input_height + y) * s.input_width + x) * s.input_channels + ic];
                const int32_t wv = filter[(ky * s.filter_width + kx) * out_c + oc];
                acc += wv * xv;
              }
            }
            if (bias != nullptr) acc += bias[oc];
            const int32_t v = detail::multiply_by_quantized_multiplier_s64(
                acc, params.output_multiplier[oc], params.output_shift[oc]);
            out[oc] = detail::clamp_s16(v, params.activation_min, params.activation_max);
          }
        }
      }
    }
  }
}

}  // namespace kernels
}  // namespace utensor

#endif  // !UTENSOR_KERNELS_DSP && !UTENSOR_KERNELS_MVE
