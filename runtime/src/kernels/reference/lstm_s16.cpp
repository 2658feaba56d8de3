// The 16x8 UNIDIRECTIONAL_SEQUENCE_LSTM (int16 activations, int8 weights, int64 biases,
// int16 gates and cell state), as TensorFlow Lite Micro's EvalLstm<int16_t, int8_t,
// int16_t, int64_t> computes it (lstm_eval.h: CalculateLstmGate, UpdateLstmCell,
// UpdateLstmHidden). It differs from the int8 LSTM (lstm_s8.cpp) in the gates' fully
// connected layers, which are TFLite's 16x8 FullyConnected: an int64 sum requantized by the
// 64-bit MultiplyByQuantizedMultiplier (its Q15 form precomputed), and in the int16 range of
// the output state. The converter (scripts/utensor/ops/_lstm_s16.py) precomputes every
// multiplier and folds the gate biases and zero points into params.input_bias and
// params.recurrent_bias. The products use detail::dot2_s16x8_s64 (Helium, DSP or portable:
// the same exact sums), so this one file serves every core.

#include "utensor/kernels/detail/dot_s16x8.hpp"
#include "utensor/kernels/detail/sigmoid_s16.hpp"
#include "utensor/kernels/fixedpoint.hpp"
#include "utensor/kernels/lstm.hpp"

