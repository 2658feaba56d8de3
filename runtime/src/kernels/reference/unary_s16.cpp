#include "utensor/kernels/fixedpoint.hpp"
#include "utensor/kernels/unary.hpp"

namespace utensor {
namespace kernels {

void abs_s16(const AbsS16Params& params, const int16_t* input, int16_t* output) {
  for (int32_t i = 0; i < params.size; ++i) {
    const int32_t x = input[i];
    int32_t v = x < 0 ? -x : x;  // 32768 for -32768: the clamp below gives 32767, as TFLite
    if (params.rescale) v = MultiplyByQuantizedMultiplier(v, params.multiplier, params.shift);
    output[i] = static_cast<int16_t>(ClampI32(v, -32768, 32767));
  }
}

}  // namespace kernels
}  // namespace utensor
