#ifndef UTENSOR_KERNELS_LSTM_HPP
#define UTENSOR_KERNELS_LSTM_HPP

// UNIDIRECTIONAL_SEQUENCE_LSTM as TensorFlow Lite Micro computes it (float32, int8 and 16x8;
// the standard cell: no peephole, projection, layer norm or CIFG). Weights: input_to_* [UNITS, INPUT],
// recurrent_to_* [UNITS, UNITS], biases [UNITS], gates in TFLite's order input, forget,
// cell, output. Per time step and batch:
//   gate = (W_x . x + bias) + W_h . h   (sigmoid for input/forget/output, tanh for cell)
//   c = f * c + i * g (clamped to +-cell_clip when > 0);  h = o * tanh(c);  output[t] = h.
// h (output state) and c (cell state) are variable tensors: they carry over between
// invokes (the arena's state region) and a model's reset() zeroes them.

#include <stdint.h>

#include "utensor/kernels/params/lstm.hpp"

namespace utensor {
namespace kernels {

/// w_x[4] / w_h[4] / bias[4]: the input, forget, cell and output gates' tensors.
/// scratch: 4 * UNITS floats.
void lstm_f32(const LstmF32Params& params, const float* input, const float* w_xi, const float* w_xf,
              const float* w_xc, const float* w_xo, const float* w_hi, const float* w_hf,
              const float* w_hc, const float* w_ho, const float* b_i, const float* b_f,
              const float* b_c, const float* b_o, float* output_state, float* cell_state,
              float* output, float* scratch);

/// int8 input/weights/output state/output, int16 cell state (TFLite's full-integer LSTM;
/// TFLite Micro's EvalLstm<int8_t, int8_t, int16_t, int32_t>). The gate biases are folded
/// into params.input_bias; scratch: 4 * UNITS int16 (the gates of one step).
void lstm_s8(const LstmS8Params& params, const int8_t* input, const int8_t* w_xi, const int8_t* w_xf,
             const int8_t* w_xc, const int8_t* w_xo, const int8_t* w_hi, const int8_t* w_hf,
             const int8_t* w_hc, const int8_t* w_ho, int8_t* output_state, int16_t* cell_state,
             int8_t* output, int16_t* scratch);

/// 16x8: int16 input/output state/output, int8 weights, int16 cell state (TFLite Micro's
/// EvalLstm<int16_t, int8_t, int16_t, int64_t>). The int64 gate biases and the zero points
/// are folded into params.input_bias / recurrent_bias; scratch: 5 * UNITS + INPUT int16
/// (the gates of one step, the step's activations as detail/dot_s16x8.hpp reads them).
void lstm_s16(const LstmS16Params& params, const int16_t* input, const int8_t* w_xi, const int8_t* w_xf,
              const int8_t* w_xc, const int8_t* w_xo, const int8_t* w_hi, const int8_t* w_hf,
              const int8_t* w_hc, const int8_t* w_ho, int16_t* output_state, int16_t* cell_state,
              int16_t* output, int16_t* scratch);

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_LSTM_HPP
