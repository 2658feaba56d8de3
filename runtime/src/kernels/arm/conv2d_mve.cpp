// int8 CONV_2D (conv2d_s8_gemm) for cores with integer Helium (MVE, Cortex-M55): the
// convolution as a matrix product of im2col windows by the filter rows, sixteen
// multiply-adds per VMLADAVA. Same contract and the same integers as the portable kernel
// (exact int32 sums in another order, TFLite's requantization), hence the same bytes.
//
// Main path: four output pixels by two output channels per pass. The four windows are
// copied to scratch interleaved in 16-byte blocks (block t of pixel j at 64 t + 16 j), so
// one post-incremented pointer walks all four and each step of 16 window bytes is six
// vector loads and eight VMLADAVA (128 multiply-adds) in registers: eight scalar
// accumulators fill the even core registers VMLADAVA requires. The eight results are
// requantized as two vectors (one per channel), narrowed together to int16 (saturating:
// the clamp to int8 limits gives the same bytes) and stored with one byte scatter.
// A window tail (window % 16) is a predicated weight load: masked lanes load zero, so the
// input bytes there need no clearing. Pixels left over by groups of four (one or two)
// take one pixel by four output channels (contiguous window, vector requantization).
// Windows fully or partly in the padding hold the input zero point there, which adds
// exactly nothing with folded_bias (bias + input_offset * sum of the channel's weights).
//
// Shapes with their own loops (kws on the M55: rows of five pixels, row-streamed):
// pointwise layers over 64 channels read the four windows straight from the input
// (pointwise_x4, pairs_x4) and their fifth pixel holds its window in registers
// (quads_x4); layers whose filter rows are one word (kws's 10x4 first layer) build
// their windows from word loads (words_gemm, words_to) and 40-byte windows run with
// fixed offsets (pairs_k40). Whole-step remainder pixels take a 1x4 assembly loop
// (quads) instead of channels_1x4.
#include "utensor/kernels/arch.hpp"

#if UTENSOR_KERNELS_MVE

#include <arm_mve.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "utensor/kernels/conv2d.hpp"
#include "utensor/kernels/detail/kernel_util.hpp"

