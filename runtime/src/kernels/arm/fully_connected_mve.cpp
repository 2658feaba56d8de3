// int8 FULLY_CONNECTED for cores with integer Helium (MVE): sixteen multiply-accumulates
// per VMLADAVA, four output rows per pass so each input vector is loaded once; the depth
// tail is handled by predication. Same contract and the same integers as the reference
// kernel (an exact int32 sum in another order), hence the same bytes.
#include "utensor/kernels/arch.hpp"

#if UTENSOR_KERNELS_MVE

#include <arm_mve.h>

#include "utensor/kernels/detail/fc_requant.hpp"
#include "utensor/kernels/detail/kernel_util.hpp"
#include "utensor/kernels/fixedpoint.hpp"
#include "utensor/kernels/fully_connected.hpp"

namespace utensor {
namespace kernels {

namespace {

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

// Four outputs of channels [o, o + 4) in the converter's fast form, vectorized:
// VQRDMULH(acc << left, m) is SMMULR(acc << (left + 1), m) (the multiplier is never
// INT32_MIN, so it cannot saturate), then x + offset - (x < 0) shifted right by post_shift
// is RoundingDivideByPOT plus the zero point; stored as 4 bytes after the clamp.
UTENSOR_HOT_INLINE void fast_requantize4(int32x4_t acc, int32x4_t left, int32x4_t mult,
                                         int32x4_t neg_post, int32x4_t offset, int32x4_t lo,
                                         int32x4_t hi, int8_t* out) {
  int32x4_t v = vqrdmulhq_s32(vshlq_s32(acc, left), mult);
  v = vaddq_s32(vaddq_s32(v, offset), vshrq_n_s32(v, 31));
  v = vshlq_s32(v, neg_post);
  vstrbq_s32(out, vminq_s32(vmaxq_s32(v, lo), hi));
}

// Rows [0, out_depth & ~3) with the fast requantization and input offset 0; returns the
// first row left.
int32_t rows4_fast(const FullyConnectedS8Params& params, const int8_t* x, const int8_t* filter,
                   const int32_t* bias, int8_t* out) {
  const int32_t depth = params.shape.accum_depth;
  const int32_t out_depth4 = params.shape.output_depth & ~3;
  const detail::FastRequant* fast = params.fast_requant;
  const int32x4_t lo = vdupq_n_s32(params.activation_min);
  const int32x4_t hi = vdupq_n_s32(params.activation_max);
  // Per-tensor: the constants once; per-channel: VLD4 splits 4 entries into 4 vectors.
  int32x4_t mult = vdupq_n_s32(fast[0].multiplier);
  int32x4_t left = vdupq_n_s32(fast[0].pre_shift - 1);
  int32x4_t neg_post = vdupq_n_s32(-fast[0].post_shift);
  int32x4_t offset = vdupq_n_s32(fast[0].offset);
  const int32x4_t zero = vdupq_n_s32(0);
  for (int32_t o = 0; o < out_depth4; o += 4) {
    const int8_t* w0 = filter + o * depth;
    const int8_t* w1 = w0 + depth;
    const int8_t* w2 = w1 + depth;
    const int8_t* w3 = w2 + depth;
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    // Whole vectors unpredicated (10 instructions per 64 multiply-accumulates with
    // post-incremented loads), the depth % 16 tail once with a predicate.
    const int8_t* xp = x;
    for (int32_t n = depth >> 4; n > 0; --n) {
      const int8x16_t xv = vldrbq_s8(xp);
      xp += 16;
      a0 = vmladavaq_s8(a0, xv, vldrbq_s8(w0));
      w0 += 16;
      a1 = vmladavaq_s8(a1, xv, vldrbq_s8(w1));
      w1 += 16;
      a2 = vmladavaq_s8(a2, xv, vldrbq_s8(w2));
      w2 += 16;
      a3 = vmladavaq_s8(a3, xv, vldrbq_s8(w3));
      w3 += 16;
    }
    if (depth & 15) {
      const mve_pred16_t p = vctp8q(static_cast<uint32_t>(depth & 15));
      const int8x16_t xv = vldrbq_z_s8(xp, p);
      a0 = vmladavaq_p_s8(a0, xv, vldrbq_z_s8(w0, p), p);
      a1 = vmladavaq_p_s8(a1, xv, vldrbq_z_s8(w1, p), p);
      a2 = vmladavaq_p_s8(a2, xv, vldrbq_z_s8(w2, p), p);
      a3 = vmladavaq_p_s8(a3, xv, vldrbq_z_s8(w3, p), p);
    }
    int32x4_t acc = vsetq_lane_s32(a3, vsetq_lane_s32(a2, vsetq_lane_s32(a1, vsetq_lane_s32(a0, zero, 0), 1), 2), 3);
    if (bias) acc = vaddq_s32(acc, vldrwq_s32(bias + o));
    if (params.per_channel) {
      const int32x4x4_t q = vld4q_s32(&fast[o].multiplier);
      mult = q.val[0];
      left = vsubq_s32(q.val[1], vdupq_n_s32(1));
      neg_post = vnegq_s32(q.val[2]);
      offset = q.val[3];
    }
    fast_requantize4(acc, left, mult, neg_post, offset, lo, hi, out + o);
  }
  return out_depth4;
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
    if (params.fast_requant && offset == 0) o = rows4_fast(params, x, filter, bias, out);
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
      out[o] = detail::fc_requantize(params, a0, o);
      out[o + 1] = detail::fc_requantize(params, a1, o + 1);
      out[o + 2] = detail::fc_requantize(params, a2, o + 2);
      out[o + 3] = detail::fc_requantize(params, a3, o + 3);
    }
    for (; o < out_depth; ++o) {
      int32_t acc = dot_row(x, filter + o * depth, depth, offset);
      if (bias) acc += bias[o];
      out[o] = detail::fc_requantize(params, acc, o);
    }
  }
}

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_MVE
