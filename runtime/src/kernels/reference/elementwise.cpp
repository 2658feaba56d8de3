#include "utensor/kernels/elementwise.hpp"

#include <math.h>

#include "utensor/kernels/detail/broadcast.hpp"
#include "utensor/kernels/fixedpoint.hpp"

namespace utensor {
namespace kernels {

namespace {

using detail::for_each_broadcast;

// TFLite's quantized ADD/SUB (AddElementwise), the same arithmetic for int8 and int16.
template <typename T>
struct AddQ {
  const AddS8Params& p;
  int32_t sign;  // +1 ADD, -1 SUB
  UTENSOR_FP_INLINE T operator()(T x1, T x2) const {
    const int32_t shifted1 = (static_cast<int32_t>(x1) + p.input1_offset) * (1 << p.left_shift);
    const int32_t shifted2 = (static_cast<int32_t>(x2) + p.input2_offset) * (1 << p.left_shift);
    const int32_t scaled1 =
        MultiplyByQuantizedMultiplierSmallerThanOneExp(shifted1, p.input1_multiplier, p.input1_shift);
    const int32_t scaled2 =
        MultiplyByQuantizedMultiplierSmallerThanOneExp(shifted2, p.input2_multiplier, p.input2_shift);
    const int32_t raw = sign > 0 ? scaled1 + scaled2 : scaled1 - scaled2;
    const int32_t out = MultiplyByQuantizedMultiplierSmallerThanOneExp(raw, p.output_multiplier,
                                                                       p.output_shift) +
                        p.output_offset;
    return static_cast<T>(ClampI32(out, p.activation_min, p.activation_max));
  }
};
typedef AddQ<int8_t> AddS8;
typedef AddQ<int16_t> AddS16;

// ADD/SUB with both inputs' rescaling looked up (the converter's tables).
struct AddS8Table {
  const AddS8Params& p;
  int32_t sign;
  UTENSOR_FP_INLINE int8_t operator()(int8_t x1, int8_t x2) const {
    const int32_t scaled1 = p.input1_table[static_cast<uint8_t>(x1)];
    const int32_t scaled2 = p.input2_table[static_cast<uint8_t>(x2)];
    const int32_t raw = sign > 0 ? scaled1 + scaled2 : scaled1 - scaled2;
    const int32_t out =
        p.output_fast ? detail::fast_requantize(raw, *p.output_fast)
                      : MultiplyByQuantizedMultiplierSmallerThanOneExp(raw, p.output_multiplier,
                                                                       p.output_shift) +
                            p.output_offset;
    return static_cast<int8_t>(ClampI32(out, p.activation_min, p.activation_max));
  }
};

// TFLite's quantized MUL (MulElementwise), the same arithmetic for int8 and int16.
template <typename T>
struct MulQ {
  const MulS8Params& p;
  UTENSOR_FP_INLINE T operator()(T x1, T x2) const {
    const int32_t prod =
        (static_cast<int32_t>(x1) + p.input1_offset) * (static_cast<int32_t>(x2) + p.input2_offset);
    const int32_t out =
        MultiplyByQuantizedMultiplier(prod, p.output_multiplier, p.output_shift) + p.output_offset;
    return static_cast<T>(ClampI32(out, p.activation_min, p.activation_max));
  }
};
typedef MulQ<int8_t> MulS8;
typedef MulQ<int16_t> MulS16;

// int8 MUL with the output rescaling in the fast form (params.output_fast).
struct MulS8Fast {
  const MulS8Params& p;
  UTENSOR_FP_INLINE int8_t operator()(int8_t x1, int8_t x2) const {
    const int32_t prod =
        (static_cast<int32_t>(x1) + p.input1_offset) * (static_cast<int32_t>(x2) + p.input2_offset);
    return static_cast<int8_t>(
        ClampI32(detail::fast_requantize(prod, *p.output_fast), p.activation_min, p.activation_max));
  }
};

inline float clampf(float v, float lo, float hi) { return v < lo ? lo : (v > hi ? hi : v); }

struct AddF32 {
  const ElementwiseF32Params& p;
  UTENSOR_FP_INLINE float operator()(float a, float b) const { return clampf(a + b, p.activation_min, p.activation_max); }
};

struct SubF32 {
  const ElementwiseF32Params& p;
  UTENSOR_FP_INLINE float operator()(float a, float b) const { return clampf(a - b, p.activation_min, p.activation_max); }
};

struct MulF32 {
  const ElementwiseF32Params& p;
  UTENSOR_FP_INLINE float operator()(float a, float b) const { return clampf(a * b, p.activation_min, p.activation_max); }
};

}  // namespace

void detail::add_s8_portable(const AddS8Params& params, const int8_t* input1,
                             const int8_t* input2, int8_t* output) {
  if (params.input1_table && params.input2_table) {
    const AddS8Table f = {params, 1};
    for_each_broadcast(params.shape, input1, input2, output, f);
  } else {
    const AddS8 f = {params, 1};
    for_each_broadcast(params.shape, input1, input2, output, f);
  }
}

#if !UTENSOR_KERNELS_DSP || UTENSOR_KERNELS_MVE  // else elementwise_dsp.cpp
// No kernel of its own here: the general entry takes these layers as well.
void add_s8_tables(const AddS8Params& params, const int8_t* input1, const int8_t* input2,
                   int8_t* output) {
  add_s8(params, input1, input2, output);
}
#endif

#if !UTENSOR_KERNELS_DSP && !UTENSOR_KERNELS_MVE  // else arm/elementwise_{dsp,mve}.cpp
void add_s8(const AddS8Params& params, const int8_t* input1, const int8_t* input2, int8_t* output) {
  detail::add_s8_portable(params, input1, input2, output);
}
#endif

void sub_s8(const AddS8Params& params, const int8_t* input1, const int8_t* input2, int8_t* output) {
  if (params.input1_table && params.input2_table) {
    const AddS8Table f = {params, -1};
    for_each_broadcast(params.shape, input1, input2, output, f);
  } else {
    const AddS8 f = {params, -1};
    for_each_broadcast(params.shape, input1, input2, output, f);
  }
}

void mul_s8(const MulS8Params& params, const int8_t* input1, const int8_t* input2, int8_t* output) {
  if (params.output_fast) {
    const MulS8Fast f = {params};
    for_each_broadcast(params.shape, input1, input2, output, f);
  } else {
    const MulS8 f = {params};
    for_each_broadcast(params.shape, input1, input2, output, f);
  }
}

void add_s16(const AddS8Params& params, const int16_t* input1, const int16_t* input2, int16_t* output) {
  const AddS16 f = {params, 1};
  for_each_broadcast(params.shape, input1, input2, output, f);
}

void sub_s16(const AddS8Params& params, const int16_t* input1, const int16_t* input2, int16_t* output) {
  const AddS16 f = {params, -1};
  for_each_broadcast(params.shape, input1, input2, output, f);
}

void mul_s16(const MulS8Params& params, const int16_t* input1, const int16_t* input2, int16_t* output) {
  const MulS16 f = {params};
  for_each_broadcast(params.shape, input1, input2, output, f);
}

namespace {
// Through uint32_t: signed overflow would be undefined; TFLite's int32 kernels wrap in practice.
int32_t clamp_i32(uint32_t v, const ElementwiseI32Params& p) {
  const int32_t x = static_cast<int32_t>(v);
  return x < p.activation_min ? p.activation_min : (x > p.activation_max ? p.activation_max : x);
}
}  // namespace

void add_i32(const ElementwiseI32Params& params, const int32_t* input1, const int32_t* input2, int32_t* output) {
  for_each_broadcast(params.shape, input1, input2, output, [&params](int32_t a, int32_t b) {
    return clamp_i32(static_cast<uint32_t>(a) + static_cast<uint32_t>(b), params);
  });
}

void sub_i32(const ElementwiseI32Params& params, const int32_t* input1, const int32_t* input2, int32_t* output) {
  for_each_broadcast(params.shape, input1, input2, output, [&params](int32_t a, int32_t b) {
    return clamp_i32(static_cast<uint32_t>(a) - static_cast<uint32_t>(b), params);
  });
}

void mul_i32(const ElementwiseI32Params& params, const int32_t* input1, const int32_t* input2, int32_t* output) {
  for_each_broadcast(params.shape, input1, input2, output, [&params](int32_t a, int32_t b) {
    return clamp_i32(static_cast<uint32_t>(a) * static_cast<uint32_t>(b), params);
  });
}

void add_f32(const ElementwiseF32Params& params, const float* input1, const float* input2, float* output) {
  const AddF32 f = {params};
  for_each_broadcast(params.shape, input1, input2, output, f);
}

void sub_f32(const ElementwiseF32Params& params, const float* input1, const float* input2, float* output) {
  const SubF32 f = {params};
  for_each_broadcast(params.shape, input1, input2, output, f);
}

void mul_f32(const ElementwiseF32Params& params, const float* input1, const float* input2, float* output) {
  const MulF32 f = {params};
  for_each_broadcast(params.shape, input1, input2, output, f);
}

void div_f32(const ElementwiseF32Params& params, const float* input1, const float* input2, float* output) {
  const float lo = params.activation_min;
  const float hi = params.activation_max;
  for_each_broadcast(params.shape, input1, input2, output,
                     [lo, hi](float a, float b) { return clampf(a / b, lo, hi); });
}

void maximum_s8(const BroadcastParams& params, const int8_t* input1, const int8_t* input2, int8_t* output) {
  for_each_broadcast(params.shape, input1, input2, output, [](int8_t a, int8_t b) { return a > b ? a : b; });
}

void minimum_s8(const BroadcastParams& params, const int8_t* input1, const int8_t* input2, int8_t* output) {
  for_each_broadcast(params.shape, input1, input2, output, [](int8_t a, int8_t b) { return a < b ? a : b; });
}

void maximum_f32(const BroadcastParams& params, const float* input1, const float* input2, float* output) {
  for_each_broadcast(params.shape, input1, input2, output, [](float a, float b) { return a > b ? a : b; });
}

void minimum_f32(const BroadcastParams& params, const float* input1, const float* input2, float* output) {
  for_each_broadcast(params.shape, input1, input2, output, [](float a, float b) { return a < b ? a : b; });
}

void squared_difference_f32(const BroadcastParams& params, const float* input1, const float* input2,
                            float* output) {
  for_each_broadcast(params.shape, input1, input2, output, [](float a, float b) {
    const float d = a - b;
    return d * d;
  });
}

void floor_div_f32(const BroadcastParams& params, const float* input1, const float* input2, float* output) {
  // TFLite Micro divides in double: a float quotient can round up onto the next integer.
  for_each_broadcast(params.shape, input1, input2, output, [](float a, float b) {
    return static_cast<float>(floor(static_cast<double>(a) / static_cast<double>(b)));
  });
}

#define UTENSOR_COMPARISON_DEFINE(name, op)                                                    \
  void name##_s8(const CompareS8Params& params, const int8_t* input1, const int8_t* input2,    \
                 bool* output) {                                                                \
    const int32_t* t1 = params.input1_table;                                                    \
    const int32_t* t2 = params.input2_table;                                                    \
    for_each_broadcast(params.shape, input1, input2, output, [t1, t2](int8_t a, int8_t b) {     \
      return t1[static_cast<uint8_t>(a)] op t2[static_cast<uint8_t>(b)];                         \
    });                                                                                         \
  }                                                                                             \
  void name##_f32(const BroadcastParams& params, const float* input1, const float* input2,     \
                  bool* output) {                                                               \
    for_each_broadcast(params.shape, input1, input2, output, [](float a, float b) { return a op b; }); \
  }                                                                                             \
  void name##_i32(const BroadcastParams& params, const int32_t* input1, const int32_t* input2,  \
                  bool* output) {                                                               \
    for_each_broadcast(params.shape, input1, input2, output, [](int32_t a, int32_t b) { return a op b; }); \
  }