namespace utensor {
namespace kernels {
namespace {

using namespace detail;  // NOLINT: the kernels' shared helpers

// ---- im2col -----------------------------------------------------------------------
// A window is written as 16-byte chunks `pitch` bytes apart: pitch 16 is a contiguous
// window, pitch 64 the interleaved layout of a group of four pixels (then runs must start
// at multiples of 16, or the window fit one chunk).

// `len` bytes to window offset k: contiguous (pitch 16), runs starting at multiples of 16
// (C_IN % 16 == 0), or a window that fits one chunk.
UTENSOR_HOT_INLINE void put_run(int8_t* dst, int32_t pitch, int32_t k, const int8_t* src,
                                int32_t len) {
  int8_t* d = dst + (k >> 4) * pitch + (k & 15);
  for (; len > 0; len -= 16, src += 16, d += pitch) {
    const mve_pred16_t p = vctp8q(static_cast<uint32_t>(len));
    vstrbq_p_s8(d, vldrbq_z_s8(src, p), p);
  }
}

UTENSOR_HOT_INLINE void fill_run(int8_t* dst, int32_t pitch, int32_t k, int8x16_t pad,
                                 int32_t len) {
  int8_t* d = dst + (k >> 4) * pitch + (k & 15);
  for (; len > 0; len -= 16, d += pitch) vstrbq_p_s8(d, pad, vctp8q(static_cast<uint32_t>(len)));
}

// The window of the output pixel whose window origin is (y0, x0) in `in_batch`, written
// with put_run / fill_run (taps outside the image: the input zero point).
void gather(const Conv2DShape& s, const int8_t* in_batch, int32_t y0, int32_t x0,
            int8x16_t pad, int8_t* dst, int32_t pitch) {
  const int32_t depth = s.input_channels;
  const int32_t row = s.filter_width * depth;
  const int32_t in_row = s.input_width * depth;
  int32_t kx_begin, kx_end;
  tap_range(x0, s.dilation_width, s.filter_width, s.input_width, &kx_begin, &kx_end);
  int32_t k = 0;
  for (int32_t ky = 0; ky < s.filter_height; ++ky, k += row) {
    const int32_t y = y0 + ky * s.dilation_height;
    if (y < 0 || y >= s.input_height) {
      fill_run(dst, pitch, k, pad, row);
      continue;
    }
    const int8_t* src = in_batch + y * in_row;
    if (s.dilation_width == 1) {  // the taps inside the image are one run of input
      const int32_t before = kx_begin * depth;
      const int32_t inside = (kx_end - kx_begin) * depth;
      fill_run(dst, pitch, k, pad, before);
      put_run(dst, pitch, k + before, src + (x0 + kx_begin) * depth, inside);
      fill_run(dst, pitch, k + before + inside, pad, row - before - inside);
      continue;
    }
    for (int32_t kx = 0; kx < s.filter_width; ++kx) {
      const int32_t kk = k + kx * depth;
      if (kx >= kx_begin && kx < kx_end) {
        put_run(dst, pitch, kk, src + (x0 + kx * s.dilation_width) * depth, depth);
      } else {
        fill_run(dst, pitch, kk, pad, depth);
      }
    }
  }
}

// The window of an output pixel whose taps are all inside the image, without horizontal
// dilation (most pixels): KH (>= 1) runs of `row` input bytes, `tap_row` apart, from `src`.
template <bool kBlocks>
UTENSOR_HOT_INLINE void gather_inside(const int8_t* src, int32_t tap_row, int32_t kh,
                                      int32_t row, int8_t* dst, int32_t pitch) {
  if (kBlocks) {
    const int32_t chunks = row >> 4;
    for (int32_t ky = 0; ky < kh; ++ky, src += tap_row) {
      const int8_t* p = src;
      for (int32_t c = 0; c < chunks; ++c, p += 16, dst += pitch) vstrbq_s8(dst, vldrbq_s8(p));
    }
  } else if (row <= 16) {
    // Contiguous: one predicated copy per row. Assembly: GCC 12 moves the predicate
    // through a core register around every predicated instruction of such a loop. It
    // overwrites VPR, which GCC cannot be told: only called from rows_to (out of line;
    // VPR is not preserved across calls).
    int8x16_t v;
    __asm__ volatile(
        "vctp.8 %[row]\n\t"
        "1:\n\t"
        "vpst\n\t"
        "vldrbt.u8 %q[v], [%[src]]\n\t"
        "vpst\n\t"
        "vstrbt.8 %q[v], [%[dst]]\n\t"
        "add %[src], %[src], %[tap_row]\n\t"
        "add %[dst], %[dst], %[row]\n\t"
        "subs %[kh], %[kh], #1\n\t"
        "bne 1b\n\t"
        : [v] "=&w"(v), [src] "+r"(src), [dst] "+r"(dst), [kh] "+r"(kh)
        : [row] "r"(row), [tap_row] "r"(tap_row)
        : "cc", "memory");
  } else {
    for (int32_t ky = 0; ky < kh; ++ky, src += tap_row) put_run(dst, 16, ky * row, src, row);
  }
}

// Output pixels in order (batch, row, column) with their window origins.
struct Cursor {
  int32_t b, oy, ox;
  void next(const Conv2DShape& s) {
    if (++ox == s.output_width) {
      ox = 0;
      if (++oy == s.output_height) {
        oy = 0;
        ++b;
      }
    }
  }
};

// ---- File-scope assembly --------------------------------------------------------------
// The loops below are functions written as file-scope asm blocks. Each block stands
// alone, so that it assembles wherever the compiler emits it (with -flto, in a link-time
// partition of GCC's choosing, beside other files' code; test/test_build_matrix.py
// assembles each block on its own):
//  - it starts with `.syntax unified` and `.thumb` and ends with them set again (the
//    assembler cannot save and restore them; unified Thumb is the state GCC itself
//    emits, before each function, for these Thumb-only cores);
//  - each function goes in its own section, `.text.<name>`, as -ffunction-sections
//    names them, so --gc-sections drops unused ones; .pushsection / .popsection restore
//    the section that was current before it (UT_FUNC / UT_ENDFUNC);
//  - every assembler macro it uses is defined in the block and purged at its end: the
//    macros several blocks share are C string macros (UTENSOR_MVE_*) pasted into each.
// The C callers declare the functions extern "C"; the calls are opaque to the compiler,
// so the memory the loops read and write (named by their PairLoop / QuadLoop) is visible
// to it as any call's would be.
#define UTENSOR_MVE_ASM_BEGIN                        \
  ".syntax unified\n"                                \
  ".thumb\n"                                         \
  ".macro UT_FUNC name\n"                            \
  "  .pushsection .text.\\name, \"ax\", %progbits\n" \
  "  .align 2\n"                                     \
  "  .global \\name\n"                               \
  "  .type \\name, %function\n"                      \
  "  .thumb_func\n"                                  \
  "\\name:\n"                                        \
  ".endm\n"                                          \
  ".macro UT_ENDFUNC name\n"                         \
  "  .size \\name, . - \\name\n"                     \
  "  .popsection\n"                                  \
  ".endm\n"
#define UTENSOR_MVE_ASM_END \
  ".purgem UT_ENDFUNC\n"    \
  ".purgem UT_FUNC\n"       \
  ".syntax unified\n"       \
  ".thumb\n"

// The parts every pair loop shares (pairs_w / _wt / _any, pairs_x4, pairs_k40).
#define UTENSOR_MVE_PASS_MACROS                                                            \
  /* Entry: r9 the PairLoop, q4 the store offsets; saves d8..vtop. */                      \
  ".macro UT_PENTRY name, vtop\n"                                                          \
  "  UT_FUNC \\name\n"                                                                     \
  "  push {r4-r11, lr}\n"                                                                  \
  "  vpush {d8-\\vtop}\n"                                                                  \
  "  mov r9, r0\n"                                                                         \
  "  add r0, r9, #64\n"                                                                    \
  "  vldrh.u16 q4, [r0]\n"                                                                 \
  ".endm\n"                                                                                \
  /* the eight sums plus the bias to q5 (first channel) / q6 (second); the moving state */ \
  /* loaded (bias, mult and shift pointers, out, passes) and r10 / r12 the multipliers */  \
  ".macro UT_PSUMS\n"                                                                      \
  "  vmov q5[2], q5[0], r0, r8\n"                                                          \
  "  vmov q5[3], q5[1], r4, r12\n"                                                         \
  "  vmov q6[2], q6[0], r2, r10\n"                                                         \
  "  vmov q6[3], q6[1], r6, lr\n"                                                          \
  "  ldm r9, {r0, r2, r4, r6, r8}\n"                                                       \
  "  ldrd r10, r12, [r0], #8\n"                                                            \
  "  vadd.i32 q5, q5, r10\n"                                                               \
  "  vadd.i32 q6, q6, r12\n"                                                               \
  "  ldrd r10, r12, [r2], #8\n"                                                            \
  ".endm\n"                                                                                \
  /* right shifts only: VQRDMULH, sign fixup, VRSHL; narrowed to int16 lanes in q0 */      \
  ".macro UT_PSCALE\n"                                                                     \
  "  vqrdmulh.s32 q5, q5, r10\n"                                                           \
  "  vqrdmulh.s32 q6, q6, r12\n"                                                           \
  "  ldrsb r12, [r4, #1]\n"                                                                \
  "  ldrsb r10, [r4], #2\n"                                                                \
  "  vshr.s32 q0, q5, #31\n"                                                               \
  "  vshr.s32 q1, q6, #31\n"                                                               \
  "  vadd.i32 q5, q5, q0\n"                                                                \
  "  vadd.i32 q6, q6, q1\n"                                                                \
  "  vrshl.s32 q5, r10\n"                                                                  \
  "  vrshl.s32 q6, r12\n"                                                                  \
  "  vqmovnb.s32 q0, q5\n"                                                                 \
  "  vqmovnt.s32 q0, q6\n"                                                                 \
  ".endm\n"                                                                                \
  /* plus the zero point (a register or a vector), saturated to int8, every lane stored */ \
  ".macro UT_PSTORE zp\n"                                                                  \
  "  vqadd.s16 q0, q0, \\zp\n"                                                             \
  "  vqmovnb.s16 q1, q0\n"                                                                 \
  "  vstrb.16 q1, [r6, q4]\n"                                                              \
  ".endm\n"                                                                                \
  /* the next pass (the moving state saved), or the return */                              \
  ".macro UT_PEXIT vtop\n"                                                                 \
  "  adds r6, r6, #2\n"                                                                    \
  "  subs r8, r8, #1\n"                                                                    \
  "  stm r9, {r0, r2, r4, r6, r8}\n"                                                       \
  "  bne 1b\n"                                                                             \
  "  vpop {d8-\\vtop}\n"                                                                   \
  "  pop {r4-r11, pc}\n"                                                                   \
  ".endm\n"                                                                                \
  ""
#define UTENSOR_MVE_PASS_PURGE \
  ".purgem UT_PEXIT\n"         \
  ".purgem UT_PSTORE\n"        \
  ".purgem UT_PSCALE\n"        \
  ".purgem UT_PSUMS\n"         \
  ".purgem UT_PENTRY\n"
// The products of the four windows at r1 + o0 .. o3 (word loads) and the two weight rows
// in q0 / q1 (pairs_x4 and pairs_k40).
#define UTENSOR_MVE_WIN4_MACRO          \
  ".macro UT_WIN4 op, o0, o1, o2, o3\n" \
  "  vldrw.u32 q2, [r1, #(\\o0)]\n"     \
  "  \\op r0, q2, q0\n"                 \
  "  \\op r2, q2, q1\n"                 \
  "  vldrw.u32 q3, [r1, #(\\o1)]\n"     \
  "  \\op r4, q3, q0\n"                 \
  "  \\op r6, q3, q1\n"                 \
  "  vldrw.u32 q2, [r1, #(\\o2)]\n"     \
  "  \\op r8, q2, q0\n"                 \
  "  \\op r10, q2, q1\n"                \
  "  vldrw.u32 q3, [r1, #(\\o3)]\n"     \
  "  \\op r12, q3, q0\n"                \
  "  \\op lr, q3, q1\n"                 \
  ".endm\n"                             \
  ""

// ---- four pixels by two channels: the assembly loop -----------------------------------
// What utensor_conv2d_mve_pairs_* read (offsets fixed by the assembly below). The first
// five words are the loop's moving state (one LDM / STM per pass).
struct PairLoop {
  const int32_t* bias;   // 0: folded_bias of the pass's first channel
  const int32_t* mult;   // 4
  const int8_t* shift;   // 8
  int8_t* out;           // 12: pixel 0, channel oc
  int32_t pairs;         // 16: passes left (>= 1)
  const int8_t* x;       // 20: the four interleaved windows
  int32_t window;        // 24: weight row length (0: both channels of a pass are one)
  int32_t n;             // 28: window / 16 - 1 (whole 16-byte steps after the first; -1: none)
  const int8_t* w;       // 32: weights of the first channel
  int32_t zero_point;    // 36
  int32_t clamp;         // 40: 0 when the activation range is [-128, 127]
  int32_t lo, hi;        // 44, 48
  uint32_t tail;         // 52: predicate of the window's last window % 16 bytes (0: none)
  uint32_t store;        // 56: predicate of the 16-bit lanes to store
  int32_t unused;        // 60
  uint16_t offsets[8];   // 64: lane 2 i + c -> byte offset of pixel i, channel c
};

// The assembly's offsets.
static_assert(offsetof(PairLoop, x) == 20 && offsetof(PairLoop, w) == 32 &&
                  offsetof(PairLoop, zero_point) == 36 && offsetof(PairLoop, lo) == 44 &&
                  offsetof(PairLoop, tail) == 52 && offsetof(PairLoop, store) == 56 &&
                  offsetof(PairLoop, offsets) == 64,
              "PairLoop layout");

extern "C" {
// The plain loops take windows of whole 16-byte steps (_w) or any window (_wt: a tail,
// or a tail only with n = -1) and require right shifts only, the activation range
// [-128, 127] and every lane stored (four pixels, two channels); _any takes any window,
// any shifts, the clamp and the store predicate (a few more instructions per pass).
void utensor_conv2d_mve_pairs_w(PairLoop* loop);
void utensor_conv2d_mve_pairs_wt(PairLoop* loop);
void utensor_conv2d_mve_pairs_any(PairLoop* loop);
}

// Register use: accumulators in the even registers VMLADAVA requires (pixel 0..3 of the
// first channel in r0, r4, r8, r12; of the second in r2, r6, r10, lr), r1 the windows,
// r3 / r5 the two weight rows, r7 the step count, r9 the PairLoop, r11 the next pass's
// weights. Per 16-byte step: two weight loads, four window loads, eight VMLADAVA.
// Requantization: VQRDMULH, sign fixup, VRSHL per channel vector; both vectors narrowed
// to int16 lanes (saturating) with the zero point added, saturated or clamped to int8,
// and stored with one predicated byte scatter.
__asm__(
    UTENSOR_MVE_ASM_BEGIN
    UTENSOR_MVE_PASS_MACROS
    ".macro UT_XSTEP op\n"
    "  vldrb.u8 q2, [r1], #16\n"
    "  \\op r0, q2, q0\n"
    "  \\op r2, q2, q1\n"
    "  vldrb.u8 q3, [r1], #16\n"
    "  \\op r4, q3, q0\n"
    "  \\op r6, q3, q1\n"
    "  vldrb.u8 q2, [r1], #16\n"
    "  \\op r8, q2, q0\n"
    "  \\op r10, q2, q1\n"
    "  vldrb.u8 q3, [r1], #16\n"
    "  \\op r12, q3, q0\n"
    "  \\op lr, q3, q1\n"
    ".endm\n"
    ".macro UT_STEP op\n"
    "  vldrb.u8 q0, [r3], #16\n"
    "  vldrb.u8 q1, [r5], #16\n"
    "  UT_XSTEP \\op\n"
    ".endm\n"
    ".macro UT_TAIL op\n"
    "  ldr r7, [r9, #52]\n"
    "  UT_TAILP \\op\n"
    ".endm\n"
    ".macro UT_TAILP op\n"  // the tail predicate already in r7
    "  vmsr p0, r7\n"
    "  vpstt\n"
    "  vldrbt.u8 q0, [r3]\n"
    "  vldrbt.u8 q1, [r5]\n"
    "  UT_XSTEP \\op\n"
    ".endm\n"
    // shape: 0 whole steps only, 1 whole steps and a tail, 2 either, or a tail only (tested
    // per pass); any: 1 for any shifts, the clamp and the store predicate
    ".macro UT_PAIRS name, shape, any\n"
    "  UT_PENTRY \\name, d13\n"
    "  ldr r11, [r9, #32]\n"
    "1:\n"
    "  ldrd r1, r5, [r9, #20]\n"
    "  ldr r7, [r9, #28]\n"
    "  mov r3, r11\n"
    "  add r5, r11\n"
    "  rsb r11, r3, r5, lsl #1\n"
    "  .if \\shape == 2\n"
    "  cmp r7, #0\n"
    "  blt 5f\n"
    "  .endif\n"
    "  UT_STEP vmladav.s8\n"
    "  lsrs r7, r7, #1\n"
    "  bcc 3f\n"
    "  UT_STEP vmladava.s8\n"
    "3:\n"
    "  beq 2f\n"
    "4:\n"
    "  UT_STEP vmladava.s8\n"
    "  UT_STEP vmladava.s8\n"
    "  subs r7, r7, #1\n"
    "  bne 4b\n"
    "2:\n"
    "  .if \\shape == 1\n"
    "  UT_TAIL vmladava.s8\n"
    "  .endif\n"
    "  .if \\shape == 2\n"
    "  ldr r7, [r9, #52]\n"
    "  cmp r7, #0\n"
    "  beq 6f\n"
    "  UT_TAILP vmladava.s8\n"
    "  b 6f\n"
    "5:\n"
    "  UT_TAIL vmladav.s8\n"
    "6:\n"
    "  .endif\n"
    "  UT_PSUMS\n"
    "  .if \\any\n"
    "  ldrsb r3, [r4, #1]\n"
    "  ldrsb r1, [r4], #2\n"
    "  bic r5, r1, r1, asr #31\n"
    "  bic r7, r3, r3, asr #31\n"
    "  vshl.s32 q5, r5\n"
    "  vshl.s32 q6, r7\n"
    "  vqrdmulh.s32 q5, q5, r10\n"
    "  vqrdmulh.s32 q6, q6, r12\n"
    "  and r1, r1, r1, asr #31\n"
    "  and r3, r3, r3, asr #31\n"
    "  vdup.32 q0, r1\n"
    "  vdup.32 q1, r3\n"
    "  vand q0, q0, q5\n"
    "  vand q1, q1, q6\n"
    "  vshr.s32 q0, q0, #31\n"
    "  vshr.s32 q1, q1, #31\n"
    "  vadd.i32 q5, q5, q0\n"
    "  vadd.i32 q6, q6, q1\n"
    "  vrshl.s32 q5, r1\n"
    "  vrshl.s32 q6, r3\n"
    "  vqmovnb.s32 q0, q5\n"
    "  vqmovnt.s32 q0, q6\n"
    "  ldrd r10, r12, [r9, #36]\n"
    "  vqadd.s16 q0, q0, r10\n"
    "  cmp r12, #0\n"
    "  bne 7f\n"
    "  vqmovnb.s16 q1, q0\n"
    "8:\n"
    "  ldr r12, [r9, #56]\n"
    "  vmsr p0, r12\n"
    "  vpst\n"
    "  vstrbt.16 q1, [r6, q4]\n"
    "  .else\n"
    "  UT_PSCALE\n"
    "  ldr r10, [r9, #36]\n"
    "  UT_PSTORE r10\n"
    "  .endif\n"
    "  UT_PEXIT d13\n"
    "  .if \\any\n"
    "7:\n"
    "  ldrd r10, r12, [r9, #44]\n"
    "  vdup.16 q1, r10\n"
    "  vmax.s16 q0, q0, q1\n"
    "  vdup.16 q1, r12\n"
    "  vmin.s16 q1, q0, q1\n"
    "  b 8b\n"
    "  .endif\n"
    "  UT_ENDFUNC \\name\n"
    ".endm\n"
    "UT_PAIRS utensor_conv2d_mve_pairs_w, 0, 0\n"
    "UT_PAIRS utensor_conv2d_mve_pairs_wt, 2, 0\n"
    "UT_PAIRS utensor_conv2d_mve_pairs_any, 2, 1\n"
    ".purgem UT_PAIRS\n"
    ".purgem UT_TAILP\n"
    ".purgem UT_TAIL\n"
    ".purgem UT_STEP\n"
    ".purgem UT_XSTEP\n"
    UTENSOR_MVE_PASS_PURGE
    UTENSOR_MVE_ASM_END);

// Pointwise layers over 64-byte windows (kws's, some of vww's): utensor_conv2d_mve_pairs_x4,
// the plain loop reading the four windows straight from the input (consecutive pixels,
// 64 bytes apart) and both weight rows through one pointer, at fixed offsets: no window
// copies, no step loop and no pointer updates. Requires the plain loop's conditions, an
// even C_OUT and 4-byte aligned input and filter (word loads). The macro takes any
// n <= 7 whole steps; only the hot shape is instantiated, for code size.
extern "C" void utensor_conv2d_mve_pairs_x4(PairLoop* loop);

__asm__(
    UTENSOR_MVE_ASM_BEGIN
    UTENSOR_MVE_PASS_MACROS
    UTENSOR_MVE_WIN4_MACRO
    // step t of n: weights at r3 (which the pass's first load advanced by 32 n), the
    // four windows at r1 + 16 (n j + t)
    ".macro UT_DSTEP op, t, n\n"
    "  .if \\t == 0\n"
    "  vldrw.u32 q0, [r3], #(32 * \\n)\n"
    "  .else\n"
    "  vldrw.u32 q0, [r3, #(16 * \\t - 32 * \\n)]\n"
    "  .endif\n"
    "  vldrw.u32 q1, [r3, #(16 * \\t - 16 * \\n)]\n"
    "  UT_WIN4 \\op, 16*\\t, 16*\\n+16*\\t, 32*\\n+16*\\t, 48*\\n+16*\\t\n"
    ".endm\n"
    ".macro UT_DPAIRS name, n\n"
    "  UT_PENTRY \\name, d15\n"
    "  ldr r0, [r9, #36]\n"
    "  vdup.16 q7, r0\n"
    "  ldr r1, [r9, #20]\n"
    "  ldr r3, [r9, #32]\n"
    "1:\n"
    "  UT_DSTEP vmladav.s8, 0, \\n\n"
    "  .irp t, 1, 2, 3, 4, 5, 6\n"
    "  .if \\t < \\n\n"
    "  UT_DSTEP vmladava.s8, \\t, \\n\n"
    "  .endif\n"
    "  .endr\n"
    "  UT_PSUMS\n"
    "  UT_PSCALE\n"
    "  UT_PSTORE q7\n"
    "  UT_PEXIT d15\n"
    "  UT_ENDFUNC \\name\n"
    ".endm\n"
    "UT_DPAIRS utensor_conv2d_mve_pairs_x4, 4\n"
    ".purgem UT_DPAIRS\n"
    ".purgem UT_DSTEP\n"
    ".purgem UT_WIN4\n"
    UTENSOR_MVE_PASS_PURGE
    UTENSOR_MVE_ASM_END);

// Windows of a fixed K bytes gathered to scratch (interleaved; 4-byte aligned) with the
// plain loop's conditions: utensor_conv2d_mve_pairs_k40, the same passes with every
// offset fixed (windows at 64 t + 16 j, weight rows K apart through one pointer, the
// tail's predicate set once per call): no step loop and no pointer updates. For kws's
// first layer (10x4 over one channel: 40 bytes, 2 steps and an 8-byte tail); the macro
// takes any K with 2 K + 16 (steps - 1) <= 127 (byte-load offsets).
extern "C" void utensor_conv2d_mve_pairs_k40(PairLoop* loop);

__asm__(
    UTENSOR_MVE_ASM_BEGIN
    UTENSOR_MVE_PASS_MACROS
    UTENSOR_MVE_WIN4_MACRO
    // step t: weights at r3 (advanced by 2 K by the pass's first load); `pred` 1 for the
    // tail (predicated weight loads: masked lanes load zero)
    ".macro UT_KSTEP op, t, k, pred\n"
    "  .if \\pred\n"
    "  vpstt\n"
    "  vldrbt.u8 q0, [r3, #(16 * \\t - 2 * \\k)]\n"
    "  vldrbt.u8 q1, [r3, #(16 * \\t - \\k)]\n"
    "  .else\n"
    "  .if \\t == 0\n"
    "  vldrb.u8 q0, [r3], #(2 * \\k)\n"
    "  .else\n"
    "  vldrb.u8 q0, [r3, #(16 * \\t - 2 * \\k)]\n"
    "  .endif\n"
    "  vldrb.u8 q1, [r3, #(16 * \\t - \\k)]\n"
    "  .endif\n"
    "  UT_WIN4 \\op, 64*\\t, 64*\\t+16, 64*\\t+32, 64*\\t+48\n"
    ".endm\n"
    ".macro UT_KPAIRS name, k\n"
    "  UT_PENTRY \\name, d15\n"
    "  ldr r0, [r9, #36]\n"
    "  vdup.16 q7, r0\n"
    "  ldr r0, [r9, #52]\n"
    "  vmsr p0, r0\n"
    "  ldr r1, [r9, #20]\n"
    "  ldr r3, [r9, #32]\n"
    "1:\n"
    "  UT_KSTEP vmladav.s8, 0, \\k, 0\n"
    "  .irp t, 1, 2, 3, 4, 5, 6\n"
    "  .if 16 * \\t + 16 <= \\k\n"
    "  UT_KSTEP vmladava.s8, \\t, \\k, 0\n"
    "  .elseif 16 * \\t < \\k\n"
    "  UT_KSTEP vmladava.s8, \\t, \\k, 1\n"
    "  .endif\n"
    "  .endr\n"
    "  UT_PSUMS\n"
    "  UT_PSCALE\n"
    "  UT_PSTORE q7\n"
    "  UT_PEXIT d15\n"
    "  UT_ENDFUNC \\name\n"
    ".endm\n"
    "UT_KPAIRS utensor_conv2d_mve_pairs_k40, 40\n"
    ".purgem UT_KPAIRS\n"
    ".purgem UT_KSTEP\n"
    ".purgem UT_WIN4\n"
    UTENSOR_MVE_PASS_PURGE
    UTENSOR_MVE_ASM_END);

// ---- one pixel by four channels: the assembly loop -----------------------------------
// What utensor_conv2d_mve_quads reads (offsets fixed by the assembly below): the
// remainder pixel of a group of four (kws's rows of five pixels) over every output
// channel, for windows of whole 16-byte steps, C_OUT % 4 == 0 and right shifts only.
struct QuadLoop {
  const int32_t* bias;   // 0: folded_bias
  const int32_t* mult;   // 4
  int32_t shift_delta;   // 8: output_shift - out in bytes (one shift byte per output byte)
  int8_t* out;           // 12: the pixel's first channel
  const int8_t* x;       // 16: the window (contiguous)
  int32_t n;             // 20: window / 16 (>= 1)
  const int8_t* w;       // 24: the filter
  int32_t window;        // 28
  int8_t* out_end;       // 32: out + C_OUT
  int32_t zero_point;    // 36
  int32_t lo, hi;        // 40, 44: the activation range
};

static_assert(offsetof(QuadLoop, shift_delta) == 8 && offsetof(QuadLoop, x) == 16 &&
                  offsetof(QuadLoop, w) == 24 && offsetof(QuadLoop, out_end) == 32 &&
                  offsetof(QuadLoop, hi) == 44,
              "QuadLoop layout");

extern "C" void utensor_conv2d_mve_quads(QuadLoop* loop);

// Accumulators r0, r2, r4, r6 (channels oc..oc + 3), r1 the window, r3 / r5 / r10 / r9 the
// four weight rows, r8 the step count, r7 the output (a narrowing store takes a low
// register), r11 the QuadLoop, r12 / lr the bias and multiplier tables; q3 / q4 / q5 the zero point and the activation range. Per pass:
// one window load and four weight loads per 16-byte step, then one vector requantization
// (VQRDMULH, sign fixup, VRSHL by the shift vector) and a four-byte store.
__asm__(
    UTENSOR_MVE_ASM_BEGIN
    ".macro UT_QSTEP op\n"
    "  vldrb.u8 q0, [r1], #16\n"
    "  vldrb.u8 q1, [r3], #16\n"
    "  \\op r0, q0, q1\n"
    "  vldrb.u8 q2, [r5], #16\n"
    "  \\op r2, q0, q2\n"
    "  vldrb.u8 q1, [r10], #16\n"
    "  \\op r4, q0, q1\n"
    "  vldrb.u8 q2, [r9], #16\n"
    "  \\op r6, q0, q2\n"
    ".endm\n"
    "UT_FUNC utensor_conv2d_mve_quads\n"
    "  push {r4-r11, lr}\n"
    "  vpush {d8-d11}\n"
    "  mov r11, r0\n"
    "  ldrd r12, lr, [r11, #0]\n"
    "  ldr r7, [r11, #12]\n"
    "  ldrd r3, r8, [r11, #24]\n"
    "  add r5, r3, r8\n"
    "  add r10, r5, r8\n"
    "  add r9, r10, r8\n"
    "  ldrd r0, r2, [r11, #36]\n"
    "  vdup.32 q3, r0\n"
    "  vdup.32 q4, r2\n"
    "  ldr r0, [r11, #44]\n"
    "  vdup.32 q5, r0\n"
    "1:\n"
    "  ldrd r1, r8, [r11, #16]\n"
    "  UT_QSTEP vmladav.s8\n"
    "  subs r8, r8, #1\n"
    "  beq 3f\n"
    "2:\n"
    "  UT_QSTEP vmladava.s8\n"
    "  subs r8, r8, #1\n"
    "  bne 2b\n"
    "3:\n"
    "  ldr r8, [r11, #28]\n"
    "  mov r3, r9\n"
    "  add r5, r9, r8\n"
    "  add r10, r5, r8\n"
    "  add r9, r10, r8\n"
    "  vmov q0[2], q0[0], r0, r4\n"
    "  vmov q0[3], q0[1], r2, r6\n"
    "  vldrw.u32 q1, [r12], #16\n"
    "  vadd.i32 q0, q0, q1\n"
    "  vldrw.u32 q1, [lr], #16\n"
    "  vqrdmulh.s32 q0, q0, q1\n"
    "  ldr r1, [r11, #8]\n"
    "  add r1, r7\n"
    "  vldrb.s32 q1, [r1]\n"
    "  vshr.s32 q2, q0, #31\n"
    "  vadd.i32 q0, q0, q2\n"
    "  vrshl.s32 q0, q0, q1\n"
    "  vadd.i32 q0, q0, q3\n"
    "  vmax.s32 q0, q0, q4\n"
    "  vmin.s32 q0, q0, q5\n"
    "  vstrb.32 q0, [r7], #4\n"
    "  ldr r8, [r11, #32]\n"
    "  cmp r7, r8\n"
    "  bne 1b\n"
    "  vpop {d8-d11}\n"
    "  pop {r4-r11, pc}\n"
    "UT_ENDFUNC utensor_conv2d_mve_quads\n"
    ".purgem UT_QSTEP\n"
    UTENSOR_MVE_ASM_END);

// Windows of exactly four steps (64 bytes: kws's pointwise layers, one remainder pixel
// per row-streamed call), the activation range [-128, 127] and a 4-byte aligned filter:
// utensor_conv2d_mve_quads_x4, the
// same passes with the window held in q4..q7 for the whole call and the four weight rows
// (16 consecutive 16-byte blocks) read through one pointer at fixed offsets: no window
// loads, pointer updates or step loop. (The macro takes n = 1 to 4 steps; only the shape
// that is hot is instantiated, for code size.)
extern "C" void utensor_conv2d_mve_quads_x4(QuadLoop* loop);

// Accumulators r0, r2, r4, r6, r3 the filter (advanced by 64 n per pass by the first
// load), r12 / lr / r5 the bias, multiplier and shift tables, r7 the output, r11 its end,
// r9 the zero point. No activation clamp: the int16 then int8 saturating narrowings are
// the [-128, 127] limits (lo and hi are not read).
__asm__(
    UTENSOR_MVE_ASM_BEGIN
    // one channel's dot product: row `row` of the pass, step t at 16 (n row + t) - 64 n
    // from r3 (which the first load of the pass advanced by 64 n)
    ".macro UT_XDOT acc, row, n\n"
    "  .if \\row == 0\n"
    "  vldrw.u32 q0, [r3], #(64 * \\n)\n"
    "  .else\n"
    "  vldrw.u32 q0, [r3, #(16 * \\n * \\row - 64 * \\n)]\n"
    "  .endif\n"
    "  vmladav.s8 \\acc, q4, q0\n"
    "  .if \\n >= 2\n"
    "  vldrw.u32 q1, [r3, #(16 * \\n * \\row + 16 - 64 * \\n)]\n"
    "  vmladava.s8 \\acc, q5, q1\n"
    "  .endif\n"
    "  .if \\n >= 3\n"
    "  vldrw.u32 q0, [r3, #(16 * \\n * \\row + 32 - 64 * \\n)]\n"
    "  vmladava.s8 \\acc, q6, q0\n"
    "  .endif\n"
    "  .if \\n >= 4\n"
    "  vldrw.u32 q1, [r3, #(16 * \\n * \\row + 48 - 64 * \\n)]\n"
    "  vmladava.s8 \\acc, q7, q1\n"
    "  .endif\n"
    ".endm\n"
    ".macro UT_XQUADS name, n\n"
    "  UT_FUNC \\name\n"
    "  push {r4-r11, lr}\n"
    "  vpush {d8-d15}\n"
    "  ldrd r12, lr, [r0, #0]\n"
    "  ldr r7, [r0, #12]\n"
    "  ldr r5, [r0, #8]\n"
    "  add r5, r7\n"
    "  ldr r1, [r0, #16]\n"
    "  vldrb.u8 q4, [r1]\n"
    "  .if \\n >= 2\n"
    "  vldrb.u8 q5, [r1, #16]\n"
    "  .endif\n"
    "  .if \\n >= 3\n"
    "  vldrb.u8 q6, [r1, #32]\n"
    "  .endif\n"
    "  .if \\n >= 4\n"
    "  vldrb.u8 q7, [r1, #48]\n"
    "  .endif\n"
    "  ldr r3, [r0, #24]\n"
    "  ldr r11, [r0, #32]\n"
    "  ldr r9, [r0, #36]\n"
    "1:\n"
    "  UT_XDOT r0, 0, \\n\n"
    "  UT_XDOT r2, 1, \\n\n"
    "  UT_XDOT r4, 2, \\n\n"
    "  UT_XDOT r6, 3, \\n\n"
    "  vmov q2[2], q2[0], r0, r4\n"
    "  vmov q2[3], q2[1], r2, r6\n"
    "  vldrw.u32 q0, [r12], #16\n"
    "  vadd.i32 q2, q2, q0\n"
    "  vldrw.u32 q0, [lr], #16\n"
    "  vqrdmulh.s32 q2, q2, q0\n"
    "  vldrb.s32 q1, [r5], #4\n"
    "  vshr.s32 q3, q2, #31\n"
    "  vadd.i32 q2, q2, q3\n"
    "  vrshl.s32 q2, q2, q1\n"
    "  vadd.i32 q2, q2, r9\n"
    "  vqmovnb.s32 q2, q2\n"
    "  vqmovnb.s16 q2, q2\n"
    "  vstrb.32 q2, [r7], #4\n"
    "  cmp r7, r11\n"
    "  bne 1b\n"
    "  vpop {d8-d15}\n"
    "  pop {r4-r11, pc}\n"
    "  UT_ENDFUNC \\name\n"
    ".endm\n"
    "UT_XQUADS utensor_conv2d_mve_quads_x4, 4\n"
    ".purgem UT_XQUADS\n"
    ".purgem UT_XDOT\n"
    UTENSOR_MVE_ASM_END);
#undef UTENSOR_MVE_WIN4_MACRO
#undef UTENSOR_MVE_PASS_PURGE
#undef UTENSOR_MVE_PASS_MACROS
#undef UTENSOR_MVE_ASM_END
#undef UTENSOR_MVE_ASM_BEGIN

// {a, b, c, d} as one vector: two VMOVs of two lanes each (GCC 12 uses four).
UTENSOR_HOT_INLINE int32x4_t lanes(int32_t a, int32_t b, int32_t c, int32_t d) {
  int32x4_t v;
  __asm__("vmov %q[v][2], %q[v][0], %[a], %[c]\n\t"
          "vmov %q[v][3], %q[v][1], %[b], %[d]\n\t"
          : [v] "=&w"(v)
          : [a] "r"(a), [b] "r"(b), [c] "r"(c), [d] "r"(d));
  return v;
}

// One pixel's contiguous window `x` by four output channels at a time.
void channels_1x4(const Conv2DS8Params& params, const int8_t* x, const int8_t* filter,
                  int32_t window, int8_t* out) {
  const int32_t out_c = params.shape.output_channels;
  const int32_t whole = window >> 4;
  const mve_pred16_t tail = vctp8q(static_cast<uint32_t>(window & 15));
  for (int32_t oc = 0; oc < out_c; oc += 4) {
    const int32_t left = out_c - oc;
    const int8_t* w0 = filter + oc * window;
    // Channels past the end repeat the first (their results are not stored).
    const int8_t* w1 = left > 1 ? w0 + window : w0;
    const int8_t* w2 = left > 2 ? w0 + 2 * window : w0;
    const int8_t* w3 = left > 3 ? w0 + 3 * window : w0;
    const int8_t* px = x;
    int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    if (whole > 0) {
      int32_t n = whole;
      __asm__ volatile(
          "1:\n\t"
          "vldrb.8 q0, [%[x]], #16\n\t"
          "vldrb.8 q1, [%[w0]], #16\n\t"
          "vmladava.s8 %[a0], q0, q1\n\t"
          "vldrb.8 q2, [%[w1]], #16\n\t"
          "vmladava.s8 %[a1], q0, q2\n\t"
          "vldrb.8 q1, [%[w2]], #16\n\t"
          "vmladava.s8 %[a2], q0, q1\n\t"
          "vldrb.8 q2, [%[w3]], #16\n\t"
          "vmladava.s8 %[a3], q0, q2\n\t"
          "subs %[n], %[n], #1\n\t"
          "bne 1b\n\t"
          : [a0] "+Te"(a0), [a1] "+Te"(a1), [a2] "+Te"(a2), [a3] "+Te"(a3), [x] "+r"(px),
            [w0] "+r"(w0), [w1] "+r"(w1), [w2] "+r"(w2), [w3] "+r"(w3), [n] "+r"(n)
          :
          : "q0", "q1", "q2", "cc", "memory");
    }
    if (window & 15) {
      const int8x16_t xv = vldrbq_s8(px);
      a0 = vmladavaq_s8(a0, xv, vldrbq_z_s8(w0, tail));
      a1 = vmladavaq_s8(a1, xv, vldrbq_z_s8(w1, tail));
      a2 = vmladavaq_s8(a2, xv, vldrbq_z_s8(w2, tail));
      a3 = vmladavaq_s8(a3, xv, vldrbq_z_s8(w3, tail));
    }
    const mve_pred16_t keep = vctp32q(static_cast<uint32_t>(left));
    int32x4_t v = vaddq_s32(lanes(a0, a1, a2, a3), vldrwq_z_s32(params.folded_bias + oc, keep));
    v = mve_multiply_by_multiplier(v, vldrwq_z_s32(params.output_multiplier + oc, keep),
                                   vldrbq_z_s32(params.output_shift + oc, keep));
    v = mve_offset_clamp(v, params.output_offset, params.activation_min, params.activation_max);
    vstrbq_p_s32(out + oc, v, keep);
  }
}

// Output pixel i reads input pixel i (1x1, no padding, unit strides, consecutive rows;
// the condition of the portable kernel's pointwise path).
bool is_pointwise(const Conv2DShape& s) {
  return s.filter_height == 1 && s.filter_width == 1 && s.stride_width == 1 && s.pad_top == 0 &&
         s.pad_left == 0 && s.output_width == s.input_width &&
         (s.stride_height == 1 || s.output_height == 1) &&
         (s.batches == 1 || s.output_height == s.input_height);
}

// The layer's window geometry, for the gathers below.
struct Windows {
  const Conv2DShape* s;
  const int8_t* input;
  int32_t depth, in_image, in_row, row, tap_row;
  // Window origins (y0, x0) with 0 <= y0 < y_lim and 0 <= x0 < x_lim have every tap inside.
  int32_t y_lim, x_lim;
  bool interior;  // no horizontal dilation and some such origins
  bool blocks;    // C_IN % 16 == 0: runs of whole chunks
  uint32_t pad_word;  // the input zero point in each byte (words_to)
  int8x16_t pad;  // the input zero point
};

// The in-image window whose first row starts at `src`, to dst (chunks `pitch` apart when
// blocks; else contiguous, or a single chunk). Out of line: one copy for every caller.
__attribute__((noinline)) void rows_to(const Windows& g, const int8_t* src, int8_t* dst,
                                       int32_t pitch) {
  if (g.blocks) {
    gather_inside<true>(src, g.tap_row, g.s->filter_height, g.row, dst, pitch);
  } else {
    gather_inside<false>(src, g.tap_row, g.s->filter_height, g.row, dst, pitch);
  }
}

// The window of output pixel `at` to dst, as rows_to; taps in the padding hold the input
// zero point.
__attribute__((noinline)) void window_to(const Windows& g, const Cursor& at, int8_t* dst,
                                         int32_t pitch) {
  const Conv2DShape& s = *g.s;
  const int8_t* in_batch = g.input + at.b * g.in_image;
  const int32_t y0 = at.oy * s.stride_height - s.pad_top;
  const int32_t x0 = at.ox * s.stride_width - s.pad_left;
  if (g.interior && static_cast<uint32_t>(y0) < static_cast<uint32_t>(g.y_lim) &&
      static_cast<uint32_t>(x0) < static_cast<uint32_t>(g.x_lim)) {
    rows_to(g, in_batch + y0 * g.in_row + x0 * g.depth, dst, pitch);
  } else {
    gather(s, in_batch, y0, x0, g.pad, dst, pitch);
  }
}

// The window of output pixel `at` when each filter row is one word (KW * C_IN == 4, no
// horizontal dilation, KH <= 16, every window overlapping the image horizontally:
// words_gemm; e.g. kws's first layer, 10x4 over one channel): one unaligned word load per
// row inside the image, shifted to let the padding's zero point in on the side it
// covers, else the pad word; built in registers / on the stack, then stored as 16-byte
// chunks `pitch` apart (the bytes past KH words are zero: the weights there are masked).
__attribute__((noinline)) void words_to(const Windows& g, const Cursor& at, int8_t* dst,
                                        int32_t pitch) {
  const Conv2DShape& s = *g.s;
  const int32_t kh = s.filter_height;
  const int32_t y0 = at.oy * s.stride_height - s.pad_top;
  const int32_t xb = (at.ox * s.stride_width - s.pad_left) * g.depth;  // first tap byte
  const int32_t last = g.in_row - 4;
  const int32_t sb = xb < 0 ? 0 : (xb > last ? last : xb);  // the word read, in the row
  const int8_t* src = g.input + at.b * g.in_image + sb;
  uint32_t rows[16] __attribute__((aligned(16)));
  if (y0 >= 0 && y0 + (kh - 1) * s.dilation_height < s.input_height) {
    const int8_t* p = src + y0 * g.in_row;
    // |xb - sb| <= 3 (words_gemm's conditions): shifts of 8 to 24 bits.
    if (xb == sb) {
      for (int32_t ky = 0; ky < kh; ++ky, p += g.tap_row) memcpy(&rows[ky], p, 4);
    } else if (xb < sb) {
      const uint32_t lsh = static_cast<uint32_t>(8 * (sb - xb));
      const uint32_t fill = g.pad_word & ~(0xFFFFFFFFu << lsh);
      for (int32_t ky = 0; ky < kh; ++ky, p += g.tap_row) {
        uint32_t v;
        memcpy(&v, p, 4);
        rows[ky] = (v << lsh) | fill;
      }
    } else {
      const uint32_t rsh = static_cast<uint32_t>(8 * (xb - sb));
      const uint32_t fill = g.pad_word & ~(0xFFFFFFFFu >> rsh);
      for (int32_t ky = 0; ky < kh; ++ky, p += g.tap_row) {
        uint32_t v;
        memcpy(&v, p, 4);
        rows[ky] = (v >> rsh) | fill;
      }
    }
  } else {
    const uint32_t lsh = static_cast<uint32_t>(xb < sb ? 8 * (sb - xb) : 0);
    const uint32_t rsh = static_cast<uint32_t>(xb > sb ? 8 * (xb - sb) : 0);
    const uint32_t fill = g.pad_word & ~((0xFFFFFFFFu << lsh) >> rsh);
    const uint32_t height = static_cast<uint32_t>(s.input_height);
    int32_t y = y0;
    for (int32_t ky = 0; ky < kh; ++ky, y += s.dilation_height) {
      uint32_t v = g.pad_word;
      if (static_cast<uint32_t>(y) < height) {
        memcpy(&v, src + y * g.in_row, 4);
        v = ((v << lsh) >> rsh) | fill;
      }
      rows[ky] = v;
    }
  }
  for (int32_t ky = kh; (ky & 3) != 0; ++ky) rows[ky] = 0;
  for (int32_t ky = 0; ky < kh; ky += 4, dst += pitch) {
    vstrwq_u32(reinterpret_cast<uint32_t*>(dst), vldrwq_u32(rows + ky));
  }
}

// A contiguous window as pixel slot `dst` of the interleaved layout.
UTENSOR_HOT_INLINE void interleave(const int8_t* flat, int8_t* dst, int32_t padded) {
  for (int32_t t = 0; t < padded; t += 16) vstrbq_s8(dst + 4 * t, vldrbq_s8(flat + t));
}

// Pointwise layers over 64-byte windows with the plain requantization (kws's 64 -> 64
// layers, called once per output row of five pixels, and vww's 64-channel inputs): four
// pixels by two channels straight from the input, one by four for the pixels left over.
// Only the fields those loops read are set: the per-call set-up is most of the cost of
// a five-pixel row besides the products.
bool pointwise_x4(const Conv2DS8Params& params, const int8_t* input, const int8_t* filter,
                  int8_t* output) {
  const Conv2DShape& s = params.shape;
  const int32_t out_c = s.output_channels;
  if (s.input_channels != 64 || (out_c & 3) != 0 || !is_pointwise(s) ||
      params.right_shifts_only == 0 || params.activation_min != -128 ||
      params.activation_max != 127 ||
      ((reinterpret_cast<uintptr_t>(input) | reinterpret_cast<uintptr_t>(filter)) & 3) != 0) {
    return false;
  }
  const int32_t pixels = s.batches * s.output_height * s.output_width;
  int32_t px = 0;
  if (pixels >= 4) {
    PairLoop loop;
    loop.zero_point = params.output_offset;
    loop.w = filter;
    // lane 2 i + c -> i * C_OUT + c
    const uint16x8_t lane = vidupq_n_u16(0, 1);
    vst1q_u16(loop.offsets,
              vaddq_u16(vmulq_n_u16(vshrq_n_u16(lane, 1), static_cast<uint16_t>(out_c)),
                        vandq_u16(lane, vdupq_n_u16(1))));
    for (; pixels - px >= 4; px += 4) {
      loop.bias = params.folded_bias;
      loop.mult = params.output_multiplier;
      loop.shift = params.output_shift;
      loop.out = output + px * out_c;
      loop.pairs = out_c >> 1;
      loop.x = input + px * 64;
      utensor_conv2d_mve_pairs_x4(&loop);
    }
  }
  if (px < pixels) {
    QuadLoop quad;
    quad.bias = params.folded_bias;
    quad.mult = params.output_multiplier;
    quad.w = filter;
    quad.zero_point = params.output_offset;  // (no clamp: lo and hi unread)
    for (; px < pixels; ++px) {
      quad.x = input + px * 64;
      quad.out = output + px * out_c;
      quad.shift_delta = static_cast<int32_t>(reinterpret_cast<uintptr_t>(params.output_shift) -
                                              reinterpret_cast<uintptr_t>(quad.out));
      quad.out_end = quad.out + out_c;
      utensor_conv2d_mve_quads_x4(&quad);
    }
  }
  return true;
}

// The pair loops over windows gathered to scratch (interleaved, four pixels by 16-byte
// chunks): the fields that stay for the layer, the odd last channel's constants and the
// loop for whole groups of four pixels. Shared by words_gemm and conv2d_s8_gemm.
struct PairRun {
  PairLoop loop;
  // An odd last channel runs as a pass of itself twice (window 0), from copies of its
  // constants (bias, multiplier, shift, each twice) so that no table is read past its
  // end; its second lanes are not stored.
  int32_t last[4];
  int8_t last_shift[2];
  void (*plain)(PairLoop*);

