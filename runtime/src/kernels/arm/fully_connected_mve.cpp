// int8 FULLY_CONNECTED for cores with integer Helium (MVE): sixteen multiply-accumulates
// per VMLADAVA, four output rows per pass so each input vector is loaded once; the depth
// tail is handled by predication. Same contract and the same integers as the reference
// kernel (an exact int32 sum in another order), hence the same bytes.
#include "utensor/kernels/arch.hpp"

#if UTENSOR_KERNELS_MVE

#include <arm_mve.h>
#include <stddef.h>

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

// What utensor_fc_mve_groups4 reads (by these offsets): the first 48 bytes are copied to
// its stack frame and read back per group of four rows.
struct Groups4Job {
  const int8_t* x;                  // 0: the batch's input
  int32_t vecs;                     // 4: ACCUM_DEPTH / 16 (whole vectors, may be 0)
  int8_t* out_end;                  // 8: past the last output of the groups
  int32_t per_channel;              // 12: nonzero: one FastRequant per row, else one
  int32_t lo[4];                    // 16: the activation minimum in every lane
  int32_t hi[4];                    // 32: the activation maximum in every lane
  const int8_t* w;                  // 48: row-major weights of the first group
  const int32_t* bias;              // 52: OUTPUT_DEPTH entries (the folded bias)
  int8_t* out;                      // 56
  int32_t depth;                    // 60: ACCUM_DEPTH (>= 1)
  const detail::FastRequant* fast;  // 64
};
static_assert(offsetof(Groups4Job, w) == 48 && offsetof(Groups4Job, fast) == 64,
              "the assembly reads Groups4Job by these offsets");

