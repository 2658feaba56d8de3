#include "utensor/kernels/resize_bilinear.hpp"

namespace utensor {
namespace kernels {

void resize_bilinear_s8(const ResizeBilinearS8Params& p, const int8_t* input, int8_t* output) {
  const int32_t row_stride = p.input_width * p.channels;
  const int32_t c_n = p.channels;
  for (int32_t b = 0; b < p.batches; ++b) {
    const int8_t* image = input + b * p.input_height * row_stride;
    for (int32_t y = 0; y < p.output_height; ++y) {
      const int32_t* r = p.rows + 3 * y;
      // The weight of row y1 can be negative (half-pixel centers left of the first row):
      // TFLite keeps it, so do we.
      const int64_t wy1 = r[2] - 1024 * r[0];
      const int64_t wy0 = 1024 - wy1;
      for (int32_t x = 0; x < p.output_width; ++x) {
        const int32_t* q = p.cols + 3 * x;
        const int64_t wx1 = q[2] - 1024 * q[0];
        const int64_t wx0 = 1024 - wx1;
        const int8_t* p00 = image + r[0] * row_stride + q[0] * c_n;
        const int8_t* p10 = image + r[1] * row_stride + q[0] * c_n;
        const int8_t* p01 = image + r[0] * row_stride + q[1] * c_n;
        const int8_t* p11 = image + r[1] * row_stride + q[1] * c_n;
        for (int32_t c = 0; c < c_n; ++c) {
          const int64_t sum = p00[c] * wy0 * wx0 + p10[c] * wy1 * wx0 + p01[c] * wy0 * wx1 +
                              p11[c] * wy1 * wx1;
          const int64_t round = sum > 0 ? (1 << 19) : -(1 << 19);
          *output++ = static_cast<int8_t>((sum + round) / (1 << 20));
        }
      }
    }
  }
}

void resize_bilinear_f32(const ResizeBilinearF32Params& p, const float* input, float* output) {
  const int32_t row_stride = p.input_width * p.channels;
  const int32_t c_n = p.channels;
  for (int32_t b = 0; b < p.batches; ++b) {
    const float* image = input + b * p.input_height * row_stride;
    for (int32_t y = 0; y < p.output_height; ++y) {
      const int32_t* r = p.rows + 2 * y;
      const float dy = p.row_frac[y];
      for (int32_t x = 0; x < p.output_width; ++x) {
        const int32_t* q = p.cols + 2 * x;
        const float dx = p.col_frac[x];
        const float* p00 = image + r[0] * row_stride + q[0] * c_n;
        const float* p10 = image + r[1] * row_stride + q[0] * c_n;
        const float* p01 = image + r[0] * row_stride + q[1] * c_n;
        const float* p11 = image + r[1] * row_stride + q[1] * c_n;
        for (int32_t c = 0; c < c_n; ++c) {
          // TFLite's association order, with its + 0 rounding offset for float.
          *output++ = p00[c] * (1 - dy) * (1 - dx) + p10[c] * dy * (1 - dx) +
                      p01[c] * (1 - dy) * dx + p11[c] * dy * dx + 0.0f;
        }
      }
    }
  }
}

}  // namespace kernels
}  // namespace utensor