  // k40: pairs_k40 serves 40-byte windows (words_gemm's).
  UTENSOR_HOT_INLINE PairRun(const Conv2DS8Params& params, int8_t* scratch, int32_t window,
                             bool k40) {
    const int32_t out_c = params.shape.output_channels;
    loop.x = scratch;
    loop.window = window;
    loop.n = (window >> 4) - 1;
    loop.zero_point = params.output_offset;
    loop.clamp = params.activation_min != -128 || params.activation_max != 127;
    loop.lo = params.activation_min;
    loop.hi = params.activation_max;
    loop.tail = vctp8q(static_cast<uint32_t>(window & 15));
    loop.unused = 0;
    for (int32_t i = 0; i < 8; ++i) {
      loop.offsets[i] = static_cast<uint16_t>((i >> 1) * out_c + (i & 1));
    }
    plain = params.right_shifts_only == 0 || loop.clamp ? utensor_conv2d_mve_pairs_any
            : k40 && window == 40                       ? utensor_conv2d_mve_pairs_k40
            : window & 15                               ? utensor_conv2d_mve_pairs_wt
                                                        : utensor_conv2d_mve_pairs_w;
    for (int32_t i = 0; i < 4; ++i) last[i] = 0;
    last_shift[0] = last_shift[1] = 0;
    if (out_c & 1) {
      last[0] = last[1] = params.folded_bias[out_c - 1];
      last[2] = last[3] = params.output_multiplier[out_c - 1];
      last_shift[0] = last_shift[1] = params.output_shift[out_c - 1];
    }
  }

