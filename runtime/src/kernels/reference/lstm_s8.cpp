// UNIDIRECTIONAL_SEQUENCE_LSTM on int8 activations with int16 gates and cell state, as
// TensorFlow Lite Micro's integer EvalLstm computes it (lstm_eval.h: LstmStep with
// CalculateLstmGate, UpdateLstmCell, UpdateLstmHidden). Every multiplier is precomputed by
// the converter (scripts/utensor/ops/_lstm_int.py); the activations are TFLite's int16
// lookup-table sigmoid and tanh (detail/sigmoid_s16.hpp, the converter's table).
// The gates' matrix-vector products use detail::dot_s8 (Helium, DSP or portable: the same
// exact int32 sums), so this one file serves every core.

#include "utensor/kernels/detail/dot_s8.hpp"
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

// One gate for one batch row, before its activation: the input and recurrent fully
// connected layers requantized to int16 Q3.12 each (TFLM runs them as two layers with
// their own multipliers) and added with int16 saturation.
// sum_x / sum_h: the activations' sums, for weights with a zero point (TFLM subtracts it
// from every weight: -zero point * sum, the same for all of a gate's units). All in uint32:
// TFLM's int32 sums wrap.
void gate_preactivation(const LstmS8Params& p, int g, const int8_t* x, const int8_t* h,
                        const int8_t* w_x, const int8_t* w_h, uint32_t sum_x, uint32_t sum_h, int16_t* out) {
  const int32_t n_in = p.input_size;
  const int32_t n = p.units;
  const int32_t* bx = p.input_bias + g * n;
  const int32_t* bh = p.recurrent_bias + g * n;
  const uint32_t off_x = static_cast<uint32_t>(p.input_weights_zero_point[g]) * sum_x;
  const uint32_t off_h = static_cast<uint32_t>(p.recurrent_weights_zero_point[g]) * sum_h;
  for (int32_t u = 0; u < n; ++u) {
    const int32_t ax =
        detail::dot_s8(static_cast<int32_t>(static_cast<uint32_t>(bx[u]) - off_x), w_x + u * n_in, x, n_in);
    const int32_t ah =
        detail::dot_s8(static_cast<int32_t>(static_cast<uint32_t>(bh[u]) - off_h), w_h + u * n, h, n);
    const int32_t qx = SaturateI16(MultiplyByQuantizedMultiplier(ax, p.input_multiplier[g], p.input_shift[g]));
    const int32_t qh =
        SaturateI16(MultiplyByQuantizedMultiplier(ah, p.recurrent_multiplier[g], p.recurrent_shift[g]));
    out[u] = SaturateI16(qx + qh);
  }
}

}  // namespace

void lstm_s8(const LstmS8Params& p, const int8_t* input, const int8_t* w_xi, const int8_t* w_xf,
             const int8_t* w_xc, const int8_t* w_xo, const int8_t* w_hi, const int8_t* w_hf,
             const int8_t* w_hc, const int8_t* w_ho, int8_t* output_state, int16_t* cell_state,
             int8_t* output, int16_t* scratch) {
  const int32_t n = p.units;
  int16_t* gi = scratch;
  int16_t* gf = scratch + n;
  int16_t* gc = scratch + 2 * n;
  int16_t* go = scratch + 3 * n;
  bool weight_zero_points = false;
  for (int g = 0; g < 4; ++g) {
    weight_zero_points |= p.input_weights_zero_point[g] != 0 || p.recurrent_weights_zero_point[g] != 0;
  }
  // Every operation is per batch row (TFLM batches only time-major steps, row by row), so
  // each batch runs its whole sequence on its own state row.
  for (int32_t b = 0; b < p.batches; ++b) {
    int8_t* h = output_state + b * n;
    int16_t* c = cell_state + b * n;
    for (int32_t t = 0; t < p.time_steps; ++t) {
      const int32_t row = p.time_major ? t * p.batches + b : b * p.time_steps + t;
      const int8_t* x = input + row * p.input_size;
      uint32_t sum_x = 0;
      uint32_t sum_h = 0;
      if (weight_zero_points) {
        for (int32_t i = 0; i < p.input_size; ++i) sum_x += static_cast<uint32_t>(static_cast<int32_t>(x[i]));
        for (int32_t i = 0; i < n; ++i) sum_h += static_cast<uint32_t>(static_cast<int32_t>(h[i]));
      }
      // All four gates read the previous output state: it changes only at the step's end.
      gate_preactivation(p, 0, x, h, w_xi, w_hi, sum_x, sum_h, gi);
      gate_preactivation(p, 1, x, h, w_xf, w_hf, sum_x, sum_h, gf);
      gate_preactivation(p, 2, x, h, w_xc, w_hc, sum_x, sum_h, gc);
      gate_preactivation(p, 3, x, h, w_xo, w_ho, sum_x, sum_h, go);
      int8_t* y = output + row * n;
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
        int32_t hv = p.hidden_zero_point +
                     MultiplyByQuantizedMultiplier(tanh_c * o_g, p.hidden_multiplier, p.hidden_shift);
        hv = hv > 127 ? 127 : (hv < -128 ? -128 : hv);
        y[u] = static_cast<int8_t>(hv);
      }
      for (int32_t u = 0; u < n; ++u) h[u] = y[u];
    }
  }
}

}  // namespace kernels
}  // namespace utensor
