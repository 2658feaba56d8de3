#ifndef UTENSOR_KERNELS_DETAIL_KERNEL_UTIL_HPP
#define UTENSOR_KERNELS_DETAIL_KERNEL_UTIL_HPP

// Helpers the convolution kernels share (not a user API): forced inlining, the DSP
// extension's SIMD instructions, the converter-multiplier requantization and window
// clipping. Kept in one place so the kernels cannot drift apart.

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "utensor/kernels/arch.hpp"
#include "utensor/kernels/params/requant.hpp"

#if UTENSOR_KERNELS_MVE
#include <arm_mve.h>
#endif

// The inner loops rely on their small helpers being inlined, which -Os (the usual firmware
// setting) would otherwise not always do.
#if defined(__GNUC__)
#define UTENSOR_HOT_INLINE inline __attribute__((always_inline))
#else
#define UTENSOR_HOT_INLINE inline
#endif

// Assembly in the kernels (runtime/src/kernels/arm) keeps to these rules, so it builds at
// every optimization level, with -flto and under any C++ standard:
//  - an inline asm statement declares all memory it reads or writes, as "m" operands or a
//    "memory" clobber; its large statements bind their operands with UTENSOR_ASM_REG;
//  - a function written wholly in assembly is either naked and noipa with one basic asm
//    statement (GCC treats a non-empty basic asm as reading and writing any memory; noipa
//    keeps callers from assuming anything of the body: the registers it clobbers, its
//    parameter the C code does not use), or a file-scope asm block that stands alone (its
//    own .text.<name> section, .syntax unified / .thumb, its own assembler macros,
//    purged: see conv2d_mve.cpp).
//
// A local variable that is an operand of one of the kernels' large inline asm statements
// (ten to thirteen operands): `UTENSOR_ASM_REG(int32_t, acc, "r4") = ...;`. Unoptimized
// (-O0, debug builds), GCC 12 with an FPU gives such statements only part of the core
// registers: one with more than about seven in-out operands fails with "'asm' operand has
// impossible constraints" or never finishes compiling. There the variable is bound to the
// named register (an explicit register variable), which leaves the compiler nothing to
// allocate for the statement; optimized builds (__OPTIMIZE__, -Og included) let the
// compiler choose, so their code does not change. Never name r7: the frame pointer at -O0.
// Only for statements whose operands are all bound, and nothing but the assignments between
// the bindings and the asm (a call in between could clobber r0-r3, r12 and lr).
#if defined(__OPTIMIZE__)
#define UTENSOR_ASM_REG(type, name, reg) type name
#else
#define UTENSOR_ASM_REG(type, name, reg) register type name __asm__(reg)
#endif

