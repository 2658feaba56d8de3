#include "utensor/kernels/reduce.hpp"

#include <float.h>

namespace utensor {
namespace kernels {
namespace {

struct Add {
  template <typename T>
  static T apply(T acc, T x) { return acc + x; }
};
// TFLite's reducers keep the accumulator unless the new value is strictly better: the
// same choice on ties, which matters only for -0.0/+0.0.
struct Max {
  template <typename T>
  static T apply(T acc, T x) { return x > acc ? x : acc; }
};
struct Min {
  template <typename T>
  static T apply(T acc, T x) { return x < acc ? x : acc; }
};
struct And {
  static bool apply(bool acc, bool x) { return acc && x; }
};

// Every output starts at `init`; the input is visited in row-major order and each element
// folded into the output it reduces to (stride 0 along the reduced axes): TFLite's
// ReduceGeneric order.
template <typename Op, typename T>
void reduce(const MeanShape& s, const T* input, T* output, T init) {
  int32_t st[5];
  int32_t stride = 1;
  for (int d = 4; d >= 0; --d) {
    st[d] = s.reduce[d] ? 0 : stride;
    if (!s.reduce[d]) stride *= s.input_dims[d];
  }
  for (int32_t i = 0; i < s.output_count; ++i) output[i] = init;
  const int32_t* n = s.input_dims;
  for (int32_t i0 = 0; i0 < n[0]; ++i0) {
    for (int32_t i1 = 0; i1 < n[1]; ++i1) {
      for (int32_t i2 = 0; i2 < n[2]; ++i2) {
        for (int32_t i3 = 0; i3 < n[3]; ++i3) {
          T* out = output + i0 * st[0] + i1 * st[1] + i2 * st[2] + i3 * st[3];
          for (int32_t i4 = 0; i4 < n[4]; ++i4) {
            T* o = out + i4 * st[4];
            *o = Op::apply(*o, *input++);
          }
        }
      }
    }
  }
}

}  // namespace

void sum_f32(const ReduceF32Params& params, const float* input, float* output) {
  reduce<Add>(params.shape, input, output, 0.0f);
}

void reduce_max_f32(const ReduceF32Params& params, const float* input, float* output) {
  reduce<Max>(params.shape, input, output, -FLT_MAX);
}

void reduce_min_f32(const ReduceF32Params& params, const float* input, float* output) {
  reduce<Min>(params.shape, input, output, FLT_MAX);
}

void reduce_max_s8(const ReduceS8Params& params, const int8_t* input, int8_t* output) {
  reduce<Max>(params.shape, input, output, static_cast<int8_t>(-128));
}

void reduce_min_s8(const ReduceS8Params& params, const int8_t* input, int8_t* output) {
  reduce<Min>(params.shape, input, output, static_cast<int8_t>(127));
}

void reduce_all_b8(const ReduceB8Params& params, const bool* input, bool* output) {
  reduce<And>(params.shape, input, output, true);
}

}  // namespace kernels
}  // namespace utensor