  // Every channel of the n (3 or 4) pixels whose windows are in scratch, to out (pixel 0,
  // channel 0).
  UTENSOR_HOT_INLINE void groups(const Conv2DS8Params& params, const int8_t* filter,
                                 int32_t window, int8_t* out, int32_t n) {
    const int32_t out_c = params.shape.output_channels;
    const uint32_t store = vctp16q(static_cast<uint32_t>(2 * n));
    loop.store = store;
    if (out_c >= 2) {
      loop.bias = params.folded_bias;
      loop.mult = params.output_multiplier;
      loop.shift = params.output_shift;
      loop.out = out;
      loop.pairs = out_c >> 1;
      loop.window = window;
      loop.w = filter;
      (n == 4 ? plain : utensor_conv2d_mve_pairs_any)(&loop);
    }
    if (out_c & 1) {
      loop.bias = last;
      loop.mult = last + 2;
      loop.shift = last_shift;
      loop.out = out + out_c - 1;
      loop.pairs = 1;
      loop.window = 0;
      loop.w = filter + (out_c - 1) * window;
      loop.store = store & 0x3333u;
      utensor_conv2d_mve_pairs_any(&loop);
    }
  }
};

// Layers whose filter rows are one word (KW * C_IN == 4, no horizontal dilation, KH <= 16,
// every window overlapping the image horizontally; not pointwise; e.g. kws's first
// layer): groups of four windows built by words_to straight into the interleaved layout,
// then the pair loops (pairs_k40 for 40-byte windows); the pixels left over one at a time
// by four channels. A separate loop keeps the general one's code as it was.
bool words_gemm(const Conv2DS8Params& params, const int8_t* input, const int8_t* filter,
                int8_t* output, int8_t* scratch) {
  const Conv2DShape& s = params.shape;
  const int32_t depth = s.input_channels;
  if (s.filter_width * depth != 4 || s.dilation_width != 1 || s.filter_height > 16 ||
      s.input_width * depth < 4 || s.pad_left >= s.filter_width ||
      (s.output_width - 1) * s.stride_width - s.pad_left >= s.input_width ||
      (reinterpret_cast<uintptr_t>(scratch) & 3) != 0 || is_pointwise(s)) {
    return false;
  }
  const int32_t window = 4 * s.filter_height;
  const int32_t out_c = s.output_channels;
  const int32_t pixels = s.batches * s.output_height * s.output_width;
  Windows g;
  g.s = &s;
  g.input = input;
  g.depth = depth;
  g.in_image = s.input_height * s.input_width * depth;
  g.in_row = s.input_width * depth;
  g.tap_row = s.dilation_height * g.in_row;
  g.pad_word = static_cast<uint8_t>(-params.input_offset) * 0x01010101u;

  PairRun run(params, scratch, window, true);
  Cursor at = {0, 0, 0};
  int32_t px = 0;
  for (; pixels - px >= 3; px += 4) {
    const int32_t n = pixels - px < 4 ? pixels - px : 4;
    for (int32_t j = 0; j < n; ++j, at.next(s)) words_to(g, at, scratch + 16 * j, 64);
    run.groups(params, filter, window, output + px * out_c, n);
  }
  for (; px < pixels; ++px, at.next(s)) {
    words_to(g, at, scratch, 16);
    channels_1x4(params, scratch, filter, window, output + px * out_c);
  }
  return true;
}

}  // namespace

void conv2d_s8_gemm(const Conv2DS8Params& params, const int8_t* input, const int8_t* filter,
                    const int32_t* bias, int8_t* output, int8_t* scratch) {
  (void)bias;  // folded_bias holds it
  if (pointwise_x4(params, input, filter, output) ||
      words_gemm(params, input, filter, output, scratch)) {
    return;
  }
  const Conv2DShape& s = params.shape;
  const int32_t depth = s.input_channels;
  const int32_t window = s.filter_height * s.filter_width * depth;
  const int32_t padded = (window + 15) & ~15;
  const int32_t out_c = s.output_channels;
  const int32_t pixels = s.batches * s.output_height * s.output_width;
  const bool pointwise = is_pointwise(s);
  Windows g;
  g.s = &s;
  g.input = input;
  g.depth = depth;
  g.in_image = s.input_height * s.input_width * depth;
  g.in_row = s.input_width * depth;
  g.row = s.filter_width * depth;
  g.tap_row = s.dilation_height * g.in_row;
  g.y_lim = s.input_height - (s.filter_height - 1) * s.dilation_height;
  g.x_lim = s.input_width - (s.filter_width - 1) * s.dilation_width;
  g.interior = s.dilation_width == 1 && g.y_lim > 0 && g.x_lim > 0;
  g.blocks = depth % 16 == 0;
  g.pad = vdupq_n_s8(static_cast<int8_t>(-params.input_offset));
  // Runs of whole chunks are written straight into the interleaved layout; otherwise each
  // window is gathered contiguously after the four and then interleaved (unless it is a
  // single chunk, which is both layouts at once).
  const bool direct = g.blocks || padded == 16;
  int8_t* const flat = scratch + 4 * padded;
  const int32_t x_step = s.stride_width * depth;

  PairRun run(params, scratch, window, false);

  Cursor at = {0, 0, 0};
  int32_t px = 0;
  for (; pixels - px >= 3; px += 4) {
    const int32_t n = pixels - px < 4 ? pixels - px : 4;
    if (pointwise) {  // input pixels px.. are consecutive
      const int8_t* src = input + px * depth;
      for (int32_t j = 0; j < n; ++j, src += depth) {
        int8_t* dst = scratch + 16 * j;
        if (g.blocks) {
          gather_inside<true>(src, 0, 1, depth, dst, 64);
        } else if (direct && (depth & 3) == 0) {  // 4 to 12 bytes: word copies
          for (int32_t c = 0; c < depth; c += 4) {
            uint32_t v;
            memcpy(&v, src + c, 4);
            memcpy(dst + c, &v, 4);
          }
        } else {
          put_run(direct ? dst : flat, direct ? 64 : 16, 0, src, depth);
          if (!direct) interleave(flat, dst, padded);
        }
      }
    } else {
      // Four pixels of one output row whose windows are all inside the image (most
      // groups): window origins stride_width * C_IN apart, no per-pixel tests.
      const int32_t y0 = at.oy * s.stride_height - s.pad_top;
      const int32_t x0 = at.ox * s.stride_width - s.pad_left;
      if (n == 4 && at.ox + 4 <= s.output_width && g.interior &&
          static_cast<uint32_t>(y0) < static_cast<uint32_t>(g.y_lim) &&
          static_cast<uint32_t>(x0) < static_cast<uint32_t>(g.x_lim) &&
          static_cast<uint32_t>(x0 + 3 * s.stride_width) < static_cast<uint32_t>(g.x_lim)) {
        const int8_t* src = input + at.b * g.in_image + y0 * g.in_row + x0 * depth;
        for (int32_t j = 0; j < 4; ++j, src += x_step) {
          if (g.blocks) {  // inline: the deep layers' hot copy
            gather_inside<true>(src, g.tap_row, s.filter_height, g.row, scratch + 16 * j, 64);
          } else {
            rows_to(g, src, direct ? scratch + 16 * j : flat, direct ? 64 : 16);
            if (!direct) interleave(flat, scratch + 16 * j, padded);
          }
        }
        at.ox += 4;
        if (at.ox == s.output_width) {
          at.ox = 0;
          if (++at.oy == s.output_height) {
            at.oy = 0;
            ++at.b;
          }
        }
      } else {
        for (int32_t j = 0; j < n; ++j, at.next(s)) {
          int8_t* dst = scratch + 16 * j;
          window_to(g, at, direct ? dst : flat, direct ? 64 : 16);
          if (!direct) interleave(flat, dst, padded);
        }
      }
    }
    run.groups(params, filter, window, output + px * out_c, n);
  }
  // One or two pixels left (the cursor serves windows only, not pointwise layers).
  const bool quads = px < pixels && (window & 15) == 0 && (out_c & 3) == 0 &&
                     params.right_shifts_only != 0;
  QuadLoop quad;
  void (*run_quads)(QuadLoop*) = utensor_conv2d_mve_quads;
  if (window == 64 && !run.loop.clamp && (reinterpret_cast<uintptr_t>(filter) & 3) == 0) {
    run_quads = utensor_conv2d_mve_quads_x4;
  }
  if (quads) {
    quad.bias = params.folded_bias;
    quad.mult = params.output_multiplier;
    quad.n = window >> 4;
    quad.w = filter;
    quad.window = window;
    quad.zero_point = params.output_offset;
    quad.lo = params.activation_min;
    quad.hi = params.activation_max;
  }
  for (; px < pixels; ++px, at.next(s)) {
    const int8_t* x = scratch;
    if (pointwise && g.blocks) {
      x = input + px * depth;
    } else if (pointwise) {
      put_run(scratch, 16, 0, input + px * depth, depth);
    } else {
      window_to(g, at, scratch, 16);
    }
    if (quads) {
      quad.x = x;
      quad.out = output + px * out_c;
      quad.shift_delta = static_cast<int32_t>(reinterpret_cast<uintptr_t>(params.output_shift) -
                                              reinterpret_cast<uintptr_t>(quad.out));
      quad.out_end = quad.out + out_c;
      run_quads(&quad);
    } else {
      channels_1x4(params, x, filter, window, output + px * out_c);
    }
  }
}

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_MVE
