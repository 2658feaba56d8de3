// Written by `python -m utensor.kernel_params --write` from the table in
// scripts/utensor/kernel_params.py. Do not edit: change the table and regenerate. Generated
// models check at compile time that these structs are laid out as the table says.
#ifndef UTENSOR_KERNELS_PARAMS_ELEMENTWISE_HPP
#define UTENSOR_KERNELS_PARAMS_ELEMENTWISE_HPP

// ADD, SUB and MUL's parameters (kernels/elementwise.hpp states the arithmetic).

#include <stdint.h>

#include "utensor/kernels/params/requant.hpp"

namespace utensor {
namespace kernels {

/// Shapes are padded to this rank.
static const int kBroadcastMaxRank = 6;

/// Both inputs and the output in 6-D (leading dimensions padded with 1).
struct BroadcastShape {
  int32_t size;                        // output elements
  int32_t broadcast;                   // 0: both inputs have the output's shape; flat loop
  int32_t dims[kBroadcastMaxRank];     // the output shape
  // input 1's element stride along each output dimension, 0 where broadcast
  int32_t stride1[kBroadcastMaxRank];
  int32_t stride2[kBroadcastMaxRank];  // the same for input 2
};

/// int8 ADD and SUB (TFLite's general quantized path).
struct AddS8Params {
  BroadcastShape shape;         // the geometry
  int32_t input1_offset;        // minus input 1's zero point
  int32_t input2_offset;        // minus input 2's zero point
  int32_t output_offset;        // the output zero point
  int32_t left_shift;           // 20 for int8
  int32_t input1_multiplier;    // input 1's rescaling to the common scale (< 1)
  int32_t input1_shift;         // <= 0
  int32_t input2_multiplier;    // input 2's rescaling to the common scale (< 1)
  int32_t input2_shift;         // <= 0
  int32_t output_multiplier;    // the sum's rescaling to the output scale
  int32_t output_shift;         // TFLite convention: > 0 shifts left
  int32_t activation_min;       // within [-128, 127]
  int32_t activation_max;       // within [-128, 127]
  // Optional [256] table of input 1's rescaled value (the offset, shift and multiplier above
  // for every int8 value, indexed by the byte as uint8_t), precomputed by the converter for
  // large tensors; nullptr to compute it per element. Same integers either way.
  const int32_t* input1_table;
  const int32_t* input2_table;  // the same for input 2
  // With both tables, optionally the output rescaling in the fast form the converter proved
  // exact for every sum (difference) of two table entries; nullptr for the general form. When
  // given, the tables hold the rescaled values times 2 (the doubling of the doubling high
  // multiply) and its pre_shift is 0: out = fast_requantize(t1 +- t2).
  const detail::FastRequant* output_fast;
};

/// int8 MUL.
struct MulS8Params {
  BroadcastShape shape;       // the geometry
  int32_t input1_offset;      // minus input 1's zero point
  int32_t input2_offset;      // minus input 2's zero point
  int32_t output_offset;      // the output zero point
  int32_t output_multiplier;  // input 1 scale * input 2 scale / output scale
  int32_t output_shift;       // TFLite convention: > 0 shifts left
  int32_t activation_min;     // within [-128, 127]
  int32_t activation_max;     // within [-128, 127]
  // int8: the output rescaling in the fast form the converter proved exact for every product;
  // nullptr for the general form
  const detail::FastRequant* output_fast;
};

/// int8 DIV as TFLite Micro's DivElementwise (ops/_div_s8.py; where TFLM's arithmetic is
/// undefined C++, kernels/elementwise.hpp defines the result).
struct DivS8Params {
  BroadcastShape shape;       // the geometry
  int32_t input1_offset;      // minus input 1's zero point
  int32_t input2_offset;      // minus input 2's zero point
  int32_t output_offset;      // the output zero point
  int32_t output_multiplier;  // input 1 scale / (input 2 scale * output scale), Q31
  int32_t output_shift;       // TFLite convention, <= 23 (so every right shift is >= 0)
  int32_t activation_min;     // within [-128, 127]
  int32_t activation_max;     // within [-128, 127]
};

/// float32 ADD, SUB, MUL and DIV.
struct ElementwiseF32Params {
  BroadcastShape shape;  // the geometry
  float activation_min;  // the fused activation's lower bound (-HUGE_VALF: none)
  float activation_max;  // the fused activation's upper bound (HUGE_VALF: none)
};

/// int32 ADD, SUB and MUL (loop counters, indices).
struct ElementwiseI32Params {
  BroadcastShape shape;    // the geometry
  int32_t activation_min;  // the fused activation's lower bound (INT32_MIN: none)
  int32_t activation_max;  // the fused activation's upper bound (INT32_MAX: none)
};

/// Binary operators with no parameter but their geometry (MAXIMUM, MINIMUM, SQUARED_DIFFERENCE,
/// FLOOR_DIV, FLOOR_MOD, float32 comparisons, LOGICAL_AND, LOGICAL_OR).
struct BroadcastParams {
  BroadcastShape shape;  // the geometry
};

/// int8 PRELU (TFLite's two rescalings: x >= 0 and x * alpha).
struct PreluS8Params {
  BroadcastShape shape;         // input (1) and alpha (2) to the output
  int32_t input_offset;         // minus the input zero point
  int32_t alpha_offset;         // minus alpha's zero point
  int32_t output_offset;        // the output zero point
  int32_t output_multiplier_1;  // input scale / output scale
  int32_t output_shift_1;       // TFLite convention: > 0 shifts left
  int32_t output_multiplier_2;  // input scale * alpha scale / output scale
  int32_t output_shift_2;       // TFLite convention: > 0 shifts left
};

/// int8 comparisons: each input rescaled to a common scale as TFLite does ((x - zero point) <<
/// 8, times its scale's multiplier), looked up.
struct CompareS8Params {
  BroadcastShape shape;         // the geometry
  const int32_t* input1_table;  // [256] input 1 rescaled, indexed by the byte as uint8_t
  const int32_t* input2_table;  // [256] input 2 rescaled, indexed by the byte as uint8_t
};

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_PARAMS_ELEMENTWISE_HPP