UTENSOR_COMPARISON_LIST(UTENSOR_COMPARISON_DEFINE)
#undef UTENSOR_COMPARISON_DEFINE

// The other dtypes TFLite Micro's comparisons take compare the stored values.
#define UTENSOR_COMPARISON_DEFINE_I64(name, op)                                                 \
  void name##_i64(const BroadcastParams& params, const int64_t* input1, const int64_t* input2, \
                  bool* output) {                                                              \
    for_each_broadcast(params.shape, input1, input2, output, [](int64_t a, int64_t b) { return a op b; }); \
  }
UTENSOR_COMPARISON_LIST(UTENSOR_COMPARISON_DEFINE_I64)
#undef UTENSOR_COMPARISON_DEFINE_I64

void equal_b8(const BroadcastParams& params, const bool* input1, const bool* input2, bool* output) {
  for_each_broadcast(params.shape, input1, input2, output, [](bool a, bool b) { return a == b; });
}

void not_equal_b8(const BroadcastParams& params, const bool* input1, const bool* input2, bool* output) {
  for_each_broadcast(params.shape, input1, input2, output, [](bool a, bool b) { return a != b; });
}

namespace {

template <typename T>
void maximum_t(const BroadcastParams& params, const T* input1, const T* input2, T* output) {
  for_each_broadcast(params.shape, input1, input2, output, [](T a, T b) { return a > b ? a : b; });
}

template <typename T>
void minimum_t(const BroadcastParams& params, const T* input1, const T* input2, T* output) {
  for_each_broadcast(params.shape, input1, input2, output, [](T a, T b) { return a < b ? a : b; });
}

}  // namespace

