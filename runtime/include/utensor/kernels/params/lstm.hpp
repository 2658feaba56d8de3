// Written by `python -m utensor.kernel_params --write` from the table in
// scripts/utensor/kernel_params.py. Do not edit: change the table and regenerate. Generated
// models check at compile time that these structs are laid out as the table says.
#ifndef UTENSOR_KERNELS_PARAMS_LSTM_HPP
#define UTENSOR_KERNELS_PARAMS_LSTM_HPP

// UNIDIRECTIONAL_SEQUENCE_LSTM's parameters (kernels/lstm.hpp states the layouts and the step).

#include <stdint.h>

namespace utensor {
namespace kernels {

/// float32 LSTM without peephole, projection, layer norm or CIFG; input [BATCHES, TIME, INPUT]
/// (time major: [TIME, BATCHES, INPUT]), output likewise with UNITS.
struct LstmF32Params {
  int32_t batches;     // BATCHES
  int32_t time_steps;  // TIME
  int32_t input_size;  // INPUT
  int32_t units;       // UNITS (cells = outputs)
  int32_t time_major;  // 1: [TIME, BATCHES, ...] layouts
  float cell_clip;     // > 0: the cell state is clamped to [-cell_clip, cell_clip]
};

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_PARAMS_LSTM_HPP
