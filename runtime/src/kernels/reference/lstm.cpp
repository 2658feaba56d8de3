#include "utensor/kernels/lstm.hpp"

#include <math.h>

// Products rounded before each add, in TFLite's order (see fully_connected.cpp).
#if defined(__clang__)
#define UTENSOR_NO_FP_CONTRACT
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#define UTENSOR_NO_FP_CONTRACT __attribute__((optimize("fp-contract=off")))
#else
#define UTENSOR_NO_FP_CONTRACT
#endif

namespace utensor {
namespace kernels {

namespace {

// TFLite's float logistic, with its cut-offs (activations.cpp logistic_f32).
inline float sigmoid(float v) {
  if (v > 16.619047164916992188f) return 1.0f;
  if (v < -9.0f) return expf(v);
  return 1.0f / (1.0f + expf(-v));
}

// One gate for one batch row: (W_x . x + bias) + W_h . h, as TFLM's two fully connected
// layers and their elementwise sum.
UTENSOR_NO_FP_CONTRACT
void gate(const float* x, int32_t n_in, const float* h, int32_t units, const float* w_x,
          const float* w_h, const float* bias, float* out) {
  for (int32_t u = 0; u < units; ++u) {
    float a = 0.0f;
    const float* wx = w_x + u * n_in;
    for (int32_t i = 0; i < n_in; ++i) a += x[i] * wx[i];
    a += bias[u];
    float r = 0.0f;
    const float* wh = w_h + u * units;
    for (int32_t j = 0; j < units; ++j) r += h[j] * wh[j];
    out[u] = a + r;
  }
}

}  // namespace

UTENSOR_NO_FP_CONTRACT
void lstm_f32(const LstmF32Params& p, const float* input, const float* w_xi, const float* w_xf,
              const float* w_xc, const float* w_xo, const float* w_hi, const float* w_hf,
              const float* w_hc, const float* w_ho, const float* b_i, const float* b_f,
              const float* b_c, const float* b_o, float* output_state, float* cell_state,
              float* output, float* scratch) {
  const int32_t n = p.units;
  float* gi = scratch;
  float* gf = scratch + n;
  float* gc = scratch + 2 * n;
  float* go = scratch + 3 * n;
  // Batches are independent: each runs its whole sequence on its own state row.
  for (int32_t b = 0; b < p.batches; ++b) {
    float* h = output_state + b * n;
    float* c = cell_state + b * n;
    for (int32_t t = 0; t < p.time_steps; ++t) {
      const int32_t row = p.time_major ? t * p.batches + b : b * p.time_steps + t;
      const float* x = input + row * p.input_size;
      gate(x, p.input_size, h, n, w_xi, w_hi, b_i, gi);
      gate(x, p.input_size, h, n, w_xf, w_hf, b_f, gf);
      gate(x, p.input_size, h, n, w_xc, w_hc, b_c, gc);
      gate(x, p.input_size, h, n, w_xo, w_ho, b_o, go);
      float* y = output + row * n;
      for (int32_t u = 0; u < n; ++u) {
        const float i_g = sigmoid(gi[u]);
        const float f_g = sigmoid(gf[u]);
        const float c_g = tanhf(gc[u]);
        const float o_g = sigmoid(go[u]);
        float cell = c[u] * f_g;
        cell = cell + i_g * c_g;
        if (p.cell_clip > 0.0f) {
          cell = cell > p.cell_clip ? p.cell_clip : (cell < -p.cell_clip ? -p.cell_clip : cell);
        }
        c[u] = cell;
        y[u] = o_g * tanhf(cell);
      }
      for (int32_t u = 0; u < n; ++u) h[u] = y[u];
    }
  }
}

}  // namespace kernels
}  // namespace utensor
