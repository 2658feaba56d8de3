#include "utensor/kernels/add_n.hpp"

#include "utensor/kernels/fixedpoint.hpp"

namespace utensor {
namespace kernels {

void add_n_s8(const AddNS8Params& params, const int8_t* const* inputs, int8_t* output) {
  for (int32_t i = 0; i < params.size; ++i) {
    int32_t sum = params.initial;
    for (int32_t j = 0; j < params.num_inputs; ++j) {
      sum += params.input_table[static_cast<uint8_t>(inputs[j][i])];
    }
    const int32_t v = MultiplyByQuantizedMultiplierSmallerThanOneExp(sum, params.output_multiplier,
                                                                     params.output_shift) +
                      params.output_offset;
    output[i] = static_cast<int8_t>(ClampI32(v, -128, 127));
  }
}

void add_n_f32(const AddNF32Params& params, const float* const* inputs, float* output) {
  for (int32_t i = 0; i < params.size; ++i) {
    float sum = 0.0f;
    for (int32_t j = 0; j < params.num_inputs; ++j) sum += inputs[j][i];
    output[i] = sum;
  }
}

}  // namespace kernels
}  // namespace utensor