void maximum_s16(const BroadcastParams& params, const int16_t* input1, const int16_t* input2, int16_t* output) {
  maximum_t(params, input1, input2, output);
}
void minimum_s16(const BroadcastParams& params, const int16_t* input1, const int16_t* input2, int16_t* output) {
  minimum_t(params, input1, input2, output);
}
void maximum_i32(const BroadcastParams& params, const int32_t* input1, const int32_t* input2, int32_t* output) {
  maximum_t(params, input1, input2, output);
}
void minimum_i32(const BroadcastParams& params, const int32_t* input1, const int32_t* input2, int32_t* output) {
  minimum_t(params, input1, input2, output);
}
void maximum_i64(const BroadcastParams& params, const int64_t* input1, const int64_t* input2, int64_t* output) {
  maximum_t(params, input1, input2, output);
}
void minimum_i64(const BroadcastParams& params, const int64_t* input1, const int64_t* input2, int64_t* output) {
  minimum_t(params, input1, input2, output);
}

void prelu_s8(const PreluS8Params& params, const int8_t* input, const int8_t* alpha, int8_t* output) {
  const PreluS8Params& p = params;
  for_each_broadcast(p.shape, input, alpha, output, [&p](int8_t x, int8_t a) {
    const int32_t v = p.input_offset + x;
    const int32_t out =
        v >= 0 ? MultiplyByQuantizedMultiplier(v, p.output_multiplier_1, p.output_shift_1)
               : MultiplyByQuantizedMultiplier(v * (p.alpha_offset + a), p.output_multiplier_2, p.output_shift_2);
    return static_cast<int8_t>(ClampI32(out + p.output_offset, -128, 127));
  });
}

