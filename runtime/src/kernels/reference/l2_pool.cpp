#include <math.h>

#include "utensor/kernels/pooling.hpp"

namespace utensor {
namespace kernels {

// TFLite's reference L2Pool: float32 sum of squares in window order, divided by the
// number of elements inside the image, square root, clamp.
void l2_pool2d_f32(const PoolF32Params& params, const float* input, float* output) {
  const PoolShape& s = params.shape;
  for (int32_t b = 0; b < s.batches; ++b) {
    const float* image = input + b * s.input_height * s.input_width * s.channels;
    for (int32_t oy = 0; oy < s.output_height; ++oy) {
      const int32_t y0 = oy * s.stride_height - s.pad_top;
      const int32_t fy0 = y0 < 0 ? -y0 : 0;
      const int32_t fy1 = s.filter_height < s.input_height - y0 ? s.filter_height : s.input_height - y0;
      for (int32_t ox = 0; ox < s.output_width; ++ox) {
        const int32_t x0 = ox * s.stride_width - s.pad_left;
        const int32_t fx0 = x0 < 0 ? -x0 : 0;
        const int32_t fx1 = s.filter_width < s.input_width - x0 ? s.filter_width : s.input_width - x0;
        for (int32_t c = 0; c < s.channels; ++c) {
          float sum = 0.0f;
          int32_t count = 0;
          for (int32_t fy = fy0; fy < fy1; ++fy) {
            for (int32_t fx = fx0; fx < fx1; ++fx) {
              const float v = image[((y0 + fy) * s.input_width + (x0 + fx)) * s.channels + c];
              sum += v * v;
              ++count;
            }
          }
          float r = sqrtf(sum / static_cast<float>(count));
          r = r < params.activation_min ? params.activation_min : r;
          *output++ = r > params.activation_max ? params.activation_max : r;
        }
      }
    }
  }
}

}  // namespace kernels
}  // namespace utensor
