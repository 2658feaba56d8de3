#ifndef UTENSOR_KERNELS_ELEMENTWISE_HPP
#define UTENSOR_KERNELS_ELEMENTWISE_HPP

// Binary elementwise ops with NumPy-style broadcasting, as TFLite's ADD, SUB and MUL
// (reference semantics; int8 bit-exact).
//
// Shapes: both inputs and the output are described in 6-D (leading dimensions padded
// with 1). `dims` is the output shape; `stride1` / `stride2` are the element strides of
// each input along each output dimension, 0 where that input is broadcast. When neither
// input is broadcast the converter sets `broadcast` to 0 and the kernels run flat over
// `size` elements.
// int8 ADD/SUB (TFLite's general quantized path): each input is offset, shifted left by
// `left_shift` (20), scaled by its multiplier (< 1) to a common scale, the two are added
// (subtracted), rescaled by the output multiplier, offset and clamped.
// int8 MUL: (x1 + offset1) * (x2 + offset2) rescaled by one multiplier, offset, clamped.
// Values are computed by the converter (scripts/utensor/ops/elementwise.py).

#include <stdint.h>

#include "utensor/core/status.hpp"
#include "utensor/kernels/detail/kernel_util.hpp"
#include "utensor/kernels/params/elementwise.hpp"

namespace utensor {
namespace kernels {

/// int8 ADD: out = clamp(requant(in1) + requant(in2)); inputs may alias the output.
void add_s8(const AddS8Params& params, const int8_t* input1, const int8_t* input2, int8_t* output);

/// add_s8 for the layers the converter gives same shapes, both rescaling tables, the fast
/// output requantization and the activation range [-128, 127] (ops/elementwise.py): the DSP
/// cores run their table kernel without the general fallback, which then is not linked.
void add_s8_tables(const AddS8Params& params, const int8_t* input1, const int8_t* input2,
                   int8_t* output);

namespace detail {
/// The portable add_s8 (reference/elementwise.cpp), also the Arm variants' general case.
void add_s8_portable(const AddS8Params& params, const int8_t* input1, const int8_t* input2,
                     int8_t* output);
}  // namespace detail

/// int8 SUB: out = clamp(requant(in1) - requant(in2)); inputs may alias the output.
void sub_s8(const AddS8Params& params, const int8_t* input1, const int8_t* input2, int8_t* output);

/// int8 MUL: out = clamp(requant((in1 + off1) * (in2 + off2))).
void mul_s8(const MulS8Params& params, const int8_t* input1, const int8_t* input2, int8_t* output);

/// int16 ADD/SUB (16x8 quantization): add_s8's arithmetic on int16 with left_shift 15 and
/// no tables (input1_table/input2_table/output_fast nullptr); inputs may alias the output.
void add_s16(const AddS8Params& params, const int16_t* input1, const int16_t* input2, int16_t* output);
void sub_s16(const AddS8Params& params, const int16_t* input1, const int16_t* input2, int16_t* output);

/// int16 MUL: mul_s8's arithmetic on int16 (the product of two int16 fits int32).
void mul_s16(const MulS8Params& params, const int16_t* input1, const int16_t* input2, int16_t* output);

/// float32 ADD, clamped to the activation range.
void add_f32(const ElementwiseF32Params& params, const float* input1, const float* input2, float* output);

/// int32 ADD, SUB, MUL: wrapping two's-complement arithmetic, then the activation clamp.
void add_i32(const ElementwiseI32Params& params, const int32_t* input1, const int32_t* input2, int32_t* output);
void sub_i32(const ElementwiseI32Params& params, const int32_t* input1, const int32_t* input2, int32_t* output);
void mul_i32(const ElementwiseI32Params& params, const int32_t* input1, const int32_t* input2, int32_t* output);

/// int32 DIV as TFLite Micro: C division (truncated toward zero), then the activation clamp.
/// A zero divisor gives Status::invalid_argument (TFLite Micro fails the invocation: "Division
/// by 0"), the output then only partly meaningful; INT32_MIN / -1 gives INT32_MIN (TFLite
/// Micro's `a / b` there is undefined C++: SDIV's result on Cortex-M, a SIGFPE on x86).
Status div_i32(const ElementwiseI32Params& params, const int32_t* input1, const int32_t* input2, int32_t* output);

/// float32 SUB, clamped to the activation range.
void sub_f32(const ElementwiseF32Params& params, const float* input1, const float* input2, float* output);

/// float32 MUL, clamped to the activation range.
void mul_f32(const ElementwiseF32Params& params, const float* input1, const float* input2, float* output);

/// int8 DIV as TFLite Micro's DivElementwise: n = in1 + off1 over d = in2 + off2 with
/// gemmlowp's reciprocal of |d|, then the output rescaling. Where TFLM's C++ is undefined
/// the result is defined here: d == 0 saturates to the sign of n (activation max / min; 0 / 0
/// gives the output zero point), and a final rounding shift beyond 31 bits (a small |n| over a
/// large |d|) rounds the quotient exactly, to 0 (scripts/utensor/ops/_div_s8.py).
void div_s8(const DivS8Params& params, const int8_t* input1, const int8_t* input2, int8_t* output);

/// float32 DIV, clamped to the activation range (no check for zero divisors, as TFLite).
void div_f32(const ElementwiseF32Params& params, const float* input1, const float* input2, float* output);

/// MAXIMUM / MINIMUM of the stored values (TFLite compares int8 without rescaling: its
/// converter gives both inputs and the output one quantization).
void maximum_s8(const BroadcastParams& params, const int8_t* input1, const int8_t* input2, int8_t* output);
void minimum_s8(const BroadcastParams& params, const int8_t* input1, const int8_t* input2, int8_t* output);
void maximum_f32(const BroadcastParams& params, const float* input1, const float* input2, float* output);
/// int16 (as int8: one quantization for all), int32 and int64 forms, as TFLite Micro takes.
void maximum_s16(const BroadcastParams& params, const int16_t* input1, const int16_t* input2, int16_t* output);
void minimum_s16(const BroadcastParams& params, const int16_t* input1, const int16_t* input2, int16_t* output);
void maximum_i32(const BroadcastParams& params, const int32_t* input1, const int32_t* input2, int32_t* output);
void minimum_i32(const BroadcastParams& params, const int32_t* input1, const int32_t* input2, int32_t* output);
void maximum_i64(const BroadcastParams& params, const int64_t* input1, const int64_t* input2, int64_t* output);
void minimum_i64(const BroadcastParams& params, const int64_t* input1, const int64_t* input2, int64_t* output);
void minimum_f32(const BroadcastParams& params, const float* input1, const float* input2, float* output);

/// float32 SQUARED_DIFFERENCE: (in1 - in2)^2.
void squared_difference_f32(const BroadcastParams& params, const float* input1, const float* input2,
                            float* output);

/// int32 SQUARED_DIFFERENCE: TFLite Micro's plain int32 arithmetic, which wraps on overflow
/// (here in uint32, so the wrap is defined behaviour). Defined in squared_difference_s16.cpp.
void squared_difference_i32(const BroadcastParams& params, const int32_t* input1, const int32_t* input2,
                            int32_t* output);

/// float32 FLOOR_DIV: floor(in1 / in2).
void floor_div_f32(const BroadcastParams& params, const float* input1, const float* input2, float* output);

// The comparisons, each once: X(name, C++ operator). Output: bool per element.
#define UTENSOR_COMPARISON_LIST(X) \
  X(equal, ==)                     \
  X(not_equal, !=)                 \
  X(greater, >)                    \
  X(greater_equal, >=)             \
  X(less, <)                       \
  X(less_equal, <=)

/// <name>_s8: the rescaled int8 inputs compared; <name>_f32 / _i32: the values compared.
#define UTENSOR_COMPARISON_DECLARE(name, op)                                                   \
  void name##_s8(const CompareS8Params& params, const int8_t* input1, const int8_t* input2,   \
                 bool* output);                                                                \
  void name##_f32(const BroadcastParams& params, const float* input1, const float* input2,    \
                  bool* output);                                                               \
  void name##_i32(const BroadcastParams& params, const int32_t* input1, const int32_t* input2, \
                  bool* output);