void prelu_f32(const BroadcastParams& params, const float* input, const float* alpha, float* output) {
  for_each_broadcast(params.shape, input, alpha, output, [](float x, float a) { return x >= 0.0f ? x : x * a; });
}

void logical_and_b8(const BroadcastParams& params, const bool* input1, const bool* input2, bool* output) {
  for_each_broadcast(params.shape, input1, input2, output, [](bool a, bool b) { return a && b; });
}

void logical_or_b8(const BroadcastParams& params, const bool* input1, const bool* input2, bool* output) {
  for_each_broadcast(params.shape, input1, input2, output, [](bool a, bool b) { return a || b; });
}

void floor_mod_f32(const BroadcastParams& params, const float* input1, const float* input2, float* output) {
  for_each_broadcast(params.shape, input1, input2, output, [](float a, float b) {
    const float trunc_mod = fmodf(a, b);
    return (trunc_mod != 0.0f && ((b < 0.0f) != (trunc_mod < 0.0f))) ? trunc_mod + b : trunc_mod;
  });
}

}  // namespace kernels
}  // namespace utensor

// ---- int8 DIV ----------------------------------------------------------------------------

namespace utensor {
namespace kernels {

namespace {

inline int CountLeadingSignBits32(int32_t x) {
  return CountLeadingZeros(static_cast<uint32_t>(x >= 0 ? x : ~x)) - 1;
}

// TFLite's DivElementwise for one pair, with the two undefined corners defined (header).
struct DivS8 {
  const DivS8Params& p;
  int8_t operator()(int32_t a, int32_t b) const {
    int32_t n = a + p.input1_offset;
    int32_t d = b + p.input2_offset;
    if (d == 0) {
      const int32_t v = n > 0 ? p.activation_max : (n < 0 ? p.activation_min : p.output_offset);
      return static_cast<int8_t>(ClampI32(v, p.activation_min, p.activation_max));
    }
    if (d < 0) {
      n = -n;
      d = -d;
    }
    int recip_shift;
    const int32_t inverse = GetReciprocal(d, 31, &recip_shift);
    const int headroom = CountLeadingSignBits32(n);
    // n * 2^headroom fits int32 by the definition of headroom (0 stays 0).
    const int32_t quotient = SaturatingRoundingDoublingHighMul(
        static_cast<int32_t>(static_cast<uint32_t>(n) << headroom), inverse);
    const int right_shift = recip_shift + headroom - p.output_shift;  // >= 0: output_shift <= 23
    const int32_t scaled = SaturatingRoundingDoublingHighMul(quotient, p.output_multiplier);
    // Past 31 bits |scaled| / 2^right_shift < 1/2: the exact rounding is 0.
    const int32_t v = p.output_offset + (right_shift > 31 ? 0 : RoundingDivideByPOT(scaled, right_shift));
    return static_cast<int8_t>(ClampI32(v, p.activation_min, p.activation_max));
  }
};

}  // namespace

void div_s8(const DivS8Params& params, const int8_t* input1, const int8_t* input2, int8_t* output) {
  const DivS8 f = {params};
  for_each_broadcast(params.shape, input1, input2, output, f);
}

}  // namespace kernels
}  // namespace utensor
