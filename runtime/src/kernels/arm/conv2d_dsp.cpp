// int8 CONV_2D as a GEMM for cores with the DSP extension (M4, M7, M33): conv2d_s8_gemm.
// Same contract and the same integers as the reference kernel (integer sums are exact in
// any order), hence the same bytes; the general conv2d_s8 stays in reference/conv2d.cpp.
//
// Scheme: the windows of a block of five (or four) output pixels are widened to int16
// once (im2col) into `scratch`, interleaved per quad of window values as
// [p0 x02, p0 x13, p1 x02, ..., p4 x13] (SXTB16 / SXTB16 ROR 8 order); every output
// channel then loads each weight word once, widens it once and feeds ten (eight) SMLADs,
// 16 instructions per 20 multiply-adds (13 per 16). The channel loop, requantization
// included, is one assembly function per block size (it needs every register). Leftover
// pixels (1 or 2) run one at a time over two channels; layers whose fast requantization
// the converter could not prove use C loops with TFLite's general form.
// A window whose length is not a multiple of 4 ends with one "tail quad": the last four
// window values with the ones already counted zeroed, matched to the last weight word of
// the filter row (never read past a filter row).
#include "utensor/kernels/arch.hpp"

#if UTENSOR_KERNELS_DSP && !UTENSOR_KERNELS_MVE  // else reference/conv2d.cpp

#include <stddef.h>
#include <string.h>

#include "utensor/kernels/conv2d.hpp"
#include "utensor/kernels/detail/kernel_util.hpp"

