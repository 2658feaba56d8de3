// int8 FULLY_CONNECTED for cores with the DSP extension. Weights the converter
// interleaved by groups of 4 rows go through one assembly routine (4 rows per pass, 16
// weights per LDM, the input widened once per pass or once per layer into scratch, fast
// requantization); row-major weights (runtime weights, leftover rows) through SMLAD
// loops of two rows per pass that also add the input offset.
// Same contract and the same integers as the reference kernel (the sum of products is
// exact in int32 whatever the order), hence the same bytes.
#include "utensor/kernels/arch.hpp"

#if UTENSOR_KERNELS_DSP && !UTENSOR_KERNELS_MVE  // else fully_connected_mve.cpp

#include <arm_acle.h>
#include <string.h>

#include "utensor/kernels/detail/fc_requant.hpp"
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

// Bytes 1 and 3 of v sign-extended to halfwords plus a. Inline assembly because GCC
// does not fold a rotate into the instruction's ROR #8 operand.
inline int32_t sxtab16_ror8(int32_t a, uint32_t v) {
  int32_t r;
  __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(a), "r"(v));
  return r;
}

// One step of the 4-row loops: 4 inputs (widened in r8/r9) times the next 16 interleaved
// weights (4 rows x 4 bytes, one LDM) into the accumulators r4..r7.
#define UTENSOR_FC_DOT4_STEP(w, acc)           \
  "sxtb16  r3, " w "\n\t"                     \
  "sxtb16  " w ", " w ", ror #8\n\t"          \
  "smlad   " acc ", r3, r8, " acc "\n\t"      \
  "smlad   " acc ", " w ", r9, " acc "\n\t"
#define UTENSOR_FC_DOT4_WEIGHTS                \
  "ldm     r1!, {r10, r11, r12, lr}\n\t"      \
  UTENSOR_FC_DOT4_STEP("r10", "r4")             \
  UTENSOR_FC_DOT4_STEP("r11", "r5")             \
  UTENSOR_FC_DOT4_STEP("r12", "r6")             \
  UTENSOR_FC_DOT4_STEP("lr", "r7")
// 4 int8 inputs widened in registers: 20 instructions per 16 multiply-accumulates.
#define UTENSOR_FC_DOT4_WORD                   \
  "ldr     r8, [r0], #4\n\t"                  \
  "sxtb16  r9, r8, ror #8\n\t"                \
  "sxtb16  r8, r8\n\t"                        \
  UTENSOR_FC_DOT4_WEIGHTS
// 4 inputs widened beforehand (one LDRD): 18 instructions per 16 multiply-accumulates.
#define UTENSOR_FC_DOT4_WIDE                   \
  "ldrd    r8, r9, [r0], #8\n\t"              \
  UTENSOR_FC_DOT4_WEIGHTS

