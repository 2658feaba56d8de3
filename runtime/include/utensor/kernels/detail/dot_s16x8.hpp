#ifndef UTENSOR_KERNELS_DETAIL_DOT_S16X8_HPP
#define UTENSOR_KERNELS_DETAIL_DOT_S16X8_HPP

// Two rows of int8 weights times one int16 activation vector: the 16x8 LSTM's gate products
// (two gates of one unit share the vector's loads). TFLite sums them in int64; one product
// is at most 2^22 in magnitude, so a block of up to kDotS16x8Block products fits int32
// exactly and the int32 sums of the Helium (VMLADAVA.S16 on VLDRB.S16-widened weights, 8
// products per instruction), DSP (SXTB16 + SMLAD, 2 per instruction) and portable loops are
// the same integers; the blocks add up in int64, TFLite's sum for any length.
//
// The DSP loop multiplies halfword pairs as SXTB16 unpacks a weight word (bytes 0 and 2,
// then 1 and 3), so it reads the activations from s16x8_operand's copy, permuted the same
// way within each group of four; the other variants read them as they are.

#include <stdint.h>
#include <string.h>

#include "utensor/kernels/arch.hpp"

#if UTENSOR_KERNELS_MVE
#include <arm_mve.h>
#elif UTENSOR_KERNELS_DSP
#include <arm_acle.h>
#endif

namespace utensor {
namespace kernels {
namespace detail {

/// Products per int32 block: 508 * 2^22 < 2^31, and a multiple of four so that blocks
/// start on s16x8_operand's groups.
const int32_t kDotS16x8Block = 508;

#if UTENSOR_KERNELS_MVE

inline const int16_t* s16x8_operand(const int16_t* x, int32_t, int16_t*) { return x; }

/// a0 = w0 . x, a1 = w1 . x over n <= kDotS16x8Block.
inline void dot2_s16x8_block(const int8_t* w0, const int8_t* w1, const int16_t* x, int32_t n, int32_t& a0,
                             int32_t& a1) {
  int32_t s0 = 0;
  int32_t s1 = 0;
  int32_t i = 0;
  // Full vectors unpredicated (GCC puts a VPST before every predicated instruction), then
  // one predicated tail.
  for (; i + 8 <= n; i += 8) {
    const int16x8_t xv = vld1q_s16(x + i);
    s0 = vmladavaq_s16(s0, vldrbq_s16(w0 + i), xv);
    s1 = vmladavaq_s16(s1, vldrbq_s16(w1 + i), xv);
  }
  if (i < n) {
    const mve_pred16_t p = vctp16q(static_cast<uint32_t>(n - i));
    const int16x8_t xv = vld1q_z_s16(x + i, p);
    s0 = vmladavaq_p_s16(s0, vldrbq_z_s16(w0 + i, p), xv, p);
    s1 = vmladavaq_p_s16(s1, vldrbq_z_s16(w1 + i, p), xv, p);
  }
  a0 = s0;
  a1 = s1;
}

#elif UTENSOR_KERNELS_DSP

/// x with each group of four reordered 0, 2, 1, 3 into buf (the tail as it is).
inline const int16_t* s16x8_operand(const int16_t* x, int32_t n, int16_t* buf) {
  int32_t i = 0;
  for (; i + 4 <= n; i += 4) {
    buf[i] = x[i];
    buf[i + 1] = x[i + 2];
    buf[i + 2] = x[i + 1];
    buf[i + 3] = x[i + 3];
  }
  for (; i < n; ++i) buf[i] = x[i];
  return buf;
}

inline uint32_t sxtb16_ror8(uint32_t w) {
  uint32_t r;
  __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(w));
  return r;
}

/// a0 = w0 . x, a1 = w1 . x over n <= kDotS16x8Block; x from s16x8_operand.
inline void dot2_s16x8_block(const int8_t* w0, const int8_t* w1, const int16_t* x, int32_t n, int32_t& a0,
                             int32_t& a1) {
  int32_t s0 = 0;
  int32_t s1 = 0;
  int32_t i = 0;
  for (; i + 4 <= n; i += 4) {
    // Rows of any length leave words unaligned; every DSP core loads those in one LDR.
    uint32_t x02;
    uint32_t x13;
    uint32_t v0;
    uint32_t v1;
    memcpy(&x02, x + i, sizeof x02);
    memcpy(&x13, x + i + 2, sizeof x13);
    memcpy(&v0, w0 + i, sizeof v0);
    memcpy(&v1, w1 + i, sizeof v1);
    s0 = __smlad(x02, __sxtb16(v0), s0);
    s0 = __smlad(x13, sxtb16_ror8(v0), s0);
    s1 = __smlad(x02, __sxtb16(v1), s1);
    s1 = __smlad(x13, sxtb16_ror8(v1), s1);
  }
  for (; i < n; ++i) {
    s0 += static_cast<int32_t>(w0[i]) * x[i];
    s1 += static_cast<int32_t>(w1[i]) * x[i];
  }
  a0 = s0;
  a1 = s1;
}

#else

inline const int16_t* s16x8_operand(const int16_t* x, int32_t, int16_t*) { return x; }

/// a0 = w0 . x, a1 = w1 . x over n <= kDotS16x8Block.
inline void dot2_s16x8_block(const int8_t* w0, const int8_t* w1, const int16_t* x, int32_t n, int32_t& a0,
                             int32_t& a1) {
  int32_t s0 = 0;
  int32_t s1 = 0;
  for (int32_t i = 0; i < n; ++i) {
    s0 += static_cast<int32_t>(w0[i]) * x[i];
    s1 += static_cast<int32_t>(w1[i]) * x[i];
  }
  a0 = s0;
  a1 = s1;
}

#endif

/// a0 += w0 . x and a1 += w1 . x in int64 over any n (x from s16x8_operand).
inline void dot2_s16x8_s64(const int8_t* w0, const int8_t* w1, const int16_t* x, int32_t n, int64_t& a0,
                           int64_t& a1) {
  for (int32_t i = 0; i < n; i += kDotS16x8Block) {
    const int32_t len = n - i < kDotS16x8Block ? n - i : kDotS16x8Block;
    int32_t b0;
    int32_t b1;
    dot2_s16x8_block(w0 + i, w1 + i, x + i, len, b0, b1);
    a0 += b0;
    a1 += b1;
  }
}

}  // namespace detail
}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_DETAIL_DOT_S16X8_HPP
