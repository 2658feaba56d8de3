#include "utensor/kernels/squared_difference.hpp"

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

// The walk of elementwise.cpp's broadcast: an odometer over the output dimensions, the
// inputs advanced by their strides (0 along broadcast dimensions).
void squared_difference_s8(const SquaredDifferenceS8Params& p, const int8_t* input1,
                           const int8_t* input2, int8_t* output) {
  const BroadcastShape& s = p.shape;
  if (!s.broadcast) {
    for (int32_t i = 0; i < s.size; ++i) output[i] = squared_difference(p, input1[i], input2[i]);
    return;
  }
  int32_t idx[kBroadcastMaxRank] = {0, 0, 0, 0, 0, 0};
  int32_t off1 = 0;
  int32_t off2 = 0;
  for (int32_t i = 0; i < s.size; ++i) {
    output[i] = squared_difference(p, input1[off1], input2[off2]);
    for (int d = kBroadcastMaxRank - 1; d >= 0; --d) {
      ++idx[d];
      off1 += s.stride1[d];
      off2 += s.stride2[d];
      if (idx[d] < s.dims[d]) break;
      off1 -= s.stride1[d] * s.dims[d];
      off2 -= s.stride2[d] * s.dims[d];
      idx[d] = 0;
    }
  }
}

}  // namespace kernels
}  // namespace utensor
