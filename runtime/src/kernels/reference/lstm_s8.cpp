// UNIDIRECTIONAL_SEQUENCE_LSTM on int8 activations with int16 gates and cell state, as
// TensorFlow Lite Micro's integer EvalLstm computes it (lstm_eval.h: LstmStep with
// CalculateLstmGate, UpdateLstmCell, UpdateLstmHidden). Every multiplier is precomputed by
// the converter (scripts/utensor/ops/_lstm_int.py); the activations are TFLite's int16
// lookup-table sigmoid and tanh, whose interpolation this file reproduces bit for bit.
// The gates' matrix-vector products use detail::dot_s8 (Helium, DSP or portable: the same
// exact int32 sums), so this one file serves every core.

#include "utensor/kernels/detail/dot_s8.hpp"
#include "utensor/kernels/fixedpoint.hpp"
#include "utensor/kernels/lstm.hpp"

namespace utensor {
namespace kernels {

namespace {

// sigmoid(i / 24) in unsigned Q0.16, i = 0..255, the table TFLite's int16 LOGISTIC and
// TANH interpolate (tensorflow/lite/kernels/internal/common.h). It is not exactly
// round(65536 * sigmoid(i / 24)) (entry 4 and the last differ by one), so it is data, not
// a formula.
const uint16_t kSigmoidTable[256] = {
    32768, 33451, 34133, 34813, 35493, 36169, 36843, 37513, 38180, 38841, 39498, 40149,
    40794, 41432, 42064, 42688, 43304, 43912, 44511, 45102, 45683, 46255, 46817, 47369,
    47911, 48443, 48964, 49475, 49975, 50464, 50942, 51409, 51865, 52311, 52745, 53169,
    53581, 53983, 54374, 54755, 55125, 55485, 55834, 56174, 56503, 56823, 57133, 57433,
    57724, 58007, 58280, 58544, 58800, 59048, 59288, 59519, 59743, 59959, 60168, 60370,
    60565, 60753, 60935, 61110, 61279, 61441, 61599, 61750, 61896, 62036, 62172, 62302,
    62428, 62549, 62666, 62778, 62886, 62990, 63090, 63186, 63279, 63368, 63454, 63536,
    63615, 63691, 63765, 63835, 63903, 63968, 64030, 64090, 64148, 64204, 64257, 64308,
    64357, 64405, 64450, 64494, 64536, 64576, 64614, 64652, 64687, 64721, 64754, 64786,
    64816, 64845, 64873, 64900, 64926, 64950, 64974, 64997, 65019, 65039, 65060, 65079,
    65097, 65115, 65132, 65149, 65164, 65179, 65194, 65208, 65221, 65234, 65246, 65258,
    65269, 65280, 65291, 65301, 65310, 65319, 65328, 65337, 65345, 65352, 65360, 65367,
    65374, 65381, 65387, 65393, 65399, 65404, 65410, 65415, 65420, 65425, 65429, 65433,
    65438, 65442, 65445, 65449, 65453, 65456, 65459, 65462, 65465, 65468, 65471, 65474,
    65476, 65479, 65481, 65483, 65485, 65488, 65489, 65491, 65493, 65495, 65497, 65498,
    65500, 65501, 65503, 65504, 65505, 65507, 65508, 65509, 65510, 65511, 65512, 65513,
    65514, 65515, 65516, 65517, 65517, 65518, 65519, 65520, 65520, 65521, 65522, 65522,
    65523, 65523, 65524, 65524, 65525, 65525, 65526, 65526, 65526, 65527, 65527, 65528,
    65528, 65528, 65529, 65529, 65529, 65529, 65530, 65530, 65530, 65530, 65531, 65531,
    65531, 65531, 65531, 65532, 65532, 65532, 65532, 65532, 65532, 65533, 65533, 65533,
    65533, 65533, 65533, 65533, 65533, 65534, 65534, 65534, 65534, 65534, 65534, 65534,
    65534, 65534, 65534, 65535,
};

inline int16_t SaturateI16(int32_t v) {
  return static_cast<int16_t>(v > 32767 ? 32767 : (v < -32768 ? -32768 : v));
}

// TFLite's reference_integer_ops::Logistic on int16 with input_multiplier 0 and
// input_left_shift 0 (what the LSTM passes): a Q3.12 input scaled by 3, the table read at
// 2^9 steps of |x|, the result in Q0.15.
inline int16_t SigmoidQ312(int16_t x) {
  const int32_t v = static_cast<int32_t>(x) * 3;
  const uint32_t a = static_cast<uint32_t>(v >= 0 ? v : -v);
  const uint32_t uh = a >> 9;
  uint32_t r;
  if (uh >= 255) {
    r = 0x7FFFu << 10;
  } else {
    const uint32_t ua = kSigmoidTable[uh];
    const uint32_t ub = kSigmoidTable[uh + 1];
    r = (ua << 9) + (a & 0x1FFu) * (ub - ua);
  }
  r = v >= 0 ? r + (1u << 9) : (1u << 25) - r + (1u << 9) - 1u;
  return static_cast<int16_t>(r >> 10);
}

// TFLite's reference_integer_ops::Tanh on int16 (tanh(x) = 2 sigmoid(2x) - 1: the table
// read at 2^8 steps) after its input rescale (x * multiplier + round) >> shift.
inline int16_t TanhS16(int16_t x, int32_t multiplier, int32_t shift) {
  const int32_t round = shift > 0 ? (1 << (shift - 1)) : 0;
  const int32_t v = (static_cast<int32_t>(x) * multiplier + round) >> shift;
  const uint32_t a = static_cast<uint32_t>(v >= 0 ? v : -v);
  const uint32_t uh = a >> 8;
  int32_t r;
  if (uh >= 255) {
    r = 0xFFFF << 8;
  } else {
    const uint32_t ua = kSigmoidTable[uh];
    const uint32_t ub = kSigmoidTable[uh + 1];
    r = static_cast<int32_t>((ua << 8) + (a & 0xFFu) * (ub - ua));
  }
  r = v >= 0 ? r - (1 << 23) + (1 << 7) : -r + (1 << 23) + (1 << 7) - 1;
  return static_cast<int16_t>(r >> 8);
}

// One gate for one batch row, before its activation: the input and recurrent fully
// connected layers requantized to int16 Q3.12 each (TFLM runs them as two layers with
// their own multipliers) and added with int16 saturation.
void gate_preactivation(const LstmS8Params& p, int g, const int8_t* x, const int8_t* h,
                        const int8_t* w_x, const int8_t* w_h, int16_t* out) {
  const int32_t n_in = p.input_size;
  const int32_t n = p.units;
  const int32_t* bx = p.input_bias + g * n;
  const int32_t* bh = p.recurrent_bias + g * n;
  for (int32_t u = 0; u < n; ++u) {
    const int32_t ax = detail::dot_s8(bx[u], w_x + u * n_in, x, n_in);
    const int32_t ah = detail::dot_s8(bh[u], w_h + u * n, h, n);
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
  // Every operation is per batch row (TFLM batches only time-major steps, row by row), so
  // each batch runs its whole sequence on its own state row.
  for (int32_t b = 0; b < p.batches; ++b) {
    int8_t* h = output_state + b * n;
    int16_t* c = cell_state + b * n;
    for (int32_t t = 0; t < p.time_steps; ++t) {
      const int32_t row = p.time_major ? t * p.batches + b : b * p.time_steps + t;
      const int8_t* x = input + row * p.input_size;
      // All four gates read the previous output state: it changes only at the step's end.
      gate_preactivation(p, 0, x, h, w_xi, w_hi, gi);
      gate_preactivation(p, 1, x, h, w_xf, w_hf, gf);
      gate_preactivation(p, 2, x, h, w_xc, w_hc, gc);
      gate_preactivation(p, 3, x, h, w_xo, w_ho, go);
      int8_t* y = output + row * n;
      for (int32_t u = 0; u < n; ++u) {
        const int32_t i_g = SigmoidQ312(gi[u]);
        const int32_t f_g = SigmoidQ312(gf[u]);
        // The cell gate's tanh takes Q3.12 directly (TFLM's Tanh with scale power -12).
        const int32_t c_g = TanhS16(gc[u], 3, 0);
        const int32_t o_g = SigmoidQ312(go[u]);
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
        const int32_t tanh_c = TanhS16(cell, p.tanh_multiplier, p.tanh_shift);
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
