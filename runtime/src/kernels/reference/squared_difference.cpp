#include "utensor/kernels/squared_difference.hpp"

#include "utensor/kernels/detail/broadcast.hpp"
#include "utensor/kernels/fixedpoint.hpp"

namespace utensor {
namespace kernels {
namespace {

inline int8_t squared_difference(const SquaredDifferenceS8Params& p, int8_t a, int8_t b) {
  const int32_t diff = p.input1_table[static_cast<uint8_t>(a)] - p.input2_table[static_cast<uint8_t>(b)];
  const int32_t v = MultiplyByQuantizedMultiplier(diff * diff, p.output_multiplier, p.output_shift) +
                    p.output_offset;
  return static_cast<int8_t>(ClampI32(v, -128, 127));
}

}  // namespace

void squared_difference_s8(const SquaredDifferenceS8Params& p, const int8_t* input1,
                           const int8_t* input2, int8_t* output) {
  detail::for_each_broadcast(p.shape, input1, input2, output,
                             [&p](int8_t a, int8_t b) { return squared_difference(p, a, b); });
}

}  // namespace kernels
}  // namespace utensor
