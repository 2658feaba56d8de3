// Written by `python -m utensor.kernel_params --write` from the table in
// scripts/utensor/kernel_params.py. Do not edit: change the table and regenerate. Generated
// models check at compile time that these structs are laid out as the table says.
#ifndef UTENSOR_KERNELS_PARAMS_FULLY_CONNECTED_HPP
#define UTENSOR_KERNELS_PARAMS_FULLY_CONNECTED_HPP

// FULLY_CONNECTED's parameters (kernels/fully_connected.hpp states the layouts and the faster
// forms).

#include <stdint.h>

#include "utensor/kernels/params/requant.hpp"

namespace utensor {
namespace kernels {

/// Input [BATCHES, ACCUM_DEPTH], output [BATCHES, OUTPUT_DEPTH].
struct FullyConnectedShape {
  int32_t batches;       // BATCHES
  int32_t accum_depth;   // ACCUM_DEPTH
  int32_t output_depth;  // OUTPUT_DEPTH
};

/// int8 fully connected layer.
struct FullyConnectedS8Params {
  FullyConnectedShape shape;    // the geometry
  int32_t input_offset;         // minus the input zero point (0 when folded into the bias)
  int32_t output_offset;        // the output zero point, in [-128, 127]
  // [OUTPUT_DEPTH] when per_channel != 0, else one entry: Q31 in [2^30, 2^31) (0 for a zero
  // scale)
  const int32_t* output_multiplier;
  const int32_t* output_shift;  // entries as output_multiplier; TFLite convention: > 0 shifts left
  int32_t per_channel;          // 1: one multiplier and shift per output channel
  int32_t activation_min;       // within [-128, 127]
  int32_t activation_max;       // within [-128, 127]
  // per channel (or one) entries, given only when the converter proved them exact; nullptr:
  // MultiplyByQuantizedMultiplier
  const detail::FastRequant* fast_requant;
  int32_t filter_layout;        // kFilterRows or kFilterInterleaved4
  // kFilterInterleaved4 only: 2 * ACCUM_DEPTH bytes, 4-aligned, for the widened input; nullptr
  // if none
  uint8_t* scratch;
};

/// 16x8 fully connected layer (int16 activations, zero point 0; int8 weights).
struct FullyConnectedS16Params {
  FullyConnectedShape shape;    // the geometry
  // [OUTPUT_DEPTH] when per_channel != 0, else one entry: Q31 (0 for a zero scale)
  const int32_t* output_multiplier;
  const int32_t* output_shift;  // entries as output_multiplier; TFLite convention, in [-31, 7]
  int32_t per_channel;          // 1: one multiplier and shift per output channel
  int32_t activation_min;       // within [-32768, 32767]
  int32_t activation_max;       // within [-32768, 32767]
  // 1: the converter proved that every output's sum of products fits int32 (32768 times the
  // largest sum of |weight| over one output's filter is below 2^31), so the DSP and Helium
  // kernels may accumulate the products in int32 and widen once before adding the int64 bias;
  // 0: they accumulate in int64 (SMLALD). The reference ignores it.
  int32_t acc32;
};

/// float32 fully connected layer.
struct FullyConnectedF32Params {
  FullyConnectedShape shape;  // the geometry
  float activation_min;       // the fused activation's lower bound (-HUGE_VALF: none)
  float activation_max;       // the fused activation's upper bound (HUGE_VALF: none)
};

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_PARAMS_FULLY_CONNECTED_HPP