namespace utensor {
namespace kernels {

namespace {

inline int16_t SaturateI16(int32_t v) {
  return static_cast<int16_t>(v > 32767 ? 32767 : (v < -32768 ? -32768 : v));
}

// TFLite's int16 Logistic with input_multiplier 0 and input_left_shift 0 (what the LSTM
// passes): a Q3.12 input is the table's units times 3.
inline int16_t SigmoidQ312(const uint16_t* table, int16_t x) {
  return detail::sigmoid_s16(table, static_cast<int32_t>(x) * 3);
}

// TFLite's int16 Tanh after its input rescale (x * multiplier + round) >> shift.
inline int16_t TanhS16(const uint16_t* table, int16_t x, int32_t multiplier, int32_t shift) {
  const int32_t round = shift > 0 ? (1 << (shift - 1)) : 0;
  return detail::tanh_s16(table, (static_cast<int32_t>(x) * multiplier + round) >> shift);
}

// TFLite's 64-bit MultiplyByQuantizedMultiplier (detail/s16_requant.hpp) with its Q15
// multiplier and right shift precomputed by the converter, then the FC's int16 clamp.
inline int16_t GateFc(int64_t acc, int32_t multiplier_q15, int32_t right_shift) {
  const int64_t product = acc * multiplier_q15 + (static_cast<int64_t>(1) << (right_shift - 1));
  // Arithmetic shift of a negative int64: implementation-defined before C++20, arithmetic
  // on every compiler the runtime supports (as TFLite itself assumes).
  return SaturateI16(static_cast<int32_t>(product >> right_shift));
}

// The four gates of one batch row, before their activations: per gate the input and
// recurrent fully connected layers requantized to int16 Q3.12 each (TFLM runs them as two
// layers with their own multipliers) and added with saturation. Unit by unit, two gates at
// a time, so each activation load serves two weight rows.
void gate_preactivations(const LstmS16Params& p, const int16_t* x, const int16_t* h,
                         const int8_t* const w_x[4], const int8_t* const w_h[4], int16_t* gates) {
  const int32_t n_in = p.input_size;
  const int32_t n = p.units;
  // Weights with a zero point (TensorFlow writes none; TFLM applies them): their share of
  // the sums is -zero point * (sum of the activations), the rest is in the biases.
  bool weight_zero_points = false;
  for (int g = 0; g < 4; ++g) {
    weight_zero_points |= p.input_weights_zero_point[g] != 0 || p.recurrent_weights_zero_point[g] != 0;
  }
  int64_t sum_x = 0;
  int64_t sum_h = 0;
  if (weight_zero_points) {
    for (int32_t i = 0; i < n_in; ++i) sum_x += x[i];
    for (int32_t i = 0; i < n; ++i) sum_h += h[i];
  }
  for (int32_t u = 0; u < n; ++u) {
    int64_t ax[4];
    int64_t ah[4];
    for (int g = 0; g < 4; ++g) {
      ax[g] = p.input_bias[g * n + u];
      ah[g] = p.recurrent_bias[g * n + u];
    }
    if (weight_zero_points) {  // never in TensorFlow's models: kept off the common path
      for (int g = 0; g < 4; ++g) {
        ax[g] -= static_cast<int64_t>(p.input_weights_zero_point[g]) * sum_x;
        ah[g] -= static_cast<int64_t>(p.recurrent_weights_zero_point[g]) * sum_h;
      }
    }
    for (int g = 0; g < 4; g += 2) {
      detail::dot2_s16x8_s64(w_x[g] + u * n_in, w_x[g + 1] + u * n_in, x, n_in, ax[g], ax[g + 1]);
      detail::dot2_s16x8_s64(w_h[g] + u * n, w_h[g + 1] + u * n, h, n, ah[g], ah[g + 1]);
    }
    for (int g = 0; g < 4; ++g) {
      const int32_t qx = GateFc(ax[g], p.input_multiplier[g], p.input_shift[g]);
      const int32_t qh = GateFc(ah[g], p.recurrent_multiplier[g], p.recurrent_shift[g]);
      gates[g * n + u] = SaturateI16(qx + qh);
    }
  }
}

}  // namespace

void lstm_s16(const LstmS16Params& p, const int16_t* input, const int8_t* w_xi, const int8_t* w_xf,
              const int8_t* w_xc, const int8_t* w_xo, const int8_t* w_hi, const int8_t* w_hf,
              const int8_t* w_hc, const int8_t* w_ho, int16_t* output_state, int16_t* cell_state,
              int16_t* output, int16_t* scratch) {
  const int32_t n = p.units;
  int16_t* gi = scratch;
  int16_t* gf = scratch + n;
  int16_t* gc = scratch + 2 * n;
  int16_t* go = scratch + 3 * n;
  int16_t* x_operand = scratch + 4 * n;
  int16_t* h_operand = x_operand + p.input_size;
  const int8_t* const w_x[4] = {w_xi, w_xf, w_xc, w_xo};
  const int8_t* const w_h[4] = {w_hi, w_hf, w_hc, w_ho};
  // Every operation is per batch row (TFLM batches only time-major steps, row by row), so
  // each batch runs its whole sequence on its own state row.
  for (int32_t b = 0; b < p.batches; ++b) {
    int16_t* h = output_state + b * n;
    int16_t* c = cell_state + b * n;
    for (int32_t t = 0; t < p.time_steps; ++t) {
      const int32_t row = p.time_major ? t * p.batches + b : b * p.time_steps + t;
      const int16_t* x = input + row * p.input_size;
      // All four gates read the previous output state: it changes only at the step's end.
      gate_preactivations(p, detail::s16x8_operand(x, p.input_size, x_operand),
                          detail::s16x8_operand(h, n, h_operand), w_x, w_h, scratch);
      int16_t* y = output + row * n;
      for (int32_t u = 0; u < n; ++u) {
        const int32_t i_g = SigmoidQ312(p.sigmoid_table, gi[u]);
        const int32_t f_g = SigmoidQ312(p.sigmoid_table, gf[u]);
        // The cell gate's tanh takes Q3.12 directly (TFLM's Tanh with scale power -12).
        const int32_t c_g = TanhS16(p.sigmoid_table, gc[u], 3, 0);
        const int32_t o_g = SigmoidQ312(p.sigmoid_table, go[u]);
        const int32_t kept = SaturateI16(MultiplyByQuantizedMultiplier(f_g * c[u], p.forget_multiplier,
                                                                       p.forget_shift));
        const int32_t added = SaturateI16(MultiplyByQuantizedMultiplier(i_g * c_g, p.input_cell_multiplier,
                                                                        p.input_cell_shift));
        int16_t cell = SaturateI16(kept + added);
        if (p.cell_clip > 0) {
          const int16_t clip = static_cast<int16_t>(p.cell_clip);
          cell = cell > clip ? clip : (cell < -clip ? static_cast<int16_t>(-clip) : cell);
        }
        c[u] = cell;
        const int32_t tanh_c = TanhS16(p.sigmoid_table, cell, p.tanh_multiplier, p.tanh_shift);
        y[u] = SaturateI16(p.hidden_zero_point +
                           MultiplyByQuantizedMultiplier(tanh_c * o_g, p.hidden_multiplier, p.hidden_shift));
      }
      for (int32_t u = 0; u < n; ++u) h[u] = y[u];
    }
  }
}

}  // namespace kernels
}  // namespace utensor
