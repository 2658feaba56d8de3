#ifndef UTENSOR_KERNELS_DETAIL_DOT_S16_HPP
#define UTENSOR_KERNELS_DETAIL_DOT_S16_HPP

// acc + sum(a[i] * b[i]) over int16 vectors of any length and alignment, modulo 2^32: the
// SVDF time filter (int16 state x int16 time weights), which TFLite Micro sums in int32.
// Each product fits int32 (|a * b| <= 2^30); only the sum can leave it, and TFLite's int32
// additions wrap there (what its compiled code does). SMLAD adds its two products and the
// accumulator modulo 2^32 (the overflow only sets the Q flag) and VMLADAVA.S16 keeps the
// low 32 bits of its sum, so the Helium (8 products per instruction, tail predicated), DSP
// (2 per SMLAD) and portable loops give TFLite's integers, overflow or not.

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

#if UTENSOR_KERNELS_MVE

inline int32_t dot_s16(int32_t acc, const int16_t* a, const int16_t* b, int32_t n) {
  for (int32_t i = 0; i < n; i += 8) {
    const mve_pred16_t p = vctp16q(static_cast<uint32_t>(n - i));
    acc = vmladavaq_p_s16(acc, vld1q_z_s16(a + i, p), vld1q_z_s16(b + i, p), p);
  }
  return acc;
}

#elif UTENSOR_KERNELS_DSP

inline int32_t dot_s16(int32_t acc, const int16_t* a, const int16_t* b, int32_t n) {
  int32_t i = 0;
  for (; i + 4 <= n; i += 4) {
    // A filter's history starts at any halfword; every DSP core loads those in one LDR.
    // Word by word: LDRD and LDM, which an 8-byte copy may become, fault when unaligned.
    uint32_t wa0;
    uint32_t wa1;
    uint32_t wb0;
    uint32_t wb1;
    memcpy(&wa0, a + i, sizeof wa0);
    memcpy(&wa1, a + i + 2, sizeof wa1);
    memcpy(&wb0, b + i, sizeof wb0);
    memcpy(&wb1, b + i + 2, sizeof wb1);
    acc = __smlad(wa0, wb0, acc);
    acc = __smlad(wa1, wb1, acc);
  }
  if (i + 2 <= n) {
    uint32_t wa;
    uint32_t wb;
    memcpy(&wa, a + i, sizeof wa);
    memcpy(&wb, b + i, sizeof wb);
    acc = __smlad(wa, wb, acc);
    i += 2;
  }
  if (i < n) acc = static_cast<int32_t>(static_cast<uint32_t>(acc) + static_cast<uint32_t>(a[i] * b[i]));
  return acc;
}

#else

inline int32_t dot_s16(int32_t acc, const int16_t* a, const int16_t* b, int32_t n) {
  uint32_t sum = static_cast<uint32_t>(acc);
  for (int32_t i = 0; i < n; ++i) sum += static_cast<uint32_t>(static_cast<int32_t>(a[i]) * b[i]);
  return static_cast<int32_t>(sum);
}

#endif

}  // namespace detail
}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_DETAIL_DOT_S16_HPP
