// int8 FULLY_CONNECTED for cores with integer Helium (MVE): sixteen multiply-accumulates
// per VMLADAVA, four output rows per pass so each input vector is loaded once; the depth
// tail is handled by predication. Same contract and the same integers as the reference
// kernel (an exact int32 sum in another order), hence the same bytes.
#include "utensor/kernels/arch.hpp"

#if UTENSOR_KERNELS_MVE

#include <arm_mve.h>

#include "utensor/kernels/fixedpoint.hpp"
#include "utensor/kernels/fully_connected.hpp"

namespace utensor {
namespace kernels {

namespace {

inline int8_t requantize(const FullyConnectedS8Params& p, int32_t acc, int32_t o) {
  const int ch = p.per_channel ? o : 0;
  const int32_t v =
      MultiplyByQuantizedMultiplier(acc, p.output_multiplier[ch], p.output_shift[ch]) +
      p.output_offset;
  return static_cast<int8_t>(ClampI32(v, p.activation_min, p.activation_max));
}

// sum_d w[d] * x[d] + offset * sum_d w[d], for one row.
inline int32_t dot_row(const int8_t* x, const int8_t* w, int32_t depth, int32_t offset) {
  int32_t acc = 0;
  int32_t wsum = 0;
  for (int32_t d = 0; d < depth; d += 16) {
    const mve_pred16_t p = vctp8q(static_cast<uint32_t>(depth - d));
    const int8x16_t wv = vldrbq_z_s8(w + d, p);
    acc = vmladavaq_p_s8(acc, vldrbq_z_s8(x + d, p), wv, p);
    wsum = vaddvaq_p_s8(wsum, wv, p);
  }
  return acc + offset * wsum;
}

}  // namespace

void fully_connected_s8(const FullyConnectedS8Params& params, const int8_t* input,
                        const int8_t* filter, const int32_t* bias, int8_t* output) {
  const int32_t depth = params.shape.accum_depth;
  const int32_t out_depth = params.shape.output_depth;
  const int32_t offset = params.input_offset;
  for (int32_t b = 0; b < params.shape.batches; ++b) {
    const int8_t* x = input + b * depth;
    int8_t* out = output + b * out_depth;
    int32_t o = 0;
    // The converter folds the input offset into the bias for constant weights, so the
    // four-row loop needs no weight sums.
    for (; offset == 0 && o + 4 <= out_depth; o += 4) {
      const int8_t* w0 = filter + o * depth;
      const int8_t* w1 = w0 + depth;
      const int8_t* w2 = w1 + depth;
      const int8_t* w3 = w2 + depth;
      int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
      for (int32_t d = 0; d < depth; d += 16) {
        const mve_pred16_t p = vctp8q(static_cast<uint32_t>(depth - d));
        const int8x16_t xv = vldrbq_z_s8(x + d, p);
        a0 = vmladavaq_p_s8(a0, xv, vldrbq_z_s8(w0 + d, p), p);
        a1 = vmladavaq_p_s8(a1, xv, vldrbq_z_s8(w1 + d, p), p);
        a2 = vmladavaq_p_s8(a2, xv, vldrbq_z_s8(w2 + d, p), p);
        a3 = vmladavaq_p_s8(a3, xv, vldrbq_z_s8(w3 + d, p), p);
      }
      if (bias) {
        a0 += bias[o];
        a1 += bias[o + 1];
        a2 += bias[o + 2];
        a3 += bias[o + 3];
      }
      out[o] = requantize(params, a0, o);
      out[o + 1] = requantize(params, a1, o + 1);
      out[o + 2] = requantize(params, a2, o + 2);
      out[o + 3] = requantize(params, a3, o + 3);
    }
    for (; o < out_depth; ++o) {
      int32_t acc = dot_row(x, filter + o * depth, depth, offset);
      if (bias) acc += bias[o];
      out[o] = requantize(params, acc, o);
    }
  }
}

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_MVE
