// SQUARED_DIFFERENCE's int16 and int32 forms, with elementwise.hpp's broadcasting.

#include "utensor/kernels/elementwise.hpp"
#include "utensor/kernels/fixedpoint.hpp"
#include "utensor/kernels/squared_difference.hpp"

namespace utensor {
namespace kernels {
namespace {

// The odometer walk of elementwise.cpp's broadcast: output i = f(input1[off1], input2[off2]).
template <typename T, typename F>
void broadcast_walk(const BroadcastShape& s, const T* input1, const T* input2, T* output, const F& f) {
  if (!s.broadcast) {
    for (int32_t i = 0; i < s.size; ++i) output[i] = f(input1[i], input2[i]);
    return;
  }
  int32_t idx[kBroadcastMaxRank] = {0, 0, 0, 0, 0, 0};
  int32_t off1 = 0;
  int32_t off2 = 0;
  for (int32_t i = 0; i < s.size; ++i) {
    output[i] = f(input1[off1], input2[off2]);
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
  broadcast_walk(params.shape, input1, input2, output, f);
}

void squared_difference_i32(const BroadcastParams& params, const int32_t* input1,
                            const int32_t* input2, int32_t* output) {
  broadcast_walk(params.shape, input1, input2, output, SquaredDifferenceI32());
}

}  // namespace kernels
}  // namespace utensor