// What groups4 walks: read and advanced in memory by the assembly (offsets fixed).
struct Groups4Job {
  const void* x;                    // 0: int8 input, or its widened copy when wide
  const int8_t* w;                  // 4: advanced past every group
  int32_t quads;                    // 8: ACCUM_DEPTH / 16 rounded up, >= 1
  const int32_t* bias;              // 12
  int32_t bias_step;                // 16: 16 bytes, or 0 to add the same 4 zeros
  const detail::FastRequant* fast;  // 20
  int32_t fast_step;                // 24: 16 bytes per channel, or 0 per tensor
  int8_t* out;                      // 28
  int32_t groups;                   // 32: >= 1
  uint32_t lo4, hi4;                // 36, 40: the activation bounds in every byte, or
                                    // 0, 0 for [-128, 127]
  int32_t entry;                    // 44: 2 * wide + half: wide when x holds per 4 inputs
                                    // SXTB16 and SXTB16 ROR 8; half when ACCUM_DEPTH % 16 is 8
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

// Every group of 4 interleaved rows of one batch: bias, dot loop (16 inputs per pass),
// requantization, clamp of the 4 bytes at once (SSUB8/SEL) and one store, in registers
// (all 14: 4 accumulators, 2 inputs, 4 weight words, a temporary, 3 pointers/counters);
// the job in memory keeps the rest. Naked (see kernel_util.hpp): the compiler cannot spare 14 registers
// around an inline block.
__attribute__((naked, noipa)) void groups4(Groups4Job* /*job*/) {
  __asm__ volatile(
      "push    {r0, r4-r11, lr}\n\t"
      "1:\n\t"
      "ldr     r3, [sp]\n\t"
      "ldm     r3, {r0, r1, r2, r8, r9}\n\t"
      "ldm     r8, {r4-r7}\n\t"
      "add     r8, r8, r9\n\t"
      "str     r8, [r3, #12]\n\t"
      // Into either loop, at its top or (an odd number of 8-input halves) its middle.
      "ldr     r12, [r3, #44]\n\t"
      "tbb     [pc, r12]\n\t"
      "6:\n\t"
      ".byte   (2f - 6b) / 2, (7f - 6b) / 2, (3f - 6b) / 2, (8f - 6b) / 2\n\t"
      ".p2align 1\n\t"
      "2:\n\t"
      UTENSOR_FC_DOT4_WORD
      UTENSOR_FC_DOT4_WORD
      "7:\n\t"
      UTENSOR_FC_DOT4_WORD
      UTENSOR_FC_DOT4_WORD
      "subs    r2, r2, #1\n\t"
      "bne     2b\n\t"
      "b       4f\n\t"
      "3:\n\t"
      UTENSOR_FC_DOT4_WIDE
      UTENSOR_FC_DOT4_WIDE
      "8:\n\t"
      UTENSOR_FC_DOT4_WIDE
      UTENSOR_FC_DOT4_WIDE
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
      "ldrd    r6, r7, [r3, #16]\n\t"
      "cbz     r7, 5f\n\t"  // activation range [-128, 127]: SSAT clamped already
      "ssub8   r10, r4, r6\n\t"
      "sel     r4, r4, r6\n\t"
      "ssub8   r10, r7, r4\n\t"
      "sel     r4, r4, r7\n\t"
      "5:\n\t"
      "str     r4, [r2], #4\n\t"
      "stm     r3, {r0, r1, r2}\n\t"
      "ldr     r12, [r3, #12]\n\t"
      "subs    r12, r12, #1\n\t"
      "str     r12, [r3, #12]\n\t"
      "bne     1b\n\t"
      "pop     {r0, r4-r11, pc}\n\t");
}

#undef UTENSOR_FC_REQUANT
#undef UTENSOR_FC_DOT4_WIDE
#undef UTENSOR_FC_DOT4_WORD
#undef UTENSOR_FC_DOT4_WEIGHTS
#undef UTENSOR_FC_DOT4_STEP

// The four bytes of an int8 value in a word.
inline uint32_t splat4(int32_t v) { return (static_cast<uint32_t>(v) & 0xFFu) * 0x01010101u; }

// Rows [o, out_depth) of one batch in the row-major layout, filter pointing at row o:
// runtime weights (with the input offset), the OUTPUT_DEPTH % 4 rows after the
// interleaved groups, layers the assembly does not take. Kept compact: one row at a time.
void rows_s8(const FullyConnectedS8Params& params, const int8_t* x, const int8_t* filter,
             const int32_t* bias, int32_t o, int8_t* out) {
  const int32_t depth = params.shape.accum_depth;
  const int32_t offset = params.input_offset;
  // The input offset in both 16-bit halves: SXTAB16 adds it while widening the bytes.
  const int32_t offset2 = static_cast<int32_t>((static_cast<uint32_t>(offset) << 16) |
                                               (static_cast<uint32_t>(offset) & 0xFFFFu));
  for (; o < params.shape.output_depth; ++o, filter += depth) {
    int32_t acc = bias ? bias[o] : 0;
    int32_t d = 0;
    for (; d + 4 <= depth; d += 4) {
      const uint32_t xv = load_word(x + d);
      const uint32_t a = load_word(filter + d);
      acc = __smlad(__sxtb16(a), __sxtab16(offset2, xv), acc);
      acc = __smlad(detail::sxtb16_ror8(a), sxtab16_ror8(offset2, xv), acc);
    }
    for (; d < depth; ++d) acc += static_cast<int32_t>(filter[d]) * (x[d] + offset);
    out[o] = detail::fc_requantize(params, acc, o);
  }
}

// Rows [0, out_depth & ~3) of one batch in the interleaved layout (input offset 0,
// ACCUM_DEPTH a multiple of 8, fast requantization: the converter's contract); returns
// past their weights.
const int8_t* interleaved_s8(const FullyConnectedS8Params& params, const int8_t* x,
                             const int8_t* w, const int32_t* bias, int8_t* out) {
  const int32_t groups = params.shape.output_depth >> 2;
  if (groups == 0) return w;
  const int32_t words = params.shape.accum_depth >> 2;
  // Where the input widened once goes: the converter's scratch, or else the output's own
  // tail when it is long enough, for the groups whose 4 bytes lie below it.
  uint32_t* wide = reinterpret_cast<uint32_t*>(params.scratch);
  int32_t wide_groups = groups;
  if (!wide) {
    const uintptr_t begin = reinterpret_cast<uintptr_t>(out);
    const uintptr_t start = (begin + params.shape.output_depth - 8 * words) & ~uintptr_t(3);
    const int32_t below = params.shape.output_depth >= 8 * words + 4
                              ? static_cast<int32_t>((start - begin) >> 2) : 0;
    wide_groups = below < groups ? below : groups;
    if (wide_groups > 0) wide = reinterpret_cast<uint32_t*>(start);
  }
  if (wide) {
    for (int32_t k = 0; k < words; ++k) {  // as the loop's SXTB16 pair would
      const uint32_t v = load_word(x + 4 * k);
      wide[2 * k] = detail::sxtb16(v);
      wide[2 * k + 1] = detail::sxtb16_ror8(v);
    }
  }
  static const int32_t kZeros[4] = {0, 0, 0, 0};
  const bool full_range = params.activation_min == -128 && params.activation_max == 127;
  const int32_t half = (words >> 1) & 1;
  Groups4Job job = {wide,
                    w,
                    (words + 2) >> 2,
                    bias ? bias : kZeros,
                    bias ? 16 : 0,
                    params.fast_requant,
                    params.per_channel ? 16 : 0,
                    out,
                    wide ? wide_groups : 0,
                    full_range ? 0u : splat4(params.activation_min),
                    full_range ? 0u : splat4(params.activation_max),
                    2 + half};
  // The groups with the widened input, then the rest with the input widened in registers.
  for (int32_t pass = 0; pass < 2; ++pass) {
    if (job.groups > 0) groups4(&job);
    job.x = x;
    job.groups = groups - (wide ? wide_groups : 0);
    job.entry = half;
  }
  return job.w;
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

void fully_connected_s8_groups4(const FullyConnectedS8Params& params, const int8_t* input,
                                const int8_t* filter, const int32_t* bias, int8_t* output) {
  const int32_t depth = params.shape.accum_depth;
  const int32_t out_depth = params.shape.output_depth;
  for (int32_t b = 0; b < params.shape.batches; ++b) {
    interleaved_s8(params, input + b * depth, filter, bias, output + b * out_depth);
  }
}

void fully_connected_s8_rows(const FullyConnectedS8Params& params, const int8_t* input,
                             const int8_t* filter, const int32_t* bias, int8_t* output) {
  const int32_t depth = params.shape.accum_depth;
  const int32_t out_depth = params.shape.output_depth;
  for (int32_t b = 0; b < params.shape.batches; ++b) {
    rows_s8(params, input + b * depth, filter, bias, 0, output + b * out_depth);
  }
}

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_DSP
