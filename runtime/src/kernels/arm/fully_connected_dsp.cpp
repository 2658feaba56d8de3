// int8 FULLY_CONNECTED for cores with the DSP extension: four multiply-accumulates per
// pair of SMLAD, two output rows per pass so each input word is loaded and widened once.
// Same contract and the same integers as the reference kernel (the sum of products is
// exact in int32 whatever the order), hence the same bytes.
#include "utensor/kernels/arch.hpp"

#if UTENSOR_KERNELS_DSP && !UTENSOR_KERNELS_MVE  // else fully_connected_mve.cpp

#include <arm_acle.h>
#include <string.h>

#include "utensor/kernels/detail/kernel_util.hpp"
#include "utensor/kernels/fixedpoint.hpp"
#include "utensor/kernels/fully_connected.hpp"

namespace utensor {
namespace kernels {

namespace {

// Rows of arbitrary depth leave words unaligned; every DSP core loads those in one LDR.
inline uint32_t load_word(const int8_t* p) {
  uint32_t v;
  memcpy(&v, p, sizeof v);
  return v;
}

// Bytes 1 and 3 sign-extended to halfwords (plus `a` for the SXTAB16 form). Inline
// assembly because GCC does not fold a rotate into the instruction's ROR #8 operand.
inline int32_t sxtb16_ror8(uint32_t v) {
  int32_t r;
  __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(v));
  return r;
}

inline int32_t sxtab16_ror8(int32_t a, uint32_t v) {
  int32_t r;
  __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(a), "r"(v));
  return r;
}

// acc0 += sum w0[d] * (x[d] + offset), acc1 likewise with w1, over 4 * words bytes.
// The loop is written in assembly: 15 instructions per 8 multiply-accumulates with
// post-incremented (possibly unaligned) loads, whatever the optimization level; GCC's -Os
// code for the same loop spilled to the stack and re-tested the bound at the top.
inline void dot2(const int8_t* x, const int8_t* w0, const int8_t* w1, int32_t words,
                 int32_t offset2, int32_t* acc0_io, int32_t* acc1_io) {
  if (words <= 0) return;
  int32_t acc0 = *acc0_io;
  int32_t acc1 = *acc1_io;
  uint32_t t0, t1, t2, t3;
  __asm__ volatile(
      "1:\n\t"
      "ldr     %[t0], [%[x]], #4\n\t"
      "ldr     %[t1], [%[w0]], #4\n\t"
      "sxtab16 %[t2], %[off], %[t0]\n\t"
      "sxtab16 %[t0], %[off], %[t0], ror #8\n\t"
      "sxtb16  %[t3], %[t1]\n\t"
      "sxtb16  %[t1], %[t1], ror #8\n\t"
      "smlad   %[a0], %[t3], %[t2], %[a0]\n\t"
      "smlad   %[a0], %[t1], %[t0], %[a0]\n\t"
      "ldr     %[t1], [%[w1]], #4\n\t"
      "sxtb16  %[t3], %[t1]\n\t"
      "sxtb16  %[t1], %[t1], ror #8\n\t"
      "smlad   %[a1], %[t3], %[t2], %[a1]\n\t"
      "smlad   %[a1], %[t1], %[t0], %[a1]\n\t"
      "subs    %[n], %[n], #1\n\t"
      "bne     1b\n\t"
      : [x] "+r"(x), [w0] "+r"(w0), [w1] "+r"(w1), [n] "+r"(words), [a0] "+r"(acc0),
        [a1] "+r"(acc1), [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&r"(t2), [t3] "=&r"(t3)
      : [off] "r"(offset2)
      : "cc", "memory");
  *acc0_io = acc0;
  *acc1_io = acc1;
}

inline int8_t requantize(const FullyConnectedS8Params& p, int32_t acc, int32_t o) {
  const int ch = p.per_channel ? o : 0;
  const int32_t v =
      p.fast_requant
          ? detail::fast_requantize(acc, p.fast_requant[ch])
          : MultiplyByQuantizedMultiplier(acc, p.output_multiplier[ch], p.output_shift[ch]) +
                p.output_offset;
  return static_cast<int8_t>(ClampI32(v, p.activation_min, p.activation_max));
}

// One step of dot4_interleaved: 4 inputs (r8, widened to r8/r9) times the next 16
// interleaved weights (4 rows x 4 bytes, one LDM) into the accumulators r4..r7.
#define UTENSOR_FC_DOT4_STEP(w, acc)           \
  "sxtb16  r3, " w "\n\t"                     \
  "sxtb16  " w ", " w ", ror #8\n\t"          \
  "smlad   " acc ", r3, r8, " acc "\n\t"      \
  "smlad   " acc ", " w ", r9, " acc "\n\t"
#define UTENSOR_FC_DOT4_WORD                   \
  "ldr     r8, [r0], #4\n\t"                  \
  "ldm     r1!, {r10, r11, r12, lr}\n\t"      \
  "sxtb16  r9, r8, ror #8\n\t"                \
  "sxtb16  r8, r8\n\t"                        \
  UTENSOR_FC_DOT4_STEP("r10", "r4")             \
  UTENSOR_FC_DOT4_STEP("r11", "r5")             \
  UTENSOR_FC_DOT4_STEP("r12", "r6")             \
  UTENSOR_FC_DOT4_STEP("lr", "r7")

// acc[r] += sum_d w_r[d] * x[d] for the 4 rows of one interleaved group (input offset 0),
// over 4 * words inputs; returns past the group's main part. Assembly with all 14
// registers: 20 instructions per 16 multiply-accumulates (the input word is widened once
// for 4 rows, the 4 rows' weights come in one LDM), unrolled twice. Naked: the compiler
// cannot spare 14 registers around an inline block.
// Arguments (AAPCS): r0 x, r1 w, r2 words, r3 acc[4].
__attribute__((naked, noinline)) const int8_t* dot4_interleaved(const int8_t* /*x*/,
                                                                const int8_t* /*w*/,
                                                                int32_t /*words*/,
                                                                int32_t* /*acc*/) {
  __asm__ volatile(
      "push    {r3-r11, lr}\n\t"
      "ldm     r3, {r4-r7}\n\t"
      "lsrs    r2, r2, #1\n\t"
      "bcc     1f\n\t"
      UTENSOR_FC_DOT4_WORD
      "1:\n\t"
      "beq     3f\n\t"  // flags still from LSRS: no pair of words left
      "2:\n\t"
      UTENSOR_FC_DOT4_WORD
      UTENSOR_FC_DOT4_WORD
      "subs    r2, r2, #1\n\t"
      "bne     2b\n\t"
      "3:\n\t"
      "pop     {r3}\n\t"
      "stm     r3, {r4-r7}\n\t"
      "mov     r0, r1\n\t"
      "pop     {r4-r11, pc}\n\t");
}

// What groups4_fast walks: read and advanced in memory by the assembly (offsets fixed).
struct Groups4Job {
  const int8_t* x;                  // 0
  const int8_t* w;                  // 4: advanced past every group
  int32_t words;                    // 8: ACCUM_DEPTH / 4 (ACCUM_DEPTH % 4 == 0), >= 1
  const int32_t* bias;              // 12
  int32_t bias_step;                // 16: 16 bytes, or 0 to add the same 4 zeros
  const detail::FastRequant* fast;  // 20
  int32_t fast_step;                // 24: 16 bytes per channel, or 0 per tensor
  int8_t* out;                      // 28
  int32_t groups;                   // 32: >= 1
  uint32_t lo4, hi4;                // 36, 40: the activation bounds in every byte
};

// One output of a group: fast_requantize(acc, *fast) saturated to int8; fast += step.
#define UTENSOR_FC_REQUANT(acc)                 \
  "ldm     r0, {r8, r9, r10, r11}\n\t"          \
  "add     r0, r0, r1\n\t"                      \
  "lsl     " acc ", " acc ", r9\n\t"            \
  "smmulr  " acc ", " acc ", r8\n\t"            \
  "add     r12, " acc ", r11\n\t"               \
  "sub     " acc ", r12, " acc ", lsr #31\n\t"  \
  "asr     " acc ", " acc ", r10\n\t"           \
  "ssat    " acc ", #8, " acc "\n\t"

// Every group of 4 interleaved rows of one batch (input offset 0, depth a multiple of 4,
// fast requantization): bias, dot4 loop, requantization, clamp of the 4 bytes at once
// (SSUB8/SEL) and one store, all in registers; the job in memory keeps the pointers.
__attribute__((naked, noinline)) void groups4_fast(Groups4Job* /*job*/) {
  __asm__ volatile(
      "push    {r0, r4-r11, lr}\n\t"
      "1:\n\t"
      "ldr     r3, [sp]\n\t"
      "ldm     r3, {r0, r1, r2, r8, r9}\n\t"
      "ldm     r8, {r4-r7}\n\t"
      "add     r8, r8, r9\n\t"
      "str     r8, [r3, #12]\n\t"
      "lsrs    r2, r2, #1\n\t"
      "bcc     2f\n\t"
      UTENSOR_FC_DOT4_WORD
      "2:\n\t"
      "beq     4f\n\t"  // flags still from LSRS: no pair of words left
      "3:\n\t"
      UTENSOR_FC_DOT4_WORD
      UTENSOR_FC_DOT4_WORD
      "subs    r2, r2, #1\n\t"
      "bne     3b\n\t"
      "4:\n\t"
      "ldr     r3, [sp]\n\t"
      "str     r1, [r3, #4]\n\t"
      "add     r3, r3, #20\n\t"
      "ldm     r3, {r0, r1, r2}\n\t"
      UTENSOR_FC_REQUANT("r4")
      UTENSOR_FC_REQUANT("r5")
      UTENSOR_FC_REQUANT("r6")
      UTENSOR_FC_REQUANT("r7")
      "bfi     r4, r5, #8, #8\n\t"
      "bfi     r4, r6, #16, #8\n\t"
      "bfi     r4, r7, #24, #8\n\t"
      "ldrd    r8, r9, [r3, #16]\n\t"
      "ssub8   r10, r4, r8\n\t"
      "sel     r4, r4, r8\n\t"
      "ssub8   r10, r9, r4\n\t"
      "sel     r4, r4, r9\n\t"
      "str     r4, [r2], #4\n\t"
      "stm     r3, {r0, r1, r2}\n\t"
      "ldr     r12, [r3, #12]\n\t"
      "subs    r12, r12, #1\n\t"
      "str     r12, [r3, #12]\n\t"
      "bne     1b\n\t"
      "pop     {r0, r4-r11, pc}\n\t");
}

#undef UTENSOR_FC_REQUANT
#undef UTENSOR_FC_DOT4_WORD
#undef UTENSOR_FC_DOT4_STEP

// The four bytes of an int8 value in a word.
inline uint32_t splat4(int32_t v) { return (static_cast<uint32_t>(v) & 0xFFu) * 0x01010101u; }

// Rows [o, out_depth) of one batch in the row-major layout, filter pointing at row o.
void rows_s8(const FullyConnectedS8Params& params, const int8_t* x, const int8_t* filter,
             const int32_t* bias, int32_t o, int8_t* out) {
  const int32_t depth = params.shape.accum_depth;
  const int32_t out_depth = params.shape.output_depth;
  const int32_t offset = params.input_offset;
  // The input offset in both 16-bit halves: SXTAB16 adds it while widening the bytes.
  const int32_t offset2 = static_cast<int32_t>((static_cast<uint32_t>(offset) << 16) |
                                               (static_cast<uint32_t>(offset) & 0xFFFFu));
  const int32_t depth4 = depth & ~3;
  for (; o + 2 <= out_depth; o += 2) {
    const int8_t* w0 = filter;
    const int8_t* w1 = w0 + depth;
    filter = w1 + depth;
    int32_t acc0 = bias ? bias[o] : 0;
    int32_t acc1 = bias ? bias[o + 1] : 0;
    dot2(x, w0, w1, depth >> 2, offset2, &acc0, &acc1);
    for (int32_t d = depth4; d < depth; ++d) {
      const int32_t xi = static_cast<int32_t>(x[d]) + offset;
      acc0 += static_cast<int32_t>(w0[d]) * xi;
      acc1 += static_cast<int32_t>(w1[d]) * xi;
    }
    out[o] = requantize(params, acc0, o);
    out[o + 1] = requantize(params, acc1, o + 1);
  }
  if (o < out_depth) {
    const int8_t* w0 = filter;
    int32_t acc0 = bias ? bias[o] : 0;
    for (int32_t d = 0; d < depth4; d += 4) {
      const uint32_t xv = load_word(x + d);
      const uint32_t a = load_word(w0 + d);
      acc0 = __smlad(__sxtb16(a), __sxtab16(offset2, xv), acc0);
      acc0 = __smlad(sxtb16_ror8(a), sxtab16_ror8(offset2, xv), acc0);
    }
    for (int32_t d = depth4; d < depth; ++d) {
      acc0 += static_cast<int32_t>(w0[d]) * (static_cast<int32_t>(x[d]) + offset);
    }
    out[o] = requantize(params, acc0, o);
  }
}

// Rows [0, out_depth & ~3) of one batch in the interleaved layout; returns past them.
// Kept apart so the per-output work (bias, requantization, store) is all the caller of
// the assembly does per group of 4 rows.
const int8_t* interleaved_s8(const FullyConnectedS8Params& params, const int8_t* x,
                             const int8_t* w, const int32_t* bias, int8_t* out) {
  const int32_t depth = params.shape.accum_depth;
  const int32_t groups = params.shape.output_depth >> 2;
  const int32_t words = depth >> 2;
  const int32_t tail = depth & 3;
  const int32_t lo = params.activation_min;
  const int32_t hi = params.activation_max;
  const detail::FastRequant* fast = params.fast_requant;
  const int32_t fast_step = params.per_channel ? 1 : 0;
  if (fast && tail == 0 && words > 0 && groups > 0) {
    static const int32_t kZeros[4] = {0, 0, 0, 0};
    Groups4Job job = {x, w, words, bias ? bias : kZeros, bias ? 16 : 0, fast,
                      16 * fast_step, out, groups, splat4(lo), splat4(hi)};
    groups4_fast(&job);
    return job.w;
  }
  for (int32_t g = 0; g < groups; ++g) {
    int32_t acc[4] = {0, 0, 0, 0};
    if (bias) memcpy(acc, bias + 4 * g, sizeof acc);
    w = dot4_interleaved(x, w, words, acc);
    for (int32_t r = 0; r < 4 && tail; ++r) {
      for (int32_t d = 0; d < tail; ++d) acc[r] += static_cast<int32_t>(*w++) * x[4 * words + d];
    }
    if (fast) {
      for (int32_t r = 0; r < 4; ++r) {
        const int32_t v = detail::fast_requantize(acc[r], *fast);
        fast += fast_step;
        *out++ = static_cast<int8_t>(v < lo ? lo : (v > hi ? hi : v));
      }
    } else {
      for (int32_t r = 0; r < 4; ++r) *out++ = requantize(params, acc[r], 4 * g + r);
    }
  }
  return w;
}

}  // namespace

void fully_connected_s8(const FullyConnectedS8Params& params, const int8_t* input,
                        const int8_t* filter, const int32_t* bias, int8_t* output) {
  const int32_t depth = params.shape.accum_depth;
  const int32_t out_depth = params.shape.output_depth;
  for (int32_t b = 0; b < params.shape.batches; ++b) {
    const int8_t* x = input + b * depth;
    int8_t* out = output + b * out_depth;
    const int8_t* w = filter;
    int32_t o = 0;
    if (params.filter_layout == kFilterInterleaved4) {
      w = interleaved_s8(params, x, w, bias, out);
      o = out_depth & ~3;
    }
    rows_s8(params, x, w, bias, o, out);
  }
}

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_DSP