namespace utensor {
namespace kernels {
namespace {

using namespace detail;  // NOLINT: the kernels' shared helpers

// Words per quad of window values in the four-pixel layout (a five-pixel block has 10).
constexpr int32_t kQuadWords = 8;

// `v` in both halfwords (the widened form of a padding value).
UTENSOR_HOT_INLINE uint32_t halfword_pair(int32_t v) {
  return (static_cast<uint32_t>(v) << 16) | (static_cast<uint32_t>(v) & 0xFFFFu);
}

// Widens `quads` quads of int8 values at `src` into pixel slot words starting at `dst`
// (QW words per quad); returns the next quad's words. Assembly for the post-incremented
// STRD (GCC 12 spent 9 instructions per quad here, this loop 6).
template <int QW>
UTENSOR_HOT_INLINE uint32_t* widen_quads(const int8_t* src, int32_t quads, uint32_t* dst) {
  if (quads <= 0) return dst;
  const int8_t* const end = src + 4 * quads;
  uint32_t lo, hi;
  __asm__ volatile(
      "1:\n\t"
      "ldr %[lo], [%[src]], #4\n\t"
      "sxtb16 %[hi], %[lo], ror #8\n\t"
      "sxtb16 %[lo], %[lo]\n\t"
      "strd %[lo], %[hi], [%[dst]], %[step]\n\t"
      "cmp %[src], %[end]\n\t"
      "bne 1b\n\t"
      : [lo] "=&r"(lo), [hi] "=&r"(hi), [src] "+r"(src), [dst] "+r"(dst)
      : [end] "r"(end), [step] "I"(4 * QW)
      : "cc", "memory");
  return dst;
}

// widen_quads for the block layout in use: `qw` is 8 (four pixels) or 10 (five).
UTENSOR_HOT_INLINE uint32_t* widen_run(const int8_t* src, int32_t quads, int32_t qw,
                                       uint32_t* dst) {
  return qw == 10 ? widen_quads<10>(src, quads, dst) : widen_quads<8>(src, quads, dst);
}

// Per-call constants of the GEMM.
struct Gemm {
  int32_t window;   // KH * KW * C_IN values per output pixel
  int32_t quads;    // whole quads of the window
  int32_t tail;     // window % 4: values in the tail quad (0: none)
  int32_t out_c;
  int32_t pixels;   // output pixels of this call (batches * rows * columns)
  uint32_t pad;     // the input zero point in both halfwords (contributes zero)
  int32_t qw;       // words per quad in the block being widened: 2 * its pixels
  bool direct;      // output pixel i's window is input pixel i (pointwise, C_IN % 4 == 0)
  int8_t* bytes;    // int8 window copy (C_IN % 4 != 0), after the widened words
};

// First input row and column of output pixel `px` (linear over batches, rows, columns),
// and the start of its batch.
UTENSOR_HOT_INLINE const int8_t* window_origin(const Conv2DShape& s, const int8_t* input,
                                               int32_t px, int32_t* y0, int32_t* x0) {
  const int32_t ox = px % s.output_width;
  const int32_t rest = px / s.output_width;
  const int32_t oy = rest % s.output_height;
  *y0 = oy * s.stride_height - s.pad_top;
  *x0 = ox * s.stride_width - s.pad_left;
  return input + (rest / s.output_height) * s.input_height * s.input_width * s.input_channels;
}

// im2col of output pixel `px` into the pixel slot starting at `dst`: taps outside the
// image hold the input zero point, which contributes exactly zero with folded_bias. A
// filter row inside the image (without horizontal dilation) is one contiguous run.
// The taps of 1 to 3 bytes stay byte loops: GCC would call memcpy/memset for each
// (slower for so few bytes, and memset is linked for nothing else).
__attribute__((optimize("no-tree-loop-distribute-patterns")))
void widen_window(const Conv2DS8Params& params, const Gemm& g, const int8_t* input, int32_t px,
                  uint32_t* dst) {
  const Conv2DShape& s = params.shape;
  const int32_t depth = s.input_channels;
  int32_t y0, x0;
  const int8_t* in_batch = window_origin(s, input, px, &y0, &x0);
  const bool cols_in = s.dilation_width == 1 && x0 >= 0 && x0 + s.filter_width <= s.input_width;
  const int32_t run = s.filter_width * depth;  // bytes of a filter row
  if (depth % 4 == 0) {  // whole quads per tap: widened straight from the input
    const int32_t tap_quads = depth / 4;
    for (int32_t ky = 0; ky < s.filter_height; ++ky) {
      const int32_t y = y0 + ky * s.dilation_height;
      const bool row_in = y >= 0 && y < s.input_height;
      const int8_t* src_row = in_batch + y * s.input_width * depth;
      if (row_in && cols_in) {
        dst = widen_run(src_row + x0 * depth, run / 4, g.qw, dst);
        continue;
      }
      for (int32_t kx = 0; kx < s.filter_width; ++kx) {
        const int32_t x = x0 + kx * s.dilation_width;
        if (row_in && x >= 0 && x < s.input_width) {
          dst = widen_run(src_row + x * depth, tap_quads, g.qw, dst);
        } else {
          for (int32_t q = 0; q < tap_quads; ++q, dst += g.qw) dst[0] = dst[1] = g.pad;
        }
      }
    }
    return;
  }
  // Taps of 1 to 3 bytes: copy the window as int8 first (rows inside the image a word at
  // a time), then widen it as one run.
  int8_t* b = g.bytes;
  const int8_t pad = static_cast<int8_t>(-params.input_offset);
  for (int32_t ky = 0; ky < s.filter_height; ++ky) {
    const int32_t y = y0 + ky * s.dilation_height;
    const bool row_in = y >= 0 && y < s.input_height;
    const int8_t* src_row = in_batch + y * s.input_width * depth;
    if (row_in && cols_in) {
      const int8_t* src = src_row + x0 * depth;
      int32_t i = 0;
      for (; i + 4 <= run; i += 4) memcpy(b + i, src + i, 4);
      for (; i < run; ++i) b[i] = src[i];
      b += run;
      continue;
    }
    for (int32_t kx = 0; kx < s.filter_width; ++kx) {
      const int32_t x = x0 + kx * s.dilation_width;
      if (row_in && x >= 0 && x < s.input_width) {
        const int8_t* src = src_row + x * depth;
        for (int32_t c = 0; c < depth; ++c) *b++ = src[c];
      } else {
        for (int32_t c = 0; c < depth; ++c) *b++ = pad;
      }
    }
  }
  dst = widen_run(g.bytes, g.quads, g.qw, dst);
  if (g.tail != 0) {  // the last four values, the 4 - tail already counted set to zero
    const uint32_t v = load_u32(g.bytes + g.window - 4) & (~0u << (8 * (4 - g.tail)));
    dst[0] = sxtb16(v);
    dst[1] = sxtb16_ror8(v);
  }
}

// widen_window, or for a direct layer the input pixel itself.
UTENSOR_HOT_INLINE void widen_pixel(const Conv2DS8Params& params, const Gemm& g,
                                    const int8_t* input, int32_t px, uint32_t* dst) {
  if (g.direct) {
    widen_run(input + px * g.window, g.quads, g.qw, dst);
  } else {
    widen_window(params, g, input, px, dst);
  }
}

// acc[p] += window of pixel slot p . w over `quads` quads, for the four slots of `xs`.
// Assembly: GCC 12 spills this 13-register loop; the four input words of two pixels come
// in one LDM (pinned to r0-r3, as LDM's register list is ordered). Two quads per pass;
// an odd count enters at the second step. Reads the windows and the weights (the
// "memory" clobber). Unoptimized, every operand is bound (UTENSOR_ASM_REG).
UTENSOR_HOT_INLINE const uint32_t* dot_4px(const uint32_t* xs, const int8_t* w, int32_t quads,
                                           int32_t* a) {
  register uint32_t x0 __asm__("r0");
  register uint32_t x1 __asm__("r1");
  register uint32_t x2 __asm__("r2");
  register uint32_t x3 __asm__("r3");
  UTENSOR_ASM_REG(int32_t, a0, "r4") = a[0];
  UTENSOR_ASM_REG(int32_t, a1, "r5") = a[1];
  UTENSOR_ASM_REG(int32_t, a2, "r6") = a[2];
  UTENSOR_ASM_REG(int32_t, a3, "r8") = a[3];
  UTENSOR_ASM_REG(const uint32_t*, px, "r9") = xs;
  UTENSOR_ASM_REG(const int8_t*, pw, "r10") = w;
  UTENSOR_ASM_REG(const uint32_t*, end, "lr") = xs + kQuadWords * quads;
  UTENSOR_ASM_REG(uint32_t, wv, "r11");
  UTENSOR_ASM_REG(uint32_t, wl, "r12");
#define UTENSOR_DOT_4PX_STEP                 \
  "ldr %[wv], [%[w]], #4\n\t"                \
  "ldmia %[xs]!, {r0-r3}\n\t"                \
  "sxtb16 %[wl], %[wv]\n\t"                  \
  "sxtb16 %[wv], %[wv], ror #8\n\t"          \
  "smlad %[a0], %[x0], %[wl], %[a0]\n\t"     \
  "smlad %[a0], %[x1], %[wv], %[a0]\n\t"     \
  "smlad %[a1], %[x2], %[wl], %[a1]\n\t"     \
  "smlad %[a1], %[x3], %[wv], %[a1]\n\t"     \
  "ldmia %[xs]!, {r0-r3}\n\t"                \
  "smlad %[a2], %[x0], %[wl], %[a2]\n\t"     \
  "smlad %[a2], %[x1], %[wv], %[a2]\n\t"     \
  "smlad %[a3], %[x2], %[wl], %[a3]\n\t"     \
  "smlad %[a3], %[x3], %[wv], %[a3]\n\t"
  __asm__ volatile(
      "sub %[wv], %[end], %[xs]\n\t"
      "tst %[wv], #32\n\t"
      "bne 2f\n\t"
      "1:\n\t" UTENSOR_DOT_4PX_STEP
      "2:\n\t" UTENSOR_DOT_4PX_STEP
      "cmp %[xs], %[end]\n\t"
      "bne 1b\n\t"
      : [a0] "+r"(a0), [a1] "+r"(a1), [a2] "+r"(a2), [a3] "+r"(a3), [xs] "+r"(px),
        [w] "+r"(pw), [wv] "=&r"(wv), [wl] "=&r"(wl), [x0] "=&r"(x0), [x1] "=&r"(x1),
        [x2] "=&r"(x2), [x3] "=&r"(x3)
      : [end] "r"(end)
      : "cc", "memory");
#undef UTENSOR_DOT_4PX_STEP
  a[0] = a0;
  a[1] = a1;
  a[2] = a2;
  a[3] = a3;
  return px;
}

// Everything the assembly GEMM functions need, by offset (they read and advance fields by
// these numbers).
struct GemmCtx {
  int32_t s1, s2, s3, s4;  // 0-12: byte offsets of pixels 1-4's outputs from pixel 0's
  const uint32_t* xs;      // 16: the widened windows (2 * pixels words per quad)
  const int8_t* filter;    // 20: weights [out_c][window]
  const int32_t* bias;     // 24: the next channel's folded bias (advanced)
  const int32_t* mult;     // 28: the next channel's multiplier (advanced)
  const int8_t* shift;     // 32: the next channel's shift, -(1 to 31) or 0 (advanced)
  int8_t* out;             // 36: the next channel's output byte of pixel 0 (advanced)
  const uint32_t* end;     // 40: the end of the widened whole quads
  int32_t tail_back;       // 44: 4 - window % 4, or 0 without a tail quad
  int32_t out_zp;          // 48
  int32_t lo, hi;          // 52, 56: activation range
  int32_t clamp;           // 60: nonzero unless the range is all of int8
  int32_t odd;             // 64: whole quads % 2
  int32_t channels;        // 68: channels left (counted down)
};
static_assert(offsetof(GemmCtx, xs) == 16 && offsetof(GemmCtx, bias) == 24 &&
                  offsetof(GemmCtx, out) == 36 && offsetof(GemmCtx, end) == 40 &&
                  offsetof(GemmCtx, out_zp) == 48 && offsetof(GemmCtx, channels) == 68,
              "the assembly reads GemmCtx by these offsets");

// One quad of the four pixels in r0-r3 (two LDMs) against the next weight word (r11):
// accumulators r4-r7, xs in r10.
#define UTENSOR_GEMM4_STEP                 \
  "ldr r8, [r11], #4\n\t"                  \
  "ldmia r10!, {r0-r3}\n\t"                \
  "sxtb16 r9, r8\n\t"                      \
  "sxtb16 r8, r8, ror #8\n\t"              \
  "smlad r4, r0, r9, r4\n\t"               \
  "smlad r4, r1, r8, r4\n\t"               \
  "smlad r5, r2, r9, r5\n\t"               \
  "smlad r5, r3, r8, r5\n\t"               \
  "ldmia r10!, {r0-r3}\n\t"                \
  "smlad r6, r0, r9, r6\n\t"               \
  "smlad r6, r1, r8, r6\n\t"               \
  "smlad r7, r2, r9, r7\n\t"               \
  "smlad r7, r3, r8, r7\n\t"
// The fast requantization of accumulator `a` (see Requant: 2m - 2^32 in `twice`, the
// post shift in `post`, the offset in `off`), plus the zero point (r1), saturated to int8.
#define UTENSOR_GEMM_REQUANT(a, twice, post, off) \
  "smmlar " a ", " a ", " twice ", " a "\n\t"     \
  "add r0, " off ", " a "\n\t"                    \
  "sub " a ", r0, " a ", lsr #31\n\t"             \
  "asr " a ", " a ", " post "\n\t"                \
  "add " a ", " a ", r1\n\t"                      \
  "ssat " a ", #8, " a "\n\t"
#define UTENSOR_GEMM4_REQUANT(a) UTENSOR_GEMM_REQUANT(a, "r8", "r9", "r10")
#define UTENSOR_GEMM4_CLAMP(a)             \
  "cmp " a ", r2\n\t"                      \
  "it lt\n\t"                              \
  "movlt " a ", r2\n\t"                    \
  "cmp " a ", r3\n\t"                      \
  "it gt\n\t"                              \
  "movgt " a ", r3\n\t"
// Per channel, shared by both loops. The bias (advanced) to accumulators r4-r7:
#define UTENSOR_GEMM_BIAS                \
  "ldr r0, [lr, #24]\n\t"                \
  "ldr r4, [r0], #4\n\t"                 \
  "str r0, [lr, #24]\n\t"                \
  "mov r5, r4\n\t"                       \
  "mov r6, r4\n\t"                       \
  "mov r7, r4\n\t"
// the multiplier to r2 and the shift to `shift` (both advanced); a zero multiplier
// zeroes r4-r7 (x = 0: the output is the zero point), up to a label 6 the caller places:
#define UTENSOR_GEMM_TABLES(shift)       \
  "ldrd r0, r1, [lr, #28]\n\t"           \
  "ldr r2, [r0], #4\n\t"                 \
  "ldrsb " shift ", [r1], #1\n\t"        \
  "strd r0, r1, [lr, #28]\n\t"           \
  "cbnz r2, 6f\n\t"                      \
  "movs r4, #0\n\t"                      \
  "movs r5, #0\n\t"                      \
  "movs r6, #0\n\t"                      \
  "movs r7, #0\n\t"
// UTENSOR_GEMM_REQUANT's constants from the multiplier (r2) and the shift (`post`, negated
// in place to the post shift); the zero point to r1:
#define UTENSOR_GEMM_CONSTS(twice, post, off) \
  "lsl " twice ", r2, #1\n\t"                 \
  "rsb " post ", " post ", #0\n\t"            \
  "movs r0, #1\n\t"                           \
  "lsl r0, r0, " post "\n\t"                  \
  "lsr " off ", r0, #1\n\t"                   \
  "ldr r1, [lr, #48]\n\t"
// after the stores (r0 the output byte of pixel 0): the next channel, or the end.
#define UTENSOR_GEMM_NEXT                \
  "adds r0, r0, #1\n\t"                  \
  "str r0, [lr, #36]\n\t"                \
  "ldr r0, [lr, #68]\n\t"                \
  "subs r0, r0, #1\n\t"                  \
  "str r0, [lr, #68]\n\t"                \
  "bne 1b\n\t"

// Every output channel of a four-pixel block with the fast requantization: the dot
// products (13 instructions per 16 multiply-adds) and the requantization, all in
// registers. A whole function in assembly because the loop needs 13 registers and the
// per-channel work several more: GCC spilled the difference on every channel.
extern "C" __attribute__((naked, noipa)) void utensor_conv2d_gemm4_fast(const GemmCtx* /*ctx*/) {
  __asm__ volatile(
      ".syntax unified\n\t"
      "push {r4-r11, lr}\n\t"
      "mov lr, r0\n\t"
      "ldr r11, [lr, #20]\n\t"
      "ldr r12, [lr, #40]\n\t"
      "1:\n\t"  // channel loop
      UTENSOR_GEMM_BIAS
      "ldr r10, [lr, #16]\n\t"
      "ldr r0, [lr, #64]\n\t"
      "cbnz r0, 3f\n\t"
      "2:\n\t" UTENSOR_GEMM4_STEP
      "3:\n\t" UTENSOR_GEMM4_STEP
      "cmp r10, r12\n\t"
      "bne 2b\n\t"
      "ldr r0, [lr, #44]\n\t"
      "cbz r0, 4f\n\t"
      "sub r11, r11, r0\n\t"  // the tail quad: the row's last word
      UTENSOR_GEMM4_STEP
      "4:\n\t"
      UTENSOR_GEMM_TABLES("r9")
      "6:\n\t"
      UTENSOR_GEMM_CONSTS("r8", "r9", "r10")
      UTENSOR_GEMM4_REQUANT("r4") UTENSOR_GEMM4_REQUANT("r5")
      UTENSOR_GEMM4_REQUANT("r6") UTENSOR_GEMM4_REQUANT("r7")
      "ldr r0, [lr, #60]\n\t"
      "cbz r0, 5f\n\t"
      "ldrd r2, r3, [lr, #52]\n\t"
      UTENSOR_GEMM4_CLAMP("r4") UTENSOR_GEMM4_CLAMP("r5")
      UTENSOR_GEMM4_CLAMP("r6") UTENSOR_GEMM4_CLAMP("r7")
      "5:\n\t"
      "ldr r0, [lr, #36]\n\t"
      "ldmia lr, {r1-r3}\n\t"  // s1, s2, s3
      "strb r4, [r0]\n\t"
      "strb r5, [r0, r1]\n\t"
      "strb r6, [r0, r2]\n\t"
      "strb r7, [r0, r3]\n\t"
      UTENSOR_GEMM_NEXT
      "pop {r4-r11, pc}\n\t");
}

// One quad of five pixels (10 words: two LDMs and an LDRD into r0-r3) against the next
// weight word (r12): accumulators r4-r8, xs in r11.
#define UTENSOR_GEMM5_STEP                 \
  "ldr r9, [r12], #4\n\t"                  \
  "ldmia r11!, {r0-r3}\n\t"                \
  "sxtb16 r10, r9\n\t"                     \
  "sxtb16 r9, r9, ror #8\n\t"              \
  "smlad r4, r0, r10, r4\n\t"              \
  "smlad r4, r1, r9, r4\n\t"               \
  "smlad r5, r2, r10, r5\n\t"              \
  "smlad r5, r3, r9, r5\n\t"               \
  "ldmia r11!, {r0-r3}\n\t"                \
  "smlad r6, r0, r10, r6\n\t"              \
  "smlad r6, r1, r9, r6\n\t"               \
  "smlad r7, r2, r10, r7\n\t"              \
  "smlad r7, r3, r9, r7\n\t"               \
  "ldrd r0, r1, [r11], #8\n\t"             \
  "smlad r8, r0, r10, r8\n\t"              \
  "smlad r8, r1, r9, r8\n\t"
// As UTENSOR_GEMM4_REQUANT with 2m - 2^32 in r9, the post shift in r10, the offset in r11.
#define UTENSOR_GEMM5_REQUANT(a) UTENSOR_GEMM_REQUANT(a, "r9", "r10", "r11")

// utensor_conv2d_gemm4_fast for a block of five pixels (a row of five, or the fifth
// pixel of a row of 4k + 1): 16 instructions per 20 multiply-adds, all 14 registers in
// the loop, the context pointer on the stack.
// Frame: [sp] = ctx.
extern "C" __attribute__((naked, noipa)) void utensor_conv2d_gemm5_fast(const GemmCtx* /*ctx*/) {
  __asm__ volatile(
      ".syntax unified\n\t"
      "push {r4-r11, lr}\n\t"
      "sub sp, sp, #8\n\t"
      "str r0, [sp]\n\t"
      "ldr r12, [r0, #20]\n\t"
      "1:\n\t"  // channel loop
      "ldr lr, [sp]\n\t"
      UTENSOR_GEMM_BIAS
      "mov r8, r4\n\t"
      "ldr r11, [lr, #16]\n\t"
      "ldr r0, [lr, #64]\n\t"
      "ldr lr, [lr, #40]\n\t"
      "cbnz r0, 3f\n\t"
      "2:\n\t" UTENSOR_GEMM5_STEP
      "3:\n\t" UTENSOR_GEMM5_STEP
      "cmp r11, lr\n\t"
      "bne 2b\n\t"
      "ldr lr, [sp]\n\t"
      "ldr r0, [lr, #44]\n\t"
      "cbz r0, 4f\n\t"
      "sub r12, r12, r0\n\t"  // the tail quad: the row's last word
      UTENSOR_GEMM5_STEP
      "4:\n\t"
      UTENSOR_GEMM_TABLES("r10")
      "mov r8, #0\n\t"
      "6:\n\t"
      UTENSOR_GEMM_CONSTS("r9", "r10", "r11")
      UTENSOR_GEMM5_REQUANT("r4") UTENSOR_GEMM5_REQUANT("r5") UTENSOR_GEMM5_REQUANT("r6")
      UTENSOR_GEMM5_REQUANT("r7") UTENSOR_GEMM5_REQUANT("r8")
      "ldr r0, [lr, #60]\n\t"
      "cbz r0, 5f\n\t"
      "ldrd r2, r3, [lr, #52]\n\t"
      UTENSOR_GEMM4_CLAMP("r4") UTENSOR_GEMM4_CLAMP("r5") UTENSOR_GEMM4_CLAMP("r6")
      UTENSOR_GEMM4_CLAMP("r7") UTENSOR_GEMM4_CLAMP("r8")
      "5:\n\t"
      "ldr r0, [lr, #36]\n\t"
      "ldmia lr, {r1-r3, r9}\n\t"  // s1, s2, s3, s4
      "strb r4, [r0]\n\t"
      "strb r5, [r0, r1]\n\t"
      "strb r6, [r0, r2]\n\t"
      "strb r7, [r0, r3]\n\t"
      "strb r8, [r0, r9]\n\t"
      UTENSOR_GEMM_NEXT
      "add sp, sp, #8\n\t"
      "pop {r4-r11, pc}\n\t");
}
#undef UTENSOR_GEMM5_STEP
#undef UTENSOR_GEMM5_REQUANT
#undef UTENSOR_GEMM4_STEP
#undef UTENSOR_GEMM4_REQUANT
#undef UTENSOR_GEMM4_CLAMP
#undef UTENSOR_GEMM_REQUANT
#undef UTENSOR_GEMM_BIAS
#undef UTENSOR_GEMM_TABLES
#undef UTENSOR_GEMM_CONSTS
#undef UTENSOR_GEMM_NEXT

// Output channel `oc`'s requantization: TFLite's general form, or, where the converter
// proved it exact for the layer (params.fast_requant; split_fast_requant in
// scripts/utensor/ops/_requant.py, which derives it), the fast one: the doubling high
// multiply as acc + the rounded high half of acc * (2m - 2^32) (SMMLAR: no shift before
// the multiply, so no bound on acc for it), then RoundingDivideByPOT as one add, one sign
// correction and one shift, then the zero point.
// Fast: the layer's fast_requant is known nonzero (conv2d_s8_gemm_fast), so the general
// form is not compiled in.
template <bool Fast>
struct Requant {
  int32_t multiplier, shift, zero_point;
  uint32_t twice;  // 2m - 2^32 as int32 bits
  int32_t offset;  // 2^(post - 1), 0 for post 0
  bool use_fast;
  int32_t lo, hi;