UTENSOR_COMPARISON_LIST(UTENSOR_COMPARISON_DECLARE)
#undef UTENSOR_COMPARISON_DECLARE

/// <name>_i64 and, where TFLite Micro takes them, bool EQUAL / NOT_EQUAL: the stored values
/// compared.
#define UTENSOR_COMPARISON_DECLARE_I64(name, op)                                               \
  void name##_i64(const BroadcastParams& params, const int64_t* input1, const int64_t* input2, \
                  bool* output);
UTENSOR_COMPARISON_LIST(UTENSOR_COMPARISON_DECLARE_I64)
#undef UTENSOR_COMPARISON_DECLARE_I64
void equal_b8(const BroadcastParams& params, const bool* input1, const bool* input2, bool* output);
void not_equal_b8(const BroadcastParams& params, const bool* input1, const bool* input2, bool* output);

/// PRELU: x >= 0 ? x : x * alpha, alpha broadcast to the input (int8: TFLite's rescalings).
void prelu_s8(const PreluS8Params& params, const int8_t* input, const int8_t* alpha, int8_t* output);
void prelu_f32(const BroadcastParams& params, const float* input, const float* alpha, float* output);

/// LOGICAL_AND / LOGICAL_OR of bool tensors.
void logical_and_b8(const BroadcastParams& params, const bool* input1, const bool* input2, bool* output);
void logical_or_b8(const BroadcastParams& params, const bool* input1, const bool* input2, bool* output);

/// float32 FLOOR_MOD: the remainder with the divisor's sign (TFLite's FloorMod).
void floor_mod_f32(const BroadcastParams& params, const float* input1, const float* input2, float* output);

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_ELEMENTWISE_HPP
