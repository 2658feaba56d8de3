#ifndef UTENSOR_KERNELS_DETAIL_DOT_S8_HPP
#define UTENSOR_KERNELS_DETAIL_DOT_S8_HPP

// acc + sum(a[i] * b[i]) over int8 vectors of any length and alignment: the matrix-vector
// products of the recurrent kernels (LSTM gates). An int32 sum of int8 products is exact
// in any order, so the Helium (VMLADAVA, 16 products per instruction, tail predicated),
// DSP (SXTB16 + SMLAD, 4 per word) and portable loops give the same integers. A sum that
// leaves int32 wraps in all three (SMLAD and VMLADAVA keep the low 32 bits; the C loops
// add unsigned), as TFLite's int32 accumulators do in its compiled code: callers may fold
// a zero-point term into acc (SVDF) and still get TFLite's integer modulo 2^32.

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

inline int32_t dot_s8(int32_t acc, const int8_t* a, const int8_t* b, int32_t n) {
  for (int32_t i = 0; i < n; i += 16) {
    const mve_pred16_t p = vctp8q(static_cast<uint32_t>(n - i));
    acc = vmladavaq_p_s8(acc, vld1q_z_s8(a + i, p), vld1q_z_s8(b + i, p), p);
  }
  return acc;
}

#elif UTENSOR_KERNELS_DSP

inline int32_t dot_s8(int32_t acc, const int8_t* a, const int8_t* b, int32_t n) {
  int32_t i = 0;
  for (; i + 4 <= n; i += 4) {
    // Rows of any length leave words unaligned; every DSP core loads those in one LDR.
    uint32_t wa;
    uint32_t wb;
    memcpy(&wa, a + i, sizeof wa);
    memcpy(&wb, b + i, sizeof wb);
    // Bytes 0 and 2, then 1 and 3 (rotated down), sign-extended to halfword pairs.
    acc = __smlad(__sxtb16(wa), __sxtb16(wb), acc);
    acc = __smlad(__sxtb16((wa >> 8) | (wa << 24)), __sxtb16((wb >> 8) | (wb << 24)), acc);
  }
  uint32_t sum = static_cast<uint32_t>(acc);
  for (; i < n; ++i) sum += static_cast<uint32_t>(static_cast<int32_t>(a[i]) * b[i]);
  return static_cast<int32_t>(sum);
}

#else

inline int32_t dot_s8(int32_t acc, const int8_t* a, const int8_t* b, int32_t n) {
  uint32_t sum = static_cast<uint32_t>(acc);
  for (int32_t i = 0; i < n; ++i) sum += static_cast<uint32_t>(static_cast<int32_t>(a[i]) * b[i]);
  return static_cast<int32_t>(sum);
}

#endif

}  // namespace detail
}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_DETAIL_DOT_S8_HPP
