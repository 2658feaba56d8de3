#include "utensor/kernels/cumsum.hpp"

#include "utensor/kernels/fixedpoint.hpp"

namespace utensor {
namespace kernels {
namespace {

// Calls step(element index) along every line in summation order, with begin(line) first.
template <typename Begin, typename Step>
void for_each_line(int32_t before, int32_t depth, int32_t after, int32_t reverse, Begin begin,
                   Step step) {
  for (int32_t b = 0; b < before; ++b) {
    for (int32_t a = 0; a < after; ++a) {
      begin();
      for (int32_t d = 0; d < depth; ++d) {
        const int32_t k = reverse ? depth - 1 - d : d;
        step((b * depth + k) * after + a);
      }
    }
  }
}

}  // namespace

void cumsum_f32(const CumSumF32Params& p, const float* input, float* output) {
  float acc = 0.0f;
  for_each_line(
      p.before, p.depth, p.after, p.reverse, [&acc]() { acc = 0.0f; },
      [&](int32_t i) {
        if (p.exclusive) {
          output[i] = acc;
          acc += input[i];
        } else {
          acc += input[i];
          output[i] = acc;
        }
      });
}

void cumsum_s8(const CumSumS8Params& p, const int8_t* input, int8_t* output) {
  int32_t acc = 0;
  for_each_line(
      p.before, p.depth, p.after, p.reverse, [&]() { acc = p.initial; },
      [&](int32_t i) {
        const int32_t y = p.input_table[static_cast<uint8_t>(input[i])];
        int32_t sum;
        if (p.exclusive) {
          sum = acc;
          acc += y;
        } else {
          acc += y;
          sum = acc;
        }
        const int32_t v =
            MultiplyByQuantizedMultiplierSmallerThanOneExp(sum, p.output_multiplier, p.output_shift) +
            p.output_offset;
        output[i] = static_cast<int8_t>(ClampI32(v, -128, 127));
      });
}

}  // namespace kernels
}  // namespace utensor