namespace utensor {
namespace kernels {
namespace detail {

#if UTENSOR_KERNELS_DSP
// Cores with the DSP extension (M4, M7, M33, M55). Four int8 values of one word are
// sign-extended into two halfword pairs (bytes 0,2 and 1,3) by SXTB16; pairing inputs and
// weights the same way keeps every product intact.

/// Four int8 values as one word (one LDR: these cores allow unaligned word loads).
UTENSOR_HOT_INLINE uint32_t load_u32(const int8_t* p) {
  uint32_t v;
  memcpy(&v, p, 4);
  return v;
}
/// Bytes 0 and 2 of `v`, sign-extended to two halfwords.
UTENSOR_HOT_INLINE uint32_t sxtb16(uint32_t v) {
  uint32_t r;
  __asm__("sxtb16 %0, %1" : "=r"(r) : "r"(v));
  return r;
}
/// Bytes 1 and 3 of `v`, sign-extended to two halfwords.
UTENSOR_HOT_INLINE uint32_t sxtb16_ror8(uint32_t v) {
  uint32_t r;
  __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(v));
  return r;
}
/// acc + a.lo * b.lo + a.hi * b.hi (signed halfwords).
UTENSOR_HOT_INLINE int32_t smlad(uint32_t a, uint32_t b, int32_t acc) {
  int32_t r;
  __asm__("smlad %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(acc));
  return r;
}
/// acc + a.lo * b.lo (signed halfwords).
UTENSOR_HOT_INLINE int32_t smlabb(uint32_t a, uint32_t b, int32_t acc) {
  int32_t r;
  __asm__("smlabb %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(acc));
  return r;
}
/// acc + a.hi * b.hi (signed halfwords).
UTENSOR_HOT_INLINE int32_t smlatt(uint32_t a, uint32_t b, int32_t acc) {
  int32_t r;
  __asm__("smlatt %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(acc));
  return r;
}
/// Halfword-wise a + b (two independent 16-bit additions).
UTENSOR_HOT_INLINE uint32_t sadd16(uint32_t a, uint32_t b) {
  uint32_t r;
  __asm__("sadd16 %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
  return r;
}
#endif  // UTENSOR_KERNELS_DSP

/// MultiplyByQuantizedMultiplier for the converter's multipliers (in [2^30, 2^31) or 0,
/// never INT32_MIN, so SaturatingRoundingDoublingHighMul cannot saturate): its nudged,
/// truncating division by 2^31 equals (a * b + 2^30) >> 31 for either sign. Same value,
/// about half the instructions; checked against fixedpoint.hpp on 4e7 random cases.
UTENSOR_HOT_INLINE int32_t multiply_by_multiplier(int32_t x, int32_t multiplier, int32_t shift) {
  const int32_t left = shift > 0 ? shift : 0;
  const int32_t right = shift > 0 ? 0 : -shift;
  const int32_t shifted = static_cast<int32_t>(static_cast<uint32_t>(x) << left);
  const int64_t ab = static_cast<int64_t>(shifted) * multiplier;
  const int32_t high = static_cast<int32_t>((ab + (INT64_C(1) << 30)) >> 31);
  // RoundingDivideByPOT(high, right), spelled out so that it is inlined at -Os too.
  const int32_t mask = static_cast<int32_t>((UINT32_C(1) << right) - 1u);  // right <= 31
  const int32_t threshold = (mask >> 1) + (high < 0 ? 1 : 0);
  return (high >> right) + ((high & mask) > threshold ? 1 : 0);
}

// FastRequant (kernels/params/requant.hpp, from the converter's table): one output
// channel's requantization in the form the converter proves exact for a layer. The Arm
// kernels' assembly loads an entry with one LDM of 4 words, in this order.
static_assert(offsetof(FastRequant, multiplier) == 0 && offsetof(FastRequant, pre_shift) == 4 &&
                  offsetof(FastRequant, post_shift) == 8 && offsetof(FastRequant, offset) == 12 &&
                  sizeof(FastRequant) == 16,
              "the Arm kernels' assembly reads FastRequant as {multiplier, pre_shift, post_shift, offset}");

/// The FastRequant entry of a channel whose converter multiplier and shift the converter
/// proved suitable (its right shift is then in [1, 22]): the same values _requant.py writes.
/// Branch-free: kernels build these per block of channels at run time.
UTENSOR_HOT_INLINE FastRequant make_fast_requant(int32_t multiplier, int32_t shift,
                                                 int32_t zero_point) {
  const int32_t left = shift & ~(shift >> 31);  // max(shift, 0)
  const int32_t right = left - shift;           // max(-shift, 0)
  FastRequant q;
  q.multiplier = multiplier;
  q.pre_shift = left + 1;
  q.post_shift = right;
  q.offset = static_cast<int32_t>(((UINT32_C(1) << right) >> 1) +
                                  (static_cast<uint32_t>(zero_point) << right));
  return q;
}

/// (a * b + 2^31) >> 32 (SMMULR); exact for all int32 a, b.
UTENSOR_HOT_INLINE int32_t rounding_high_mul(int32_t a, int32_t b) {
#if UTENSOR_KERNELS_DSP
  int32_t r;
  __asm__("smmulr %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));
  return r;
#else
  return static_cast<int32_t>((static_cast<int64_t>(a) * b + (INT64_C(1) << 31)) >> 32);
#endif
}

/// multiply_by_multiplier(acc, m, shift) + output zero point, for an accumulator within
/// the bound the converter proved for `q`; not yet clamped to the activation range.
UTENSOR_HOT_INLINE int32_t fast_requantize(int32_t acc, const FastRequant& q) {
  const int32_t x = rounding_high_mul(
      static_cast<int32_t>(static_cast<uint32_t>(acc) << q.pre_shift), q.multiplier);
  // Round half away from zero: negative values round their halves down, one less nudge.
  return (x + q.offset - static_cast<int32_t>(static_cast<uint32_t>(x) >> 31)) >> q.post_shift;
}

#if UTENSOR_KERNELS_MVE
// Helium (M55) forms of multiply_by_multiplier, four lanes at a time and bit-exact with
// TFLite's MultiplyByQuantizedMultiplier (as CMSIS-NN's MVE requantization): VQRDMULH is
// SaturatingRoundingDoublingHighMul (it saturates only for INT32_MIN * INT32_MIN, and no
// multiplier is INT32_MIN); VRSHL by -right rounds halves up, so negative values are
// first lowered by one (the sign fixup) to round their halves away from zero, as
// RoundingDivideByPOT does. The left shift wraps like TFLite's x * (1 << left).

/// multiply_by_multiplier for four lanes with one multiplier and shift (TFLite
/// convention: > 0 shifts left), e.g. four pixels of one output channel.
UTENSOR_HOT_INLINE int32x4_t mve_multiply_by_multiplier(int32x4_t acc, int32_t multiplier,
                                                        int32_t shift) {
  if (shift > 0) acc = vshlq_r_s32(acc, shift);
  int32x4_t v = vqrdmulhq_n_s32(acc, multiplier);
  if (shift < 0) v = vrshlq_n_s32(vaddq_s32(v, vshrq_n_s32(v, 31)), shift);
  return v;
}

/// mve_multiply_by_multiplier for a shift known to be <= -1 (right shifts only): the sign
/// fixup and the rounding shift without a test.
UTENSOR_HOT_INLINE int32x4_t mve_multiply_by_multiplier_right(int32x4_t acc, int32_t multiplier,
                                                              int32_t shift) {
  const int32x4_t v = vqrdmulhq_n_s32(acc, multiplier);
  return vrshlq_n_s32(vaddq_s32(v, vshrq_n_s32(v, 31)), shift);
}

/// multiply_by_multiplier for four lanes, each with its own multiplier and shift (e.g.
/// four output channels of one pixel).
UTENSOR_HOT_INLINE int32x4_t mve_multiply_by_multiplier(int32x4_t acc, int32x4_t multiplier,
                                                        int32x4_t shift) {
  const int32x4_t zero = vdupq_n_s32(0);
  const int32x4_t right = vminq_s32(shift, zero);  // minus the right shift, or 0
  const int32x4_t v = vqrdmulhq_s32(vshlq_s32(acc, vmaxq_s32(shift, zero)), multiplier);
  // The fixup only where right < 0: (v & right) is negative exactly when both are.
  return vrshlq_s32(vaddq_s32(v, vshrq_n_s32(vandq_s32(v, right), 31)), right);
}

/// The output zero point added and the activation range [lo, hi] (int8) applied.
UTENSOR_HOT_INLINE int32x4_t mve_offset_clamp(int32x4_t v, int32_t offset, int32_t lo,
                                              int32_t hi) {
  v = vaddq_n_s32(v, offset);
  return vminq_s32(vmaxq_s32(v, vdupq_n_s32(lo)), vdupq_n_s32(hi));
}
#endif  // UTENSOR_KERNELS_MVE

/// Filter taps [*begin, *end) whose input coordinate origin + tap * dilation lies inside
/// [0, size): the part of a window not in the padding.
inline void tap_range(int32_t origin, int32_t dilation, int32_t taps, int32_t size, int32_t* begin,
                      int32_t* end) {
  int32_t b = 0;
  while (b < taps && origin + b * dilation < 0) ++b;
  int32_t e = taps;
  while (e > b && origin + (e - 1) * dilation >= size) --e;
  *begin = b;
  *end = e;
}

}  // namespace detail
}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_DETAIL_KERNEL_UTIL_HPP
