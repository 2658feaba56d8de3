// int16 (16x8) activations, as TFLite Micro's ReluQuantized, Relu6Quantized and
// QuantizeLeakyRelu on int16. Compiled on every target; no Arm variant.

#include "utensor/kernels/activations.hpp"
#include "utensor/kernels/fixedpoint.hpp"

namespace utensor {
namespace kernels {

void linear_s16(const LinearS16Params& params, const int16_t* input, int16_t* output) {
  for (int32_t i = 0; i < params.size; ++i) {
    int32_t v = input[i];
    if (params.rescale) {
      const int32_t x = v - params.input_zero_point;
      v = params.output_zero_point +
          (x >= 0 ? MultiplyByQuantizedMultiplier(x, params.multiplier_positive, params.shift_positive)
                  : MultiplyByQuantizedMultiplier(x, params.multiplier_negative, params.shift_negative));
    }
    output[i] = static_cast<int16_t>(ClampI32(v, params.activation_min, params.activation_max));
  }
}

}  // namespace kernels
}  // namespace utensor