// Every group of four rows: the bias as the accumulators' start (one LDM), 16 inputs by
// four rows per pass (one input VLDRB shared by four VMLADAVA: 9 instructions per 64
// multiply-accumulates), the ACCUM_DEPTH % 16 tail once with predicated loads (inactive
// lanes load as zero), the four sums requantized as one vector and stored as four bytes.
// GCC's version of this loop spent about 80 instructions per group outside the dot loop
// (pointer and constant reloads), this one 23 (28 per channel). The requantization:
// VRMULH(acc << pre_shift, m) is the SMMULR form of FastRequant (acc << pre_shift is exact,
// the converter's bound), then + offset - (x < 0) and a truncating right shift by
// post_shift, as fast_requantize.
// Registers: r0 the input, r1-r4 the four rows, r5 the bias, r6/r8/r10/r12 the sums (VMLADAVA
// takes even registers), r7 the output, r9 ACCUM_DEPTH, r11 the FastRequant entries, lr the
// loop; q4-q7 multiplier, pre shift, -post shift, offset (VLD4 order).
extern "C" void utensor_fc_mve_groups4(const Groups4Job* job);
__asm__(
    ".syntax unified\n"
    ".thumb\n"
    "  .pushsection .text.utensor_fc_mve_groups4, \"ax\", %progbits\n"
    "  .align 2\n"
    "  .global utensor_fc_mve_groups4\n"
    "  .type utensor_fc_mve_groups4, %function\n"
    "  .thumb_func\n"
    "utensor_fc_mve_groups4:\n"
    "  push {r4-r11, lr}\n"
    "  vpush {d8-d15}\n"
    "  sub sp, sp, #48\n"
    "  vldrw.u32 q0, [r0]\n"
    "  vstrw.32 q0, [sp]\n"
    "  vldrw.u32 q0, [r0, #16]\n"
    "  vstrw.32 q0, [sp, #16]\n"
    "  vldrw.u32 q0, [r0, #32]\n"
    "  vstrw.32 q0, [sp, #32]\n"
    "  ldr r1, [r0, #48]\n"
    "  ldr r5, [r0, #52]\n"
    "  ldr r7, [r0, #56]\n"
    "  ldr r9, [r0, #60]\n"
    "  ldr r11, [r0, #64]\n"
    "  ldr r0, [sp, #12]\n"
    "  cbnz r0, 1f\n"
    // One entry for every row: the constants once.
    "  ldr r0, [r11]\n"
    "  vdup.32 q4, r0\n"
    "  ldr r0, [r11, #4]\n"
    "  vdup.32 q5, r0\n"
    "  ldr r0, [r11, #8]\n"
    "  rsbs r0, r0, #0\n"
    "  vdup.32 q6, r0\n"
    "  ldr r0, [r11, #12]\n"
    "  vdup.32 q7, r0\n"
    "1:\n"
    "  ldm r5!, {r6, r8, r10, r12}\n"
    "  add r2, r1, r9\n"
    "  add r3, r2, r9\n"
    "  add r4, r3, r9\n"
    "  ldrd r0, lr, [sp]\n"
    "  wls lr, lr, 4f\n"
    "2:\n"
    "  vldrb.u8 q0, [r0], #16\n"
    "  vldrb.u8 q1, [r1], #16\n"
    "  vmladava.s8 r6, q0, q1\n"
    "  vldrb.u8 q1, [r2], #16\n"
    "  vmladava.s8 r8, q0, q1\n"
    "  vldrb.u8 q1, [r3], #16\n"
    "  vmladava.s8 r10, q0, q1\n"
    "  vldrb.u8 q1, [r4], #16\n"
    "  vmladava.s8 r12, q0, q1\n"
    "  le lr, 2b\n"
    "4:\n"
    "  ands lr, r9, #15\n"  // the tail: ACCUM_DEPTH % 16
    "  beq 5f\n"
    "  vctp.8 lr\n"
    "  vpstt\n"
    "  vldrbt.u8 q0, [r0]\n"
    "  vldrbt.u8 q1, [r1]\n"
    "  vmladava.s8 r6, q0, q1\n"
    "  vpst\n"
    "  vldrbt.u8 q1, [r2]\n"
    "  vmladava.s8 r8, q0, q1\n"
    "  vpst\n"
    "  vldrbt.u8 q1, [r3]\n"
    "  vmladava.s8 r10, q0, q1\n"
    "  vpst\n"
    "  vldrbt.u8 q1, [r4]\n"
    "  vmladava.s8 r12, q0, q1\n"
    "  add r4, r4, lr\n"
    "5:\n"
    "  mov r1, r4\n"  // the next group's first row follows this group's last
    "  ldr r0, [sp, #12]\n"
    "  cbz r0, 3f\n"
    "  vld40.32 {q4, q5, q6, q7}, [r11]\n"
    "  vld41.32 {q4, q5, q6, q7}, [r11]\n"
    "  vld42.32 {q4, q5, q6, q7}, [r11]\n"
    "  vld43.32 {q4, q5, q6, q7}, [r11]!\n"
    "  vneg.s32 q6, q6\n"
    "3:\n"
    "  vmov q0[2], q0[0], r6, r10\n"  // lanes 0 and 2 (the first register to lane 0)
    "  vmov q0[3], q0[1], r8, r12\n"
    "  vshl.s32 q0, q0, q5\n"
    "  vrmulh.s32 q0, q0, q4\n"
    "  vshr.s32 q1, q0, #31\n"
    "  vadd.i32 q0, q0, q7\n"
    "  vadd.i32 q0, q0, q1\n"
    "  vshl.s32 q0, q0, q6\n"
    "  vldrw.u32 q1, [sp, #16]\n"
    "  vmax.s32 q0, q0, q1\n"
    "  vldrw.u32 q1, [sp, #32]\n"
    "  vmin.s32 q0, q0, q1\n"
    "  vstrb.32 q0, [r7], #4\n"
    "  ldr r0, [sp, #8]\n"
    "  cmp r7, r0\n"
    "  bne 1b\n"
    "  add sp, sp, #48\n"
    "  vpop {d8-d15}\n"
    "  pop {r4-r11, pc}\n"
    "  .size utensor_fc_mve_groups4, . - utensor_fc_mve_groups4\n"
    "  .popsection\n"
    ".syntax unified\n"
    ".thumb\n");

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
    // The converter folds the input offset into the bias for constant weights (never
    // null then): those layers take the assembly; the rest the loops below.
    if (params.fast_requant && offset == 0 && bias != nullptr && out_depth >= 4) {
      Groups4Job job;
      job.x = x;
      job.vecs = depth >> 4;
      job.out_end = out + (out_depth & ~3);
      job.per_channel = params.per_channel;
      for (int i = 0; i < 4; ++i) {
        job.lo[i] = params.activation_min;
        job.hi[i] = params.activation_max;
      }
      job.w = filter;
      job.bias = bias;
      job.out = out;
      job.depth = depth;
      job.fast = params.fast_requant;
      utensor_fc_mve_groups4(&job);
      o = out_depth & ~3;
    }
    // Input offset 0: the four-row loop needs no weight sums.
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
