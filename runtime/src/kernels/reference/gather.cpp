#include "utensor/kernels/gather.hpp"

#include <string.h>

namespace utensor {
namespace kernels {

namespace {

// The first index of the best value: a later value replaces it only when strictly better.
template <typename T, typename U, bool kMax>
void arg_min_max(const ArgMinMaxParams& p, const T* input, U* output) {
  for (int32_t o = 0; o < p.outer_size; ++o) {
    for (int32_t i = 0; i < p.inner_size; ++i) {
      const T* x = input + o * p.axis_size * p.inner_size + i;
      T best = x[0];
      int32_t best_k = 0;
      for (int32_t k = 1; k < p.axis_size; ++k) {
        const T v = x[k * p.inner_size];
        if (kMax ? v > best : v < best) {
          best = v;
          best_k = k;
        }
      }
      output[o * p.inner_size + i] = static_cast<U>(best_k);
    }
  }
}

}  // namespace

#define UTENSOR_ARG_DEFINE(T, suffix)                                                           \
  void arg_max_##suffix##_i32(const ArgMinMaxParams& p, const T* input, int32_t* output) {      \
    arg_min_max<T, int32_t, true>(p, input, output);                                            \
  }                                                                                             \
  void arg_min_##suffix##_i32(const ArgMinMaxParams& p, const T* input, int32_t* output) {      \
    arg_min_max<T, int32_t, false>(p, input, output);                                           \
  }
UTENSOR_ARG_TYPES(UTENSOR_ARG_DEFINE)
#undef UTENSOR_ARG_DEFINE

void resize_nearest(const ResizeNearestParams& p, const void* input, void* output, int32_t element_bytes) {
  const size_t pixel = static_cast<size_t>(p.channels) * static_cast<size_t>(element_bytes);
  const uint8_t* in = static_cast<const uint8_t*>(input);
  uint8_t* out = static_cast<uint8_t*>(output);
  for (int32_t b = 0; b < p.batches; ++b) {
    const uint8_t* image = in + static_cast<size_t>(b) * p.input_height * p.input_width * pixel;
    for (int32_t y = 0; y < p.output_height; ++y) {
      const uint8_t* row = image + static_cast<size_t>(p.rows[y]) * p.input_width * pixel;
      for (int32_t x = 0; x < p.output_width; ++x) {
        memcpy(out, row + static_cast<size_t>(p.cols[x]) * pixel, pixel);
        out += pixel;
      }
    }
  }
}

}  // namespace kernels
}  // namespace utensor
