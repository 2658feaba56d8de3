// int8 ADD for cores with the DSP extension. The converter's case (same shapes, both
// rescaling tables, the fast output requantization, the activation range [-128, 127])
// runs in assembly, four elements per pass: one word of each input, then per element two
// table lookups, one rounding high multiply, one rounding shift, SSAT and a byte store.
// Anything else goes to the portable kernel. Same integers as the reference kernel.
#include "utensor/kernels/arch.hpp"

#if UTENSOR_KERNELS_DSP && !UTENSOR_KERNELS_MVE  // else elementwise_mve.cpp

#include <arm_acle.h>

#include "utensor/kernels/detail/kernel_util.hpp"
#include "utensor/kernels/elementwise.hpp"

namespace utensor {
namespace kernels {

namespace {

// One element: the doubled tables' sum through the fast requantization (pre_shift 0),
// saturated to int8 (the whole clamp for the range [-128, 127]).
UTENSOR_HOT_INLINE int8_t add_one(const int32_t* t1, const int32_t* t2, uint8_t a, uint8_t b,
                                  const detail::FastRequant& q) {
  const int32_t x = detail::rounding_high_mul(t1[a] + t2[b], q.multiplier);
  const int32_t y =
      (x + q.offset - static_cast<int32_t>(static_cast<uint32_t>(x) >> 31)) >> q.post_shift;
  return static_cast<int8_t>(__ssat(y, 8));
}

// What add4_full_range walks (offsets fixed: the assembly loads it with one LDM).
struct AddJob {
  const int8_t* input1;  // advanced by 4 * quads
  const int8_t* input2;
  int8_t* output;
  int32_t quads;         // >= 1
  const int32_t* table1;
  const int32_t* table2;
  int32_t multiplier, offset, post_shift;  // the FastRequant (pre_shift 0)
};

// One element k of the words in r9 (input 1) and r10 (input 2): the table lookups, the
// fast requantization, SSAT (the whole clamp for the range [-128, 127]) and a byte store.
#define UTENSOR_ADD_ELEMENT(ror)              \
  "uxtb    r11, r9" ror "\n\t"               \
  "uxtb    r12, r10" ror "\n\t"              \
  "ldr     r11, [r4, r11, lsl #2]\n\t"       \
  "ldr     r12, [r5, r12, lsl #2]\n\t"       \
  "add     r11, r11, r12\n\t"                \
  "smmulr  r11, r11, r6\n\t"                 \
  "add     r12, r11, r7\n\t"                 \
  "sub     r11, r12, r11, lsr #31\n\t"       \
  "asr     r11, r11, r8\n\t"                 \
  "ssat    r11, #8, r11\n\t"                 \
  "strb    r11, [r2], #1\n\t"

// 4 * quads elements for the activation range [-128, 127]: 12 instructions per element.
// Each input word is loaded before its 4 output bytes are stored, so inputs may alias
// the output. Naked (see kernel_util.hpp): 13 registers.
__attribute__((naked, noipa)) void add4_full_range(const AddJob* /*job*/) {
  __asm__ volatile(
      "push    {r4-r11, lr}\n\t"
      "ldm     r0, {r0, r1, r2, r3, r4, r5, r6, r7, r8}\n\t"
      "1:\n\t"
      "ldr     r9, [r0], #4\n\t"
      "ldr     r10, [r1], #4\n\t"
      UTENSOR_ADD_ELEMENT("")
      UTENSOR_ADD_ELEMENT(", ror #8")
      UTENSOR_ADD_ELEMENT(", ror #16")
      UTENSOR_ADD_ELEMENT(", ror #24")
      "subs    r3, r3, #1\n\t"
      "bne     1b\n\t"
      "pop     {r4-r11, pc}\n\t");
}

#undef UTENSOR_ADD_ELEMENT

}  // namespace

void add_s8(const AddS8Params& params, const int8_t* input1, const int8_t* input2, int8_t* output) {
  // Fused activations of quantized models leave the full range; others are rare.
  if (params.shape.broadcast || !params.input1_table || !params.input2_table ||
      !params.output_fast || params.activation_min != -128 || params.activation_max != 127) {
    detail::add_s8_portable(params, input1, input2, output);
    return;
  }
  add_s8_tables(params, input1, input2, output);
}

void add_s8_tables(const AddS8Params& params, const int8_t* input1, const int8_t* input2,
                   int8_t* output) {
  const int32_t n = params.shape.size;
  const detail::FastRequant& q = *params.output_fast;
  if (n >= 4) {
    const AddJob job = {input1, input2, output, n >> 2, params.input1_table,
                        params.input2_table, q.multiplier, q.offset, q.post_shift};
    add4_full_range(&job);
  }
  for (int32_t i = n & ~3; i < n; ++i) {
    output[i] = add_one(params.input1_table, params.input2_table, static_cast<uint8_t>(input1[i]),
                        static_cast<uint8_t>(input2[i]), q);
  }
}

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_DSP && !UTENSOR_KERNELS_MVE
