// SQUARED_DIFFERENCE's int16 and int32 forms, with the shared broadcast walk (detail/broadcast.hpp).

#include "utensor/kernels/detail/broadcast.hpp"
#include "utensor/kernels/elementwise.hpp"
#include "utensor/kernels/fixedpoint.hpp"
#include "utensor/kernels/squared_difference.hpp"

namespace utensor {
namespace kernels {
namespace {

using detail::for_each_broadcast;

struct SquaredDifferenceS16 {
  const SquaredDifferenceS16Params* p;
  int16_t operator()(int16_t a, int16_t b) const {
    const int32_t x1 = (static_cast<int32_t>(a) + p->input1_offset) * (1 << p->left_shift);
    const int32_t x2 = (static_cast<int32_t>(b) + p->input2_offset) * (1 << p->left_shift);
    const int32_t diff =
        MultiplyByQuantizedMultiplierSmallerThanOneExp(x1, p->input1_multiplier, p->input1_shift) -
        MultiplyByQuantizedMultiplierSmallerThanOneExp(x2, p->input2_multiplier, p->input2_shift);
    // |diff| <= 2^15 (each rescaled input is at most half the larger scale's range): the
    // square fits int32 as in TFLite.
    const int32_t v = MultiplyByQuantizedMultiplier(diff * diff, p->output_multiplier, p->output_shift) +
                      p->output_offset;
    return static_cast<int16_t>(ClampI32(v, -32768, 32767));
  }
};

struct SquaredDifferenceI32 {
  int32_t operator()(int32_t a, int32_t b) const {
    const uint32_t d = static_cast<uint32_t>(a) - static_cast<uint32_t>(b);
    return static_cast<int32_t>(d * d);
  }
};

}  // namespace

void squared_difference_s16(const SquaredDifferenceS16Params& params, const int16_t* input1,
                            const int16_t* input2, int16_t* output) {
  SquaredDifferenceS16 f = {&params};
  for_each_broadcast(params.shape, input1, input2, output, f);
}

void squared_difference_i32(const BroadcastParams& params, const int32_t* input1,
                            const int32_t* input2, int32_t* output) {
  for_each_broadcast(params.shape, input1, input2, output, SquaredDifferenceI32());
}

}  // namespace kernels
}  // namespace utensor