  UTENSOR_HOT_INLINE Requant(const Conv2DS8Params& p, int32_t oc)
      : multiplier(p.output_multiplier[oc]), shift(p.output_shift[oc]),
        zero_point(p.output_offset), twice(static_cast<uint32_t>(multiplier) << 1),
        offset((1 << (-shift > 0 ? -shift : 0)) >> 1), use_fast(Fast || p.fast_requant != 0),
        lo(p.activation_min), hi(p.activation_max) {}
  UTENSOR_HOT_INLINE int8_t operator()(int32_t acc) const {
    int32_t v;
    if (use_fast) {
      int32_t x = 0;  // a zero multiplier: the zero point
      if (multiplier != 0) {
        __asm__("smmlar %0, %1, %2, %1" : "=r"(x) : "r"(acc), "r"(twice));
      }
      v = ((x + offset - static_cast<int32_t>(static_cast<uint32_t>(x) >> 31)) >> -shift) +
          zero_point;
    } else {
      v = multiply_by_multiplier(acc, multiplier, shift) + zero_point;
    }
    v = v < lo ? lo : v;
    return static_cast<int8_t>(v > hi ? hi : v);
  }
};

// Four pixel slots of `xs` times every output channel; results to the `n` (3 or 4) pixels
// at `out` (row stride out_c).
template <bool Fast>
void gemm_4px(const Conv2DS8Params& params, const Gemm& g, const uint32_t* xs,
              const int8_t* filter, int8_t* out, int32_t n) {
  const int32_t oc_stride = g.out_c;
  const int8_t* w = filter;
  for (int32_t oc = 0; oc < g.out_c; ++oc, w += g.window, ++out) {
    const int32_t b = params.folded_bias[oc];
    int32_t a[4] = {b, b, b, b};
    const uint32_t* t = dot_4px(xs, w, g.quads, a);
    if (g.tail != 0) {
      const uint32_t v = load_u32(w + g.window - 4);
      const uint32_t lo = sxtb16(v), hi = sxtb16_ror8(v);
      for (int p = 0; p < 4; ++p) a[p] = smlad(t[2 * p + 1], hi, smlad(t[2 * p], lo, a[p]));
    }
    const Requant<Fast> rq(params, oc);
    out[0] = rq(a[0]);
    out[oc_stride] = rq(a[1]);
    out[2 * oc_stride] = rq(a[2]);
    if (n == 4) out[3 * oc_stride] = rq(a[3]);
  }
}

// acc0 += x . w0 and acc1 += x . w1 over `quads` quads of pixel slot 0 of `x`.
UTENSOR_HOT_INLINE const uint32_t* dot_1px(const uint32_t* x, const int8_t* w0, const int8_t* w1,
                                           int32_t quads, int32_t* acc0, int32_t* acc1) {
  int32_t a0 = *acc0, a1 = *acc1;
  for (const uint32_t* end = x + kQuadWords * quads; x != end; x += kQuadWords, w0 += 4, w1 += 4) {
    const uint32_t v0 = load_u32(w0), v1 = load_u32(w1);
    const uint32_t x02 = x[0], x13 = x[1];
    a0 = smlad(x13, sxtb16_ror8(v0), smlad(x02, sxtb16(v0), a0));
    a1 = smlad(x13, sxtb16_ror8(v1), smlad(x02, sxtb16(v1), a1));
  }
  *acc0 = a0;
  *acc1 = a1;
  return x;
}

// One pixel (slot 0 of `xs`) times every output channel, two channels per pass.
template <bool Fast>
void gemm_1px(const Conv2DS8Params& params, const Gemm& g, const uint32_t* xs,
              const int8_t* filter, int8_t* out) {
  for (int32_t oc = 0; oc < g.out_c; oc += 2) {
    const int32_t oc1 = oc + 1 < g.out_c ? oc + 1 : oc;  // an odd last channel: itself
    const int8_t* w0 = filter + oc * g.window;
    const int8_t* w1 = filter + oc1 * g.window;
    int32_t a0 = params.folded_bias[oc], a1 = params.folded_bias[oc1];
    const uint32_t* t = dot_1px(xs, w0, w1, g.quads, &a0, &a1);
    if (g.tail != 0) {  // the row's last word: its extra values meet zeros
      const uint32_t v0 = load_u32(w0 + g.window - 4), v1 = load_u32(w1 + g.window - 4);
      a0 = smlad(t[1], sxtb16_ror8(v0), smlad(t[0], sxtb16(v0), a0));
      a1 = smlad(t[1], sxtb16_ror8(v1), smlad(t[0], sxtb16(v1), a1));
    }
    out[oc] = Requant<Fast>(params, oc)(a0);
    if (oc1 != oc) out[oc1] = Requant<Fast>(params, oc1)(a1);
  }
}

// Rewinds the per-channel fields of `ctx` for a block whose outputs start at `out`.
UTENSOR_HOT_INLINE void start_block(const Conv2DS8Params& params, const Gemm& g, int8_t* out,
                                    GemmCtx* ctx) {
  ctx->bias = params.folded_bias;
  ctx->mult = params.output_multiplier;
  ctx->shift = params.output_shift;
  ctx->out = out;
  ctx->channels = g.out_c;
}

// conv2d_s8_gemm; Fast: conv2d_s8_gemm_fast's precondition (fast_requant nonzero).
template <bool Fast>
void gemm_layer(const Conv2DS8Params& params_in, const int8_t* input, const int8_t* filter,
                int8_t* output, int8_t* scratch) {
  // A local copy: the assembly's memory clobber would otherwise reload every parameter.
  const Conv2DS8Params params = params_in;
  const Conv2DShape& s = params.shape;
  Gemm g;
  g.window = s.filter_height * s.filter_width * s.input_channels;
  g.quads = g.window / 4;
  g.tail = g.window % 4;
  g.out_c = s.output_channels;
  g.pixels = s.batches * s.output_height * s.output_width;
  g.pad = halfword_pair(-params.input_offset);
  // Output pixel i reads input pixel i: 1x1, no padding, unit horizontal stride, and
  // consecutive input rows (unit vertical stride, or the single row of a row-streamed
  // call, whose input may continue below it).
  g.direct = s.filter_height == 1 && s.filter_width == 1 && s.input_channels % 4 == 0 &&
             s.stride_width == 1 && s.pad_top == 0 && s.pad_left == 0 &&
             s.output_width == s.input_width &&
             (s.stride_height == 1 || s.output_height == 1) &&
             (s.batches == 1 || s.output_height == s.input_height);
  // Blocks of five pixels (fewer instructions per multiply-add and per output than blocks
  // of four), as many as leave a multiple of four: P = 5b + 4a.
  int32_t fives = 0;
  if (Fast || params.fast_requant != 0) {
    fives = g.pixels / 5;
    const int32_t fewer = fives - ((fives - g.pixels) & 3);
    if (fewer >= 0) fives = fewer;
  }
  uint32_t* const xs = reinterpret_cast<uint32_t*>(scratch);
  g.bytes = reinterpret_cast<int8_t*>(xs + 10 * (g.quads + (g.tail != 0 ? 1 : 0)));
  GemmCtx ctx;
  ctx.s1 = g.out_c;
  ctx.s2 = 2 * g.out_c;
  ctx.s3 = 3 * g.out_c;
  ctx.s4 = 4 * g.out_c;
  ctx.xs = xs;
  ctx.filter = filter;
  ctx.tail_back = g.tail != 0 ? 4 - g.tail : 0;
  ctx.out_zp = params.output_offset;
  ctx.lo = params.activation_min;
  ctx.hi = params.activation_max;
  ctx.clamp = ctx.lo > -128 || ctx.hi < 127;
  ctx.odd = g.quads & 1;
  int32_t px = 0;
  if (fives > 0) {
    g.qw = 10;
    ctx.end = xs + 10 * g.quads;
    for (; px < 5 * fives; px += 5) {
      for (int32_t j = 0; j < 5; ++j) widen_pixel(params, g, input, px + j, xs + 2 * j);
      start_block(params, g, output + px * g.out_c, &ctx);
      utensor_conv2d_gemm5_fast(&ctx);
    }
  }
  g.qw = kQuadWords;
  ctx.end = xs + kQuadWords * g.quads;
  for (; px + 3 <= g.pixels; px += 4) {
    // Three pixels left: the fourth slot repeats the third, its results dropped.
    const int32_t n = px + 4 <= g.pixels ? 4 : 3;
    for (int32_t j = 0; j < 4; ++j) {
      widen_pixel(params, g, input, px + (j < n ? j : n - 1), xs + 2 * j);
    }
    if (Fast || params.fast_requant != 0) {
      start_block(params, g, output + px * g.out_c, &ctx);
      ctx.s3 = (n == 4 ? 3 : 2) * g.out_c;  // three pixels: the copy rewrites the third
      utensor_conv2d_gemm4_fast(&ctx);
    } else {
      gemm_4px<Fast>(params, g, xs, filter, output + px * g.out_c, n);
    }
  }
  for (; px < g.pixels; ++px) {
    widen_pixel(params, g, input, px, xs);
    gemm_1px<Fast>(params, g, xs, filter, output + px * g.out_c);
  }
}

}  // namespace

void conv2d_s8_gemm(const Conv2DS8Params& params, const int8_t* input, const int8_t* filter,
                    const int32_t* bias, int8_t* output, int8_t* scratch) {
  (void)bias;  // folded_bias holds it
  gemm_layer<false>(params, input, filter, output, scratch);
}

void conv2d_s8_gemm_fast(const Conv2DS8Params& params, const int8_t* input, const int8_t* filter,
                         const int32_t* bias, int8_t* output, int8_t* scratch) {
  (void)bias;
  gemm_layer<true>(params, input, filter, output, scratch);
}

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_DSP && !UTENSOR_KERNELS_MVE
