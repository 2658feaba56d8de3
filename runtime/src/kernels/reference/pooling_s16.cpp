// int16 pooling (TFLite's 16x8 quantization): TFLite Micro's reference_integer_ops
// AveragePool / MaxPool on int16. Compiled on every target; no Arm variant.

#include "utensor/kernels/fixedpoint.hpp"
#include "utensor/kernels/pooling.hpp"

namespace utensor {
namespace kernels {
namespace {

template <bool kAverage>
void pool2d_s16(const PoolS8Params& params, const int16_t* input, int16_t* output) {
  const PoolShape& s = params.shape;
  for (int32_t b = 0; b < s.batches; ++b) {
    const int16_t* in_batch = input + b * s.input_height * s.input_width * s.channels;
    for (int32_t oy = 0; oy < s.output_height; ++oy) {
      const int32_t y0 = oy * s.stride_height - s.pad_top;
      const int32_t ky0 = y0 < 0 ? -y0 : 0;
      const int32_t ky1 = s.input_height - y0 < s.filter_height ? s.input_height - y0 : s.filter_height;
      for (int32_t ox = 0; ox < s.output_width; ++ox) {
        const int32_t x0 = ox * s.stride_width - s.pad_left;
        const int32_t kx0 = x0 < 0 ? -x0 : 0;
        const int32_t kx1 = s.input_width - x0 < s.filter_width ? s.input_width - x0 : s.filter_width;
        const int32_t count = (ky1 - ky0) * (kx1 - kx0);
        for (int32_t c = 0; c < s.channels; ++c) {
          int32_t acc = kAverage ? 0 : -32768;
          for (int32_t ky = ky0; ky < ky1; ++ky) {
            const int16_t* row = in_batch + ((y0 + ky) * s.input_width + x0) * s.channels + c;
            for (int32_t kx = kx0; kx < kx1; ++kx) {
              const int32_t v = row[kx * s.channels];
              if (kAverage) {
                acc += v;
              } else if (v > acc) {
                acc = v;
              }
            }
          }
          if (kAverage) {
            // Round half away from zero, as TFLite does (C++ division truncates).
            acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
          }
          *output++ = static_cast<int16_t>(ClampI32(acc, params.activation_min, params.activation_max));
        }
      }
    }
  }
}

}  // namespace

void average_pool2d_s16(const PoolS8Params& params, const int16_t* input, int16_t* output) {
  pool2d_s16<true>(params, input, output);
}

void max_pool2d_s16(const PoolS8Params& params, const int16_t* input, int16_t* output) {
  pool2d_s16<false>(params, input, output);
}

}  // namespace kernels
}  // namespace utensor
