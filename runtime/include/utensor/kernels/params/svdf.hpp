// Written by `python -m utensor.kernel_params --write` from the table in
// scripts/utensor/kernel_params.py. Do not edit: change the table and regenerate. Generated
// models check at compile time that these structs are laid out as the table says.
#ifndef UTENSOR_KERNELS_PARAMS_SVDF_HPP
#define UTENSOR_KERNELS_PARAMS_SVDF_HPP

// SVDF's parameters (kernels/svdf.hpp states the layouts and the state update).

#include <stdint.h>

namespace utensor {
namespace kernels {

/// input [BATCHES, INPUT_SIZE], weights_feature [FILTERS, INPUT_SIZE], weights_time [FILTERS,
/// MEMORY], bias [UNITS], state [BATCHES, FILTERS * MEMORY], output [BATCHES, UNITS]; FILTERS =
/// UNITS * RANK.
struct SvdfShape {
  int32_t batches;      // BATCHES
  int32_t input_size;   // INPUT_SIZE
  int32_t num_filters;  // FILTERS
  int32_t num_units;    // UNITS
  int32_t rank;         // RANK
  int32_t memory_size;  // MEMORY
};

/// float32 SVDF.
struct SvdfF32Params {
  SvdfShape shape;       // the geometry
  float activation_min;  // the fused activation's lower bound (-HUGE_VALF: none)
  float activation_max;  // the fused activation's upper bound (HUGE_VALF: none)
};

/// int8 SVDF with int16 (or int8) time weights and state, as TFLite Micro's
/// EvalIntegerSvdfReference.
struct SvdfS8Params {
  SvdfShape shape;            // the geometry
  int32_t state_zero_point;   // the state's zero point (0 for int16 state)
  int32_t output_zero_point;  // in [-128, 127]
  // input scale * feature weights scale / state scale, Q31 (QuantizeMultiplier)
  int32_t feature_multiplier;
  int32_t feature_shift;      // its shift, TFLite convention: > 0 shifts left
  // state scale * time weights scale / output scale, Q31 (QuantizeMultiplier)
  int32_t time_multiplier;
  int32_t time_shift;         // its shift, TFLite convention: > 0 shifts left
  // [FILTERS] -input zero point * (row sum of weights_feature), so that TFLite's sum of w * (x
  // - zero point) is this plus a plain dot product (modulo 2^32, as its int32 sum); nullptr:
  // input zero point 0
  const int32_t* feature_offset;
  // [UNITS] -state zero point * (sum of the unit's RANK rows of weights_time), likewise for
  // the time filter; nullptr: state zero point 0 (int16 state)
  const int32_t* time_offset;
};

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_PARAMS_SVDF_HPP
