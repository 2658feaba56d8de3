#ifndef UTENSOR_KERNELS_DETAIL_DOT_S16X8_HPP
#define UTENSOR_KERNELS_DETAIL_DOT_S16X8_HPP

// sum(w[i] * x[i]) over int8 weights and int16 activations: the 16x8 LSTM's gate products.
// TFLite sums them in int64; one product is at most 2^22 in magnitude, so a block of up to
// kDotS16x8Block products fits int32 exactly and the int32 sums of the Helium (VMLADAVA.S16
// on VLDRB.S16-widened weights, 8 products per instruction, tail predicated), DSP (SXTB16 +
// SMLAD, 2 per instruction) and portable loops are the same integers. dot_s16x8_s64 adds
// such blocks in int64: TFLite's sum for any length.

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

/// Products per int32 block: 511 * 2^22 < 2^31.
const int32_t kDotS16x8Block = 511;

#if UTENSOR_KERNELS_MVE

/// n <= kDotS16x8Block.
inline int32_t dot_s16x8_block(const int8_t* w, const int16_t* x, int32_t n) {
  int32_t acc = 0;
  for (int32_t i = 0; i < n; i += 8) {
    const mve_pred16_t p = vctp16q(static_cast<uint32_t>(n - i));
    acc = vmladavaq_p_s16(acc, vldrbq_z_s16(w + i, p), vld1q_z_s16(x + i, p), p);
  }
  return acc;
}

#elif UTENSOR_KERNELS_DSP

/// n <= kDotS16x8Block.
inline int32_t dot_s16x8_block(const int8_t* w, const int16_t* x, int32_t n) {
  int32_t acc = 0;
  int32_t i = 0;
  for (; i + 4 <= n; i += 4) {
    // Rows of any length leave words unaligned; every DSP core loads those in one LDR.
    uint32_t ww;
    uint32_t x01;
    uint32_t x23;
    memcpy(&ww, w + i, sizeof ww);
    memcpy(&x01, x + i, sizeof x01);
    memcpy(&x23, x + i + 2, sizeof x23);
    // SXTB16 pairs weights 0 and 2, then (rotated) 1 and 3: the activations are paired
    // the same way (PKHBT, PKHTB) so each SMLAD multiplies matching halfwords.
    uint32_t x02;
    uint32_t x13;
    __asm__("pkhbt %0, %1, %2, lsl #16" : "=r"(x02) : "r"(x01), "r"(x23));
    __asm__("pkhtb %0, %1, %2, asr #16" : "=r"(x13) : "r"(x23), "r"(x01));
    acc = __smlad(x02, __sxtb16(ww), acc);
    acc = __smlad(x13, __sxtb16((ww >> 8) | (ww << 24)), acc);
  }
  for (; i < n; ++i) acc += static_cast<int32_t>(w[i]) * x[i];
  return acc;
}

#else

/// n <= kDotS16x8Block.
inline int32_t dot_s16x8_block(const int8_t* w, const int16_t* x, int32_t n) {
  int32_t acc = 0;
  for (int32_t i = 0; i < n; ++i) acc += static_cast<int32_t>(w[i]) * x[i];
  return acc;
}

#endif

/// acc + sum(w[i] * x[i]) in int64, any n.
inline int64_t dot_s16x8_s64(int64_t acc, const int8_t* w, const int16_t* x, int32_t n) {
  for (int32_t i = 0; i < n; i += kDotS16x8Block) {
    const int32_t len = n - i < kDotS16x8Block ? n - i : kDotS16x8Block;
    acc += dot_s16x8_block(w + i, x + i, len);
  }
  return acc;
}

}  // namespace detail
}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_DETAIL_DOT_S16X8_HPP
