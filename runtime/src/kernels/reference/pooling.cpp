#include "utensor/kernels/pooling.hpp"

#include "utensor/kernels/arch.hpp"
#include "utensor/kernels/fixedpoint.hpp"

namespace utensor {
namespace kernels {
namespace {

// The window of one output pixel clipped to the image, as TFLite's reference computes it.
struct Window {
  int32_t y0, x0;  // input coordinates of tap (0, 0)
  int32_t ky_begin, ky_end, kx_begin, kx_end;
};

inline int32_t max_i32(int32_t a, int32_t b) { return a > b ? a : b; }
inline int32_t min_i32(int32_t a, int32_t b) { return a < b ? a : b; }

inline Window window(const PoolShape& s, int32_t oy, int32_t ox) {
  Window w;
  w.y0 = oy * s.stride_height - s.pad_top;
  w.x0 = ox * s.stride_width - s.pad_left;
  w.ky_begin = max_i32(0, -w.y0);
  w.ky_end = min_i32(s.filter_height, s.input_height - w.y0);
  w.kx_begin = max_i32(0, -w.x0);
  w.kx_end = min_i32(s.filter_width, s.input_width - w.x0);
  return w;
}

inline float clamp_f32(float v, float lo, float hi) {
  const float a = v < lo ? lo : v;
  return a > hi ? hi : a;
}

}  // namespace

namespace detail {

void average_pool2d_s8_portable(const PoolS8Params& params, const int8_t* input, int8_t* output) {
  const PoolShape& s = params.shape;
  for (int32_t b = 0; b < s.batches; ++b) {
    const int8_t* in_batch = input + b * s.input_height * s.input_width * s.channels;
    for (int32_t oy = 0; oy < s.output_height; ++oy) {
      for (int32_t ox = 0; ox < s.output_width; ++ox) {
        const Window w = window(s, oy, ox);
        const int32_t count = (w.ky_end - w.ky_begin) * (w.kx_end - w.kx_begin);
        for (int32_t c = 0; c < s.channels; ++c) {
          int32_t acc = 0;
          for (int32_t ky = w.ky_begin; ky < w.ky_end; ++ky) {
            const int8_t* row = in_batch + ((w.y0 + ky) * s.input_width + w.x0) * s.channels + c;
            for (int32_t kx = w.kx_begin; kx < w.kx_end; ++kx) acc += row[kx * s.channels];
          }
          // Round half away from zero, as TFLite does (C++ division truncates).
          acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
          *output++ = static_cast<int8_t>(ClampI32(acc, params.activation_min,
                                                   params.activation_max));
        }
      }
    }
  }
}

}  // namespace detail

#if !UTENSOR_KERNELS_DSP || UTENSOR_KERNELS_MVE  // else pooling_dsp.cpp
// No kernels of their own here: the general entries take these layers as well.
void average_pool2d_s8_c4(const PoolS8Params& params, const int8_t* input, int8_t* output) {
  average_pool2d_s8(params, input, output);
}

void max_pool2d_s8_c4(const PoolS8Params& params, const int8_t* input, int8_t* output) {
  max_pool2d_s8(params, input, output);
}
#endif

#if !UTENSOR_KERNELS_DSP && !UTENSOR_KERNELS_MVE  // else runtime/src/kernels/arm/pooling_*.cpp
void average_pool2d_s8(const PoolS8Params& params, const int8_t* input, int8_t* output) {
  detail::average_pool2d_s8_portable(params, input, output);
}
#endif

void average_pool2d_f32(const PoolF32Params& params, const float* input, float* output) {
  const PoolShape& s = params.shape;
  for (int32_t b = 0; b < s.batches; ++b) {
    const float* in_batch = input + b * s.input_height * s.input_width * s.channels;
    for (int32_t oy = 0; oy < s.output_height; ++oy) {
      for (int32_t ox = 0; ox < s.output_width; ++ox) {
        const Window w = window(s, oy, ox);
        const float count = static_cast<float>((w.ky_end - w.ky_begin) * (w.kx_end - w.kx_begin));
        for (int32_t c = 0; c < s.channels; ++c) {
          float total = 0.0f;
          for (int32_t ky = w.ky_begin; ky < w.ky_end; ++ky) {
            const float* row = in_batch + ((w.y0 + ky) * s.input_width + w.x0) * s.channels + c;
            for (int32_t kx = w.kx_begin; kx < w.kx_end; ++kx) total += row[kx * s.channels];
          }
          *output++ = clamp_f32(total / count, params.activation_min, params.activation_max);
        }
      }
    }
  }
}

namespace detail {

void max_pool2d_s8_portable(const PoolS8Params& params, const int8_t* input, int8_t* output) {
  const PoolShape& s = params.shape;
  const int32_t channels = s.channels;
  for (int32_t b = 0; b < s.batches; ++b) {
    const int8_t* in_batch = input + b * s.input_height * s.input_width * channels;
    for (int32_t oy = 0; oy < s.output_height; ++oy) {
      for (int32_t ox = 0; ox < s.output_width; ++ox, output += channels) {
        // Taps outer, channels inner: every window overlaps the image (the converter
        // guarantees it), so the first tap seeds the maximum, and each further tap is one
        // contiguous pass over the pixel's channels.
        const Window w = window(s, oy, ox);
        bool first = true;
        for (int32_t ky = w.ky_begin; ky < w.ky_end; ++ky) {
          const int8_t* row = in_batch + ((w.y0 + ky) * s.input_width + w.x0) * channels;
          for (int32_t kx = w.kx_begin; kx < w.kx_end; ++kx) {
            const int8_t* px = row + kx * channels;
            if (first) {
              for (int32_t c = 0; c < channels; ++c) output[c] = px[c];
              first = false;
              continue;
            }
            for (int32_t c = 0; c < channels; ++c) {
              if (px[c] > output[c]) output[c] = px[c];
            }
          }
        }
        for (int32_t c = 0; c < channels; ++c) {
          output[c] = static_cast<int8_t>(ClampI32(output[c], params.activation_min,
                                                   params.activation_max));
        }
      }
    }
  }
}

}  // namespace detail

#if !UTENSOR_KERNELS_DSP && !UTENSOR_KERNELS_MVE  // else runtime/src/kernels/arm/pooling_*.cpp
void max_pool2d_s8(const PoolS8Params& params, const int8_t* input, int8_t* output) {
  detail::max_pool2d_s8_portable(params, input, output);
}
#endif

void max_pool2d_f32(const PoolF32Params& params, const float* input, float* output) {
  const PoolShape& s = params.shape;
  for (int32_t b = 0; b < s.batches; ++b) {
    const float* in_batch = input + b * s.input_height * s.input_width * s.channels;
    for (int32_t oy = 0; oy < s.output_height; ++oy) {
      for (int32_t ox = 0; ox < s.output_width; ++ox) {
        const Window w = window(s, oy, ox);
        for (int32_t c = 0; c < s.channels; ++c) {
          float m = -3.402823466e+38f;  // lowest float, TFLite's starting value
          for (int32_t ky = w.ky_begin; ky < w.ky_end; ++ky) {
            const float* row = in_batch + ((w.y0 + ky) * s.input_width + w.x0) * s.channels + c;
            for (int32_t kx = w.kx_begin; kx < w.kx_end; ++kx) {
              const float v = row[kx * s.channels];
              m = v > m ? v : m;
            }
          }
          *output++ = clamp_f32(m, params.activation_min, params.activation_max);
        }
      }
    }
  }
}

}  // namespace kernels
}  // namespace utensor
