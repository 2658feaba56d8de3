#include "utensor/kernels/conv2d_hybrid.hpp"

#include <math.h>

// Every float expression below must round exactly where TFLite's does: a fused
// multiply-add (GCC contracts by default on FPUs that have one, e.g. Cortex-M4F) would
// change the input quantization and the rescaling.
#if defined(__clang__)
#define UTENSOR_HYBRID_NO_FP_CONTRACT
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#define UTENSOR_HYBRID_NO_FP_CONTRACT __attribute__((optimize("fp-contract=off")))
#else
#define UTENSOR_HYBRID_NO_FP_CONTRACT
#endif

namespace utensor {
namespace kernels {
namespace {

inline int32_t clamp_i32(int32_t v, int32_t lo, int32_t hi) {
  return v < lo ? lo : (v > hi ? hi : v);
}

// min and max of n > 0 floats (TFLite uses std::minmax_element; only the values matter).
void min_max(const float* x, int32_t n, float* lo, float* hi) {
  float mn = x[0];
  float mx = x[0];
  for (int32_t i = 1; i < n; ++i) {
    if (x[i] < mn) mn = x[i];
    if (!(x[i] < mx)) mx = x[i];
  }
  *lo = mn;
  *hi = mx;
}

// TFLite's PortableSymmetricQuantizeFloats.
UTENSOR_HYBRID_NO_FP_CONTRACT
void symmetric_quantize(const float* x, int32_t n, int8_t* q, float* factor) {
  const int32_t kScale = 127;
  float lo, hi;
  min_max(x, n, &lo, &hi);
  const float a = fabsf(lo);
  const float b = fabsf(hi);
  const float range = a > b ? a : b;
  if (range == 0) {
    for (int32_t i = 0; i < n; ++i) q[i] = 0;
    *factor = 1;
    return;
  }
  *factor = range / kScale;
  const float inv = kScale / range;
  for (int32_t i = 0; i < n; ++i) {
    const float scaled = x[i] * inv;
    q[i] = static_cast<int8_t>(clamp_i32(static_cast<int32_t>(roundf(scaled)), -kScale, kScale));
  }
}

// TFLite's PortableAsymmetricQuantizeFloats (scale and zero point in double).
UTENSOR_HYBRID_NO_FP_CONTRACT
void asymmetric_quantize(const float* x, int32_t n, int8_t* q, float* factor, int32_t* offset) {
  const int32_t kMin = -128;
  const int32_t kMax = 127;
  const double qmin = kMin;
  const double qmax = kMax;
  float lo, hi;
  min_max(x, n, &lo, &hi);
  // The range is widened to include 0 and its width taken in float, then divided in
  // double: measured against tf.lite 2.21 (a double width gives a factor 1 ulp off).
  const float rmin_f = lo < 0.0f ? lo : 0.0f;
  const float rmax_f = hi > 0.0f ? hi : 0.0f;
  const double rmin = static_cast<double>(rmin_f);
  const double rmax = static_cast<double>(rmax_f);
  if (rmin == rmax) {
    for (int32_t i = 0; i < n; ++i) q[i] = 0;
    *factor = 1;
    *offset = 0;
    return;
  }
  const float width = rmax_f - rmin_f;
  const double scale = static_cast<double>(width) / (qmax - qmin);
  const double zp_from_min = qmin - rmin / scale;
  const double zp_from_max = qmax - rmax / scale;
  const double zp_from_min_error = fabs(qmin) + fabs(rmin / scale);
  const double zp_from_max_error = fabs(qmax) + fabs(rmax / scale);
  const double zp = zp_from_min_error < zp_from_max_error ? zp_from_min : zp_from_max;
  int32_t nudged;
  if (zp <= qmin) {
    nudged = kMin;
  } else if (zp >= qmax) {
    nudged = kMax;
  } else {
    nudged = static_cast<int8_t>(round(zp));
  }
  *factor = static_cast<float>(scale);
  *offset = nudged;
  const float inv = 1.0f / *factor;
  for (int32_t i = 0; i < n; ++i) {
    const float scaled = x[i] * inv;
    const float shifted = static_cast<float>(nudged) + scaled;
    q[i] = static_cast<int8_t>(clamp_i32(static_cast<int32_t>(roundf(shifted)), kMin, kMax));
  }
}

// Quantizes each of `batches` images of `image` floats into scratch (symmetric: factor
// times `symmetric_filter_scale`, offset 0; else asymmetric); returns the int8 copy.
UTENSOR_HYBRID_NO_FP_CONTRACT
const int8_t* quantize_batches(const float* input, int32_t batches, int32_t image, bool symmetric,
                               float symmetric_filter_scale, uint8_t* scratch, float** factors_out,
                               int32_t** offsets_out) {
  float* factors = reinterpret_cast<float*>(scratch);
  int32_t* offsets = reinterpret_cast<int32_t*>(scratch + batches * sizeof(float));
  int8_t* quantized =
      reinterpret_cast<int8_t*>(scratch + batches * (sizeof(float) + sizeof(int32_t)));
  for (int32_t b = 0; b < batches; ++b) {
    const float* x = input + b * image;
    int8_t* q = quantized + b * image;
    if (symmetric) {
      symmetric_quantize(x, image, q, &factors[b]);
      offsets[b] = 0;
      factors[b] *= symmetric_filter_scale;  // EvalHybrid folds the filter scale in here
    } else {
      asymmetric_quantize(x, image, q, &factors[b], &offsets[b]);
    }
  }
  *factors_out = factors;
  *offsets_out = offsets;
  return quantized;
}

// bias, then TFLite's ActivationFunctionWithMinMax: min(max(v, lo), hi).
UTENSOR_HYBRID_NO_FP_CONTRACT
inline float finish(float v, const float* bias, int32_t c, float lo, float hi) {
  if (bias != nullptr) v = v + bias[c];
  v = v < lo ? lo : v;
  return v > hi ? hi : v;
}

}  // namespace

UTENSOR_HYBRID_NO_FP_CONTRACT
void depthwise_conv2d_hybrid(const DepthwiseConv2DHybridParams& params, const float* input,
                             const int8_t* filter, const float* bias, float* output,
                             uint8_t* scratch) {
  const DepthwiseConv2DShape& s = params.shape;
  const int32_t image = s.input_height * s.input_width * s.input_channels;
  float* factors;
  int32_t* offsets;
  const int8_t* quantized =
      quantize_batches(input, s.batches, image, false, 0.0f, scratch, &factors, &offsets);
  const int32_t in_c = s.input_channels;
  const int32_t out_c = in_c * s.depth_multiplier;
  for (int32_t b = 0; b < s.batches; ++b) {
    const int8_t* q = quantized + b * image;
    const int32_t zp = offsets[b];
    const float factor = factors[b];
    for (int32_t oy = 0; oy < s.output_height; ++oy) {
      const int32_t y0 = oy * s.stride_height - s.pad_top;
      for (int32_t ox = 0; ox < s.output_width; ++ox) {
        const int32_t x0 = ox * s.stride_width - s.pad_left;
        float* out = output + ((b * s.output_height + oy) * s.output_width + ox) * out_c;
        for (int32_t ic = 0; ic < in_c; ++ic) {
          for (int32_t m = 0; m < s.depth_multiplier; ++m) {
            const int32_t oc = ic * s.depth_multiplier + m;
            int32_t acc = 0;
            for (int32_t ky = 0; ky < s.filter_height; ++ky) {
              const int32_t y = y0 + ky * s.dilation_height;
              if (y < 0 || y >= s.input_height) continue;
              for (int32_t kx = 0; kx < s.filter_width; ++kx) {
                const int32_t xx = x0 + kx * s.dilation_width;
                if (xx < 0 || xx >= s.input_width) continue;
                const int32_t in_v = q[(y * s.input_width + xx) * in_c + ic];
                const int32_t w_v = filter[(ky * s.filter_width + kx) * out_c + oc];
                acc += w_v * (in_v - zp);
              }
            }
            // (sum * channel scale) * factor: the order of TFLite's optimized depthwise
            // kernel (measured bit-exact against tf.lite 2.21).
            float v = static_cast<float>(acc) * params.filter_scale[oc];
            v = v * factor;
            out[oc] = finish(v, bias, oc, params.activation_min, params.activation_max);
          }
        }
      }
    }
  }
}

UTENSOR_HYBRID_NO_FP_CONTRACT
void conv2d_hybrid(const Conv2DHybridParams& params, const float* input, const int8_t* filter,
                   const float* bias, float* output, uint8_t* scratch) {
  const Conv2DShape& s = params.shape;
  const int32_t image = s.input_height * s.input_width * s.input_channels;
  float* factors;
  int32_t* offsets;
  const int8_t* quantized = quantize_batches(input, s.batches, image, params.per_channel == 0,
                                             params.filter_scale[0], scratch, &factors, &offsets);

  const int32_t in_c = s.input_channels;
  const int32_t filter_tap_stride = in_c;
  const int32_t filter_channel_stride = s.filter_height * s.filter_width * in_c;
  for (int32_t b = 0; b < s.batches; ++b) {
    const int8_t* q = quantized + b * image;
    const int32_t zp = offsets[b];
    const float factor = factors[b];
    for (int32_t oy = 0; oy < s.output_height; ++oy) {
      const int32_t y0 = oy * s.stride_height - s.pad_top;
      for (int32_t ox = 0; ox < s.output_width; ++ox) {
        const int32_t x0 = ox * s.stride_width - s.pad_left;
        float* out = output + ((b * s.output_height + oy) * s.output_width + ox) * s.output_channels;
        for (int32_t oc = 0; oc < s.output_channels; ++oc) {
          const int8_t* w = filter + oc * filter_channel_stride;
          int32_t acc = 0;
          for (int32_t ky = 0; ky < s.filter_height; ++ky) {
            const int32_t y = y0 + ky * s.dilation_height;
            if (y < 0 || y >= s.input_height) continue;
            for (int32_t kx = 0; kx < s.filter_width; ++kx) {
              const int32_t xx = x0 + kx * s.dilation_width;
              if (xx < 0 || xx >= s.input_width) continue;
              const int8_t* in_px = q + (y * s.input_width + xx) * in_c;
              const int8_t* w_px = w + (ky * s.filter_width + kx) * filter_tap_stride;
              for (int32_t ic = 0; ic < in_c; ++ic) {
                acc += static_cast<int32_t>(w_px[ic]) * (static_cast<int32_t>(in_px[ic]) - zp);
              }
            }
          }
          float v;
          if (params.per_channel) {
            const float scale = factor * params.filter_scale[oc];
            v = static_cast<float>(acc) * scale;
          } else {
            v = static_cast<float>(acc) * factor;
          }
          out[oc] = finish(v, bias, oc, params.activation_min, params.activation_max);
        }
      }
    }
  }
}

}  // namespace kernels
}  // namespace utensor
