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

/// int8 LSTM with int16 gates and cell state, as TFLite Micro's integer EvalLstm (the standard
/// cell; layouts as LstmF32Params). Per gate, in the order input, forget, cell, output: the
/// input and recurrent products are requantized to int16 Q3.12 separately, added with
/// saturation and activated (int16 LUT sigmoid/tanh, Q0.15).
struct LstmS8Params {
  int32_t batches;                          // BATCHES
  int32_t time_steps;                       // TIME
  int32_t input_size;                       // INPUT
  int32_t units;                            // UNITS (cells = outputs)
  int32_t time_major;                       // 1: [TIME, BATCHES, ...] layouts
  // [4 * UNITS] gate bias + input offset * (row sum of the gate's input weights) + the zero
  // points' product times INPUT, gate by gate (the constant part of TFLM's sum of (w - w_zp) *
  // (x - x_zp), modulo 2^32 as its int32 sums)
  const int32_t* input_bias;
  // [4 * UNITS] output-state offset * (row sum of the gate's recurrent weights) + the zero
  // points' product times UNITS
  const int32_t* recurrent_bias;
  // per gate: its input weights' zero point (TFLM's FC subtracts it; 0 as TensorFlow writes
  // them)
  int32_t input_weights_zero_point[4];
  int32_t recurrent_weights_zero_point[4];  // per gate: its recurrent weights' zero point
  // per gate: input scale * input weights scale / 2^-12, Q31 (QuantizeMultiplier)
  int32_t input_multiplier[4];
  int32_t input_shift[4];                   // their shifts, TFLite convention: > 0 shifts left
  // per gate: output-state scale * recurrent weights scale / 2^-12, Q31
  int32_t recurrent_multiplier[4];
  int32_t recurrent_shift[4];               // their shifts
  int32_t forget_multiplier;  // 2^-15 * cell scale / cell scale, Q31 (forget gate x cell)
  int32_t forget_shift;                     // its shift
  int32_t input_cell_multiplier;  // 2^-15 * 2^-15 / cell scale, Q31 (input gate x cell gate)
  int32_t input_cell_shift;                 // its shift
  int32_t hidden_multiplier;  // 2^-15 * 2^-15 / output-state scale, Q31 (output gate x tanh(cell))
  int32_t hidden_shift;                     // its shift
  int32_t hidden_zero_point;                // the output state's zero point, in [-128, 127]
  // tanh(cell) input factor: 3 * 2^(12 + log2(cell scale)) when that exponent >= 0, else 3
  // (TFLM's int16 Tanh with its power-of-two case folded)
  int32_t tanh_multiplier;
  int32_t tanh_shift;                       // tanh(cell) input right shift (rounded), >= 0
  int32_t cell_clip;  // > 0: the cell state is clamped to [-cell_clip, cell_clip] (int16)
  // [256] sigmoid(k / 24) in unsigned 0.16 (ops/_lut16.py sigmoid_table_u16)
  const uint16_t* sigmoid_table;
};

/// 16x8 LSTM: int16 input, output state and output, int8 weights, int64 biases, int16 gates and
/// cell state, as TFLite Micro's EvalLstm<int16_t, int8_t, int16_t, int64_t> (layouts as
/// LstmF32Params). The gates' fully connected layers sum in int64 and requantize with TFLite's
/// 64-bit MultiplyByQuantizedMultiplier; the rest is the int8 LSTM's arithmetic with int16
/// output saturation.
struct LstmS16Params {
  int32_t batches;                          // BATCHES
  int32_t time_steps;                       // TIME
  int32_t input_size;                       // INPUT
  int32_t units;                            // UNITS (cells = outputs)
  int32_t time_major;                       // 1: [TIME, BATCHES, ...] layouts
  // [4 * UNITS] gate bias - input zero point * (row sum of the gate's input weights) + the
  // zero points' product times INPUT, gate by gate (the constant part of TFLM's sum of (w -
  // w_zp) * (x - x_zp), exact in int64)
  const int64_t* input_bias;
  // [4 * UNITS] - output-state zero point * (row sum of the gate's recurrent weights) + the
  // zero points' product times UNITS
  const int64_t* recurrent_bias;
  // per gate: its input weights' zero point (TFLM's FC subtracts it; 0 as TensorFlow writes
  // them)
  int32_t input_weights_zero_point[4];
  int32_t recurrent_weights_zero_point[4];  // per gate: its recurrent weights' zero point
  // per gate: input scale * input weights scale / 2^-12 as TFLite's 64-bit
  // MultiplyByQuantizedMultiplier uses it: the Q31 multiplier rounded to Q15
  int32_t input_multiplier[4];
  int32_t input_shift[4];  // their right shifts (15 - the Q31 shift, in [8, 46]), rounding half up
  // per gate: output-state scale * recurrent weights scale / 2^-12, Q15 likewise
  int32_t recurrent_multiplier[4];
  int32_t recurrent_shift[4];               // their right shifts
  int32_t forget_multiplier;  // 2^-15 * cell scale / cell scale, Q31 (forget gate x cell)
  int32_t forget_shift;                     // its shift
  int32_t input_cell_multiplier;  // 2^-15 * 2^-15 / cell scale, Q31 (input gate x cell gate)
  int32_t input_cell_shift;                 // its shift
  int32_t hidden_multiplier;  // 2^-15 * 2^-15 / output-state scale, Q31 (output gate x tanh(cell))
  int32_t hidden_shift;                     // its shift
  int32_t hidden_zero_point;                // the output state's zero point, in [-32768, 32767]
  // tanh(cell) input factor: 3 * 2^(12 + log2(cell scale)) when that exponent >= 0, else 3
  // (TFLM's int16 Tanh with its power-of-two case folded)
  int32_t tanh_multiplier;
  int32_t tanh_shift;                       // tanh(cell) input right shift (rounded), >= 0
  int32_t cell_clip;  // > 0: the cell state is clamped to [-cell_clip, cell_clip] (int16)
  // [256] sigmoid(k / 24) in unsigned 0.16 (ops/_lut16.py sigmoid_table_u16)
  const uint16_t* sigmoid_table;
};

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_PARAMS_LSTM_HPP
