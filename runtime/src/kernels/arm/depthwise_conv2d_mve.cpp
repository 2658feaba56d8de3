// int8 DEPTHWISE_CONV_2D for Helium (Cortex-M55). 3x3 undilated layers with C % 8 == 0
// (KWS, VWW) run eight channels per vector (depthwise3x3_mve below); other 3x3 undilated
// depth-multiplier-1 layers four channels per vector (int8 widened to int32 lanes by the
// load); every other layer (any window, dilation, depth multiplier) eight output channels
// per vector, their inputs gathered (depthwise_mm_mve). Requantization in vector form.
// Same contract and the same integers as the portable kernel, hence the same bytes.
#include "utensor/kernels/arch.hpp"

#if UTENSOR_KERNELS_MVE  // else depthwise_conv2d_dsp.cpp or the portable kernel

#include <arm_mve.h>
#include <stdint.h>

#include "utensor/kernels/depthwise_conv2d.hpp"
#include "utensor/kernels/detail/kernel_util.hpp"

namespace utensor {
namespace kernels {
namespace {

using namespace detail;  // NOLINT: the kernels' shared helpers

// The pixel loops get their own register allocation (inlined, GCC spills their vectors).
#define UTENSOR_NOINLINE_MVE __attribute__((noinline, optimize("no-schedule-insns")))

// requantize() for four channels [c, c + 4) of which `pred` selects the valid ones.
UTENSOR_HOT_INLINE int32x4_t requantize4(int32x4_t acc, const DepthwiseConv2DS8Params& p,
                                         int32_t c, mve_pred16_t pred) {
  const int32x4_t v = mve_multiply_by_multiplier(acc, vldrwq_z_s32(p.output_multiplier + c, pred),
                                                 vldrbq_z_s32(p.output_shift + c, pred));
  return mve_offset_clamp(v, p.output_offset, p.activation_min, p.activation_max);
}

// One block of four channels of pixel_m1 on Helium: int8 widened to int32 lanes by the
// load, one multiply and one add per tap (MVE has no vector-by-vector integer VMLA).
// Pred: the block is the channel tail (masked lanes load as zero). KH/KW == 3: a whole
// 3x3 window, fully unrolled; 0: any tap counts.
template <bool Inside, bool Pred, int KH, int KW>
UTENSOR_HOT_INLINE int32x4_t taps_mve(int32x4_t acc, const int8_t* xr, const int8_t* fr,
                                      int32_t tap_x, int32_t tap_y, int32_t channels,
                                      int32_t f_row, int32_t n_ky, int32_t n_kx,
                                      int32_t offset, mve_pred16_t pred) {
  const int32_t ny = KH == 3 ? 3 : n_ky;
  const int32_t nx = KW == 3 ? 3 : n_kx;
#pragma GCC unroll 3
  for (int32_t ky = 0; ky < ny; ++ky, xr += tap_y, fr += f_row) {
    const int8_t* x = xr;
    const int8_t* f = fr;
#pragma GCC unroll 3
    for (int32_t k = 0; k < nx; ++k, x += tap_x, f += channels) {
      int32x4_t xv = Pred ? vldrbq_z_s32(x, pred) : vldrbq_s32(x);
      const int32x4_t fv = Pred ? vldrbq_z_s32(f, pred) : vldrbq_s32(f);
      if (!Inside) xv = vaddq_n_s32(xv, offset);
      acc = vaddq_s32(acc, vmulq_s32(xv, fv));
    }
  }
  return acc;
}

template <bool Inside, int KH, int KW>
void pixel_m1_mve(const DepthwiseConv2DS8Params& p, const int8_t* in0, int32_t tap_x,
                  int32_t tap_y, const int8_t* f0, int32_t f_row, int32_t n_ky, int32_t n_kx,
                  const int32_t* bias, int8_t* out) {
  const int32_t channels = p.shape.input_channels;
  const int32_t offset = p.input_offset;
  const int32_t* init = Inside ? p.folded_bias : bias;
  int32_t c = 0;
  for (; c + 4 <= channels; c += 4) {
    const mve_pred16_t all = vctp32q(4);
    int32x4_t acc = init != nullptr ? vldrwq_s32(init + c) : vdupq_n_s32(0);
    acc = taps_mve<Inside, false, KH, KW>(acc, in0 + c, f0 + c, tap_x, tap_y, channels, f_row,
                                          n_ky, n_kx, offset, all);
    vstrbq_s32(out + c, requantize4(acc, p, c, all));
  }
  if (c < channels) {
    const mve_pred16_t pred = vctp32q(static_cast<uint32_t>(channels - c));
    int32x4_t acc = init != nullptr ? vldrwq_z_s32(init + c, pred) : vdupq_n_s32(0);
    acc = taps_mve<Inside, true, KH, KW>(acc, in0 + c, f0 + c, tap_x, tap_y, channels, f_row,
                                         n_ky, n_kx, offset, pred);
    vstrbq_p_s32(out + c, requantize4(acc, p, c, pred), pred);
  }
}

// ---- 3x3, depth multiplier 1, C % 8 == 0: eight channels per vector -------------------
//
// Inputs load as int16 lanes (VLDRB.S16) and VMULLB/VMULLT multiply the even and odd
// channels into two int32 accumulators: two multiplies and two adds per tap for eight
// channels (MVE has no vector-by-vector integer multiply-accumulate). One call of row8
// computes one output row for every block of eight channels, so the row-streamed layers
// (one call per row) pay the call once per row. Per block, the weights of the filter rows
// inside the image are widened once into a stack buffer (addressed by immediates), and
// the accumulators' starting values are set up for the three kinds of windows of the row:
// whole columns, first column missing (left edge), last column missing (right edge):
// bias + input offset * (sum of the weights of the taps inside the image), so every
// window multiplies raw inputs. Requantization on the even/odd halves; VQMOVNB/VQMOVNT
// interleave them back. Rows whose windows are inside, with right shifts only and the
// whole int8 range as activation (KWS, VWW), run assembly loops (whole8_asm, edge8_asm);
// the rest the same arithmetic in C (pixels8), or clipped8 for windows clipped otherwise.

struct Block8 {
  int16_t w[9 * 8];        // taps of rows [ky0, ky0 + ky_n), tap-major
  int32_t start[3][2][4];  // [whole, left edge, right edge][even, odd channels]
  int32_t shift[2][4];     // the output shifts (int8 tables) widened, [even, odd channels]
} __attribute__((aligned(8)));

struct Row8 {
  const int8_t* x;       // input at the first filter row the windows read, column 0
  const int8_t* f;       // filter
  int32_t ky0, ky_n;     // filter rows inside the image: [ky0, ky0 + ky_n)
  int32_t channels, in_row, step;  // bytes between columns, rows, and output pixels
  int32_t input_width, output_width, stride, pad_left;
  const int32_t* folded;
  const int32_t* bias;
  const int32_t* mult;
  const int8_t* shift;
  int32_t in_offset, zero_point, lo, hi;
  int8_t* out;
  // The row's pixels by kind (the same for every row): whole windows [mid_begin, mid_end),
  // the left edge pixel `left` (first column outside) and the right edge pixel `right`
  // (last column outside), -1 when there is none; other pixels go to clipped8.
  int32_t mid_begin, mid_end, left, right;
  bool right_shifts;  // every output shift <= -1
};

// Requantizes and stores eight channels (even/odd accumulators). The zero point is added
// after the saturating narrowing to int16, saturating: values beyond int16 stay beyond
// the int8 activation range, so the clamp gives the same bytes.
UTENSOR_HOT_INLINE void store8(int8_t* out, int32x4_t even, int32x4_t odd, const int32_t* mult,
                               const Block8& b, int32_t zp, int16x8_t lo, int16x8_t hi) {
  const int32x4x2_t m = vld2q_s32(mult);
  int16x8_t v = vqmovnbq_s32(vuninitializedq_s16(),
                             mve_multiply_by_multiplier(even, m.val[0], vld1q_s32(b.shift[0])));
  v = vqmovntq_s32(v, mve_multiply_by_multiplier(odd, m.val[1], vld1q_s32(b.shift[1])));
  v = vqaddq_n_s16(v, static_cast<int16_t>(zp));
  vstrbq_s16(out, vminq_s16(vmaxq_s16(v, lo), hi));
}

UTENSOR_HOT_INLINE void tap8(int16x8_t x, int16x8_t w, int32x4_t* even, int32x4_t* odd) {
  *even = vaddq_s32(*even, vmullbq_int_s16(x, w));
  *odd = vaddq_s32(*odd, vmulltq_int_s16(x, w));
}

// Output pixels [0, n) of one kind: columns [KX0, KX0 + NKX) of the filter rows in `b`.
// x: the first pixel's window at (row 0, column KX0).
template <int KX0, int NKX>
UTENSOR_HOT_INLINE void pixels8(const int8_t* x, int32_t n, int32_t step, int32_t channels,
                                int32_t in_row, int32_t rows, const Block8& b,
                                const int32_t* start, const int32_t* mult,
                                int32_t zp, int32_t lo, int32_t hi, int8_t* out) {
  const int16x8_t lo_v = vdupq_n_s16(static_cast<int16_t>(lo));
  const int16x8_t hi_v = vdupq_n_s16(static_cast<int16_t>(hi));
  for (; n > 0; --n, x += step, out += channels) {
    int32x4_t even = vld1q_s32(start), odd = vld1q_s32(start + 4);
    const int8_t* xr = x;
    const int16_t* w = b.w + 8 * KX0;
#pragma GCC unroll 3
    for (int32_t ky = 0; ky < 3; ++ky, xr += in_row, w += 24) {
      if (ky >= rows) break;  // 1 to 3 filter rows inside the image (ky_n)
#pragma GCC unroll 3
      for (int32_t k = 0; k < NKX; ++k) {
        tap8(vldrbq_s16(xr + k * channels), vld1q_s16(w + 8 * k), &even, &odd);
        // One tap at a time: GCC otherwise loads all taps first and spills the products
        // (Helium has eight vector registers).
        __asm__ volatile("" : "+w"(even), "+w"(odd));
      }
    }
    store8(out, even, odd, mult, b, zp, lo_v, hi_v);
  }
}

// pixels8 for windows whose three rows are inside, in assembly: GCC's version
// recomputes or reloads most tap addresses from the stack (about 100 instructions a whole
// pixel; this loop: 81). Registers: q0/q1 even/odd accumulators, q2 input, q3 weights, q4
// products, q5 the centre tap's weights (whole windows), q6/q7 the even/odd multipliers;
// the other weights and the start values are immediates off `b` (Block8's layout).
// Requantization as store8 for shifts <= -1 (no left shift, the sign fixup unmasked) and
// the whole int8 activation range, which the saturating narrowing to int8 (VQMOVNB.S16;
// VSTRB.16 stores the bottom bytes) applies.
// PRE: set-up before the loop; TAPS: the taps (UTENSOR_DW8_TAP, the input address in
// %[x] or %[t]); START: the byte offset of the window kind's start values in Block8.
#define UTENSOR_DW8_TAP(addr, woff)        \
  "vldrb.s16 q2, [" addr "]\n\t"           \
  "vldrh.16 q3, [%[b], #" woff "]\n\t"     \
  "vmullb.s16 q4, q2, q3\n\t"              \
  "vadd.i32 q0, q0, q4\n\t"                \
  "vmullt.s16 q4, q2, q3\n\t"              \
  "vadd.i32 q1, q1, q4\n\t"
#define UTENSOR_DW8_TAP_Q5(addr) /* the centre tap: its weights stay in q5 */ \
  "vldrb.s16 q2, [" addr "]\n\t"           \
  "vmullb.s16 q4, q2, q5\n\t"              \
  "vadd.i32 q0, q0, q4\n\t"                \
  "vmullt.s16 q4, q2, q5\n\t"              \
  "vadd.i32 q1, q1, q4\n\t"
#define UTENSOR_DW8_NEXT "add %[t], %[t], %[c]\n\t"
#define UTENSOR_DW8_ROW1 "add %[t], %[x], %[r]\n\t"
#define UTENSOR_DW8_ROW2 "add.w %[t], %[x], %[r], lsl #1\n\t"
#define UTENSOR_DW8_LOOP(PRE, START, START_ODD, TAPS)                                        \
  __asm__ volatile(                                                                          \
      PRE "vld20.32 {q6, q7}, [%[mult]]\n\t"                                                \
      "vld21.32 {q6, q7}, [%[mult]]\n\t"                                                    \
      "dls lr, %[n]\n"  /* count lives in lr */                                             \
      "1:\n\t"                                                                               \
      "vldrw.32 q0, [%[b], #" START "]\n\t"                                                  \
      "vldrw.32 q1, [%[b], #" START_ODD "]\n\t" TAPS                                         \
      "vqrdmulh.s32 q0, q0, q6\n\t"                                                          \
      "vqrdmulh.s32 q1, q1, q7\n\t"                                                          \
      "vldrw.32 q2, [%[b], #240]\n\t"                                                        \
      "vldrw.32 q3, [%[b], #256]\n\t"                                                        \
      "vshr.s32 q4, q0, #31\n\t"                                                             \
      "vadd.i32 q0, q0, q4\n\t"                                                              \
      "vshr.s32 q4, q1, #31\n\t"                                                             \
      "vadd.i32 q1, q1, q4\n\t"                                                              \
      "vrshl.s32 q0, q0, q2\n\t"                                                             \
      "vrshl.s32 q1, q1, q3\n\t"                                                             \
      "vqmovnb.s32 q2, q0\n\t"                                                               \
      "vqmovnt.s32 q2, q1\n\t"                                                               \
      "vqadd.s16 q2, q2, %[zp]\n\t"                                                          \
      "vqmovnb.s16 q3, q2\n\t"                                                               \
      "vstrb.16 q3, [%[out]]\n\t"                                                            \
      "add %[out], %[out], %[c]\n\t"                                                         \
      "add %[x], %[x], %[step]\n\t"                                                          \
      "le lr, 1b\n\t"                                                                        \
      : [x] "+l"(px), [out] "+l"(pout), [t] "=&l"(t), [n] "+r"(count)                       \
      : [step] "r"(pstep), [c] "r"(pc), [r] "r"(prow), [b] "r"(pb), [mult] "r"(pmult),       \
        [zp] "r"(pzp)                                                   \
      : "memory", "d0", "d1", "d2", "d3", "d4", "d5", "d6", "d7", "d8", "d9", "d10",   \
        "d11", "d12", "d13", "d14", "d15")
// The loop's operands (eleven registers; x, out and t low registers, as the widening
// loads and the narrowing store take only those), bound to fixed registers when
// unoptimized (UTENSOR_ASM_REG); the count lives in lr for DLS/LE. The loop reads the
// input, the block and the tables and writes the output: the "memory" clobber.
#define UTENSOR_DW8_BIND(X, N, STEP, OUT)                          \
  UTENSOR_ASM_REG(const int8_t*, px, "r0") = X;                    \
  UTENSOR_ASM_REG(int8_t*, pout, "r1") = OUT;                      \
  UTENSOR_ASM_REG(const int8_t*, t, "r2");                         \
  UTENSOR_ASM_REG(int32_t, pstep, "r3") = STEP;                    \
  UTENSOR_ASM_REG(int32_t, pc, "r4") = channels;                   \
  UTENSOR_ASM_REG(int32_t, prow, "r5") = in_row;                   \
  UTENSOR_ASM_REG(const Block8*, pb, "r6") = &b;                   \
  UTENSOR_ASM_REG(const int32_t*, pmult, "r8") = mult;             \
  UTENSOR_ASM_REG(int32_t, pzp, "r10") = zp;                       \
  register int32_t count __asm__("lr") = N

// Whole windows; x: the first one's top left input.
UTENSOR_HOT_INLINE void whole8_asm(const int8_t* x, int32_t n, int32_t step, int32_t channels,
                                   int32_t in_row, const Block8& b, const int32_t* mult,
                                   int32_t zp, int8_t* out) {
  UTENSOR_DW8_BIND(x, n, step, out);
  UTENSOR_DW8_LOOP("vldrh.16 q5, [%[b], #64]\n\t", "144", "160",
                   UTENSOR_DW8_TAP("%[x]", "0") "add %[t], %[x], %[c]\n\t"
                   UTENSOR_DW8_TAP("%[t]", "16") UTENSOR_DW8_NEXT
                   UTENSOR_DW8_TAP("%[t]", "32") UTENSOR_DW8_ROW1
                   UTENSOR_DW8_TAP("%[t]", "48") UTENSOR_DW8_NEXT
                   UTENSOR_DW8_TAP_Q5("%[t]") UTENSOR_DW8_NEXT
                   UTENSOR_DW8_TAP("%[t]", "80") UTENSOR_DW8_ROW2
                   UTENSOR_DW8_TAP("%[t]", "96") UTENSOR_DW8_NEXT
                   UTENSOR_DW8_TAP("%[t]", "112") UTENSOR_DW8_NEXT
                   UTENSOR_DW8_TAP("%[t]", "128"));
}

// Windows missing their first column (Left) or their last; x: the first column inside.
template <bool Left>
UTENSOR_HOT_INLINE void edge8_asm(const int8_t* x, int32_t channels, int32_t in_row,
                                  const Block8& b, const int32_t* mult, int32_t zp,
                                  int8_t* out) {
  UTENSOR_DW8_BIND(x, 1, 0, out);
  if (Left) {
    UTENSOR_DW8_LOOP("", "176", "192",
                     UTENSOR_DW8_TAP("%[x]", "16") "add %[t], %[x], %[c]\n\t"
                     UTENSOR_DW8_TAP("%[t]", "32") UTENSOR_DW8_ROW1
                     UTENSOR_DW8_TAP("%[t]", "64") UTENSOR_DW8_NEXT
                     UTENSOR_DW8_TAP("%[t]", "80") UTENSOR_DW8_ROW2
                     UTENSOR_DW8_TAP("%[t]", "112") UTENSOR_DW8_NEXT
                     UTENSOR_DW8_TAP("%[t]", "128"));
  } else {
    UTENSOR_DW8_LOOP("", "208", "224",
                     UTENSOR_DW8_TAP("%[x]", "0") "add %[t], %[x], %[c]\n\t"
                     UTENSOR_DW8_TAP("%[t]", "16") UTENSOR_DW8_ROW1
                     UTENSOR_DW8_TAP("%[t]", "48") UTENSOR_DW8_NEXT
                     UTENSOR_DW8_TAP("%[t]", "64") UTENSOR_DW8_ROW2
                     UTENSOR_DW8_TAP("%[t]", "96") UTENSOR_DW8_NEXT
                     UTENSOR_DW8_TAP("%[t]", "112"));
  }
}
#undef UTENSOR_DW8_BIND
#undef UTENSOR_DW8_LOOP
#undef UTENSOR_DW8_ROW2
#undef UTENSOR_DW8_ROW1
#undef UTENSOR_DW8_NEXT
#undef UTENSOR_DW8_TAP_Q5
#undef UTENSOR_DW8_TAP

// One pixel whose window the image clips to columns [kx0, kx1) other than the kinds
// above (inputs narrower than the window): from the bias, the input offset added to each
// input, as TFLite does.
UTENSOR_NOINLINE_MVE void clipped8(const Row8& r, int32_t c, int32_t ox, const Block8& blk) {
  const int32_t x0 = ox * r.stride - r.pad_left;
  const int32_t kx0 = x0 < 0 ? -x0 : 0;
  const int32_t kx1 = r.input_width - x0 < 3 ? r.input_width - x0 : 3;
  int32x4_t even = vdupq_n_s32(0), odd = vdupq_n_s32(0);
  if (r.bias != nullptr) {
    const int32x4x2_t b = vld2q_s32(r.bias + c);
    even = b.val[0];
    odd = b.val[1];
  }
  const int8_t* xr = r.x + (x0 + kx0) * r.channels + c;
  const int8_t* fr = r.f + (r.ky0 * 3 + kx0) * r.channels + c;
  for (int32_t ky = 0; ky < r.ky_n; ++ky, xr += r.in_row, fr += 3 * r.channels) {
    for (int32_t k = 0; k < kx1 - kx0; ++k) {
      const int16x8_t xv = vaddq_n_s16(vldrbq_s16(xr + k * r.channels),
                                       static_cast<int16_t>(r.in_offset));
      tap8(xv, vldrbq_s16(fr + k * r.channels), &even, &odd);
    }
  }
  store8(r.out + ox * r.channels + c, even, odd, r.mult + c, blk,
                    r.zero_point, vdupq_n_s16(static_cast<int16_t>(r.lo)),
                    vdupq_n_s16(static_cast<int16_t>(r.hi)));
}

// The block of channels [c, c + 8): weights of the rows inside the image, start values.
// The shifts are bytes in flash; the pixel loops read them as int32 lanes, even and odd
// channels apart (as the accumulators), from b->shift.
UTENSOR_HOT_INLINE void setup_block8(const Row8& r, int32_t c, Block8* b) {
  const int32_t channels = r.channels;
  const int8_t* f = r.f + c;
  if (r.ky_n == 3) {  // rows inside the image: the whole windows start from folded_bias
    // In assembly: GCC computes each stack slot's address separately. q0/q2: the sums of
    // columns 0 and 2 (left and right edge corrections), q4/q5 folded_bias even/odd.
    const int8_t* t;
    __asm__ volatile(
        "vldrb.s16 q0, [%[f]]\n\t"
        "vstrh.16 q0, [%[b]]\n\t"
        "add %[t], %[f], %[c]\n\t"
        "vldrb.s16 q1, [%[t]]\n\t"
        "vstrh.16 q1, [%[b], #16]\n\t"
        "add %[t], %[t], %[c]\n\t"
        "vldrb.s16 q2, [%[t]]\n\t"
        "vstrh.16 q2, [%[b], #32]\n\t"
#define UTENSOR_DW8_W(off, sum)        \
        "add %[t], %[t], %[c]\n\t"     \
        "vldrb.s16 q3, [%[t]]\n\t"     \
        "vstrh.16 q3, [%[b], #" off "]\n\t" sum
        UTENSOR_DW8_W("48", "vadd.i16 q0, q0, q3\n\t")
        UTENSOR_DW8_W("64", "")
        UTENSOR_DW8_W("80", "vadd.i16 q2, q2, q3\n\t")
        UTENSOR_DW8_W("96", "vadd.i16 q0, q0, q3\n\t")
        UTENSOR_DW8_W("112", "")
        UTENSOR_DW8_W("128", "vadd.i16 q2, q2, q3\n\t")
#undef UTENSOR_DW8_W
        "vld20.32 {q4, q5}, [%[folded]]\n\t"
        "vld21.32 {q4, q5}, [%[folded]]\n\t"
        "vstrw.32 q4, [%[b], #144]\n\t"
        "vstrw.32 q5, [%[b], #160]\n\t"
        "vdup.16 q7, %[neg]\n\t"
        "vmullb.s16 q6, q0, q7\n\t"
        "vadd.i32 q6, q6, q4\n\t"
        "vstrw.32 q6, [%[b], #176]\n\t"
        "vmullt.s16 q6, q0, q7\n\t"
        "vadd.i32 q6, q6, q5\n\t"
        "vstrw.32 q6, [%[b], #192]\n\t"
        "vmullb.s16 q6, q2, q7\n\t"
        "vadd.i32 q6, q6, q4\n\t"
        "vstrw.32 q6, [%[b], #208]\n\t"
        "vmullt.s16 q6, q2, q7\n\t"
        "vadd.i32 q6, q6, q5\n\t"
        "vstrw.32 q6, [%[b], #224]\n\t"
        "vldrb.s16 q3, [%[sh]]\n\t"
        "vmovlb.s16 q4, q3\n\t"
        "vmovlt.s16 q5, q3\n\t"
        "vstrw.32 q4, [%[b], #240]\n\t"
        "vstrw.32 q5, [%[b], #256]\n\t"
        : [t] "=&l"(t)
        : [f] "l"(f), [c] "r"(channels), [b] "r"(b), [folded] "r"(r.folded + c),
          [neg] "r"(-r.in_offset), [sh] "l"(r.shift + c)
        : "memory", "d0", "d1", "d2", "d3", "d4", "d5", "d6", "d7", "d8", "d9", "d10", "d11",
          "d12", "d13", "d14", "d15");
    return;
  }
  const int16x8_t sh = vldrbq_s16(r.shift + c);
  vst1q_s32(b->shift[0], vmovlbq_s16(sh));
  vst1q_s32(b->shift[1], vmovltq_s16(sh));
  const int16x8_t neg = vdupq_n_s16(static_cast<int16_t>(-r.in_offset));
  const int32x4x2_t folded = vld2q_s32(r.folded + c);
  int16x8_t rows_out = vdupq_n_s16(0);  // weight sums of the rows outside the image
  int16x8_t left = vdupq_n_s16(0), right = vdupq_n_s16(0);  // of columns 0 and 2 inside
  int32_t i = 0;
  for (int32_t ky = 0; ky < 3; ++ky, f += 3 * channels) {
    const int16x8_t w0 = vldrbq_s16(f), w1 = vldrbq_s16(f + channels);
    const int16x8_t w2 = vldrbq_s16(f + 2 * channels);
    if (ky < r.ky0 || ky >= r.ky0 + r.ky_n) {
      rows_out = vaddq_s16(rows_out, vaddq_s16(vaddq_s16(w0, w1), w2));
      continue;
    }
    vst1q_s16(b->w + 24 * i, w0);
    vst1q_s16(b->w + 24 * i + 8, w1);
    vst1q_s16(b->w + 24 * i + 16, w2);
    left = vaddq_s16(left, w0);
    right = vaddq_s16(right, w2);
    ++i;
  }
  // start = folded - offset * (sum of the weights outside): bias + offset * (inside).
  const int32x4_t e = vaddq_s32(folded.val[0], vmullbq_int_s16(rows_out, neg));
  const int32x4_t o = vaddq_s32(folded.val[1], vmulltq_int_s16(rows_out, neg));
  vst1q_s32(b->start[0][0], e);
  vst1q_s32(b->start[0][1], o);
  vst1q_s32(b->start[1][0], vaddq_s32(e, vmullbq_int_s16(left, neg)));
  vst1q_s32(b->start[1][1], vaddq_s32(o, vmulltq_int_s16(left, neg)));
  vst1q_s32(b->start[2][0], vaddq_s32(e, vmullbq_int_s16(right, neg)));
  vst1q_s32(b->start[2][1], vaddq_s32(o, vmulltq_int_s16(right, neg)));
}

// The block of channels [c, c + 8) of one output row, but the pixels clipped8 takes.
UTENSOR_NOINLINE_MVE void block8(const Row8& r, int32_t c, Block8& b) {
  if (r.right_shifts && r.ky_n == 3 && r.lo == -128 && r.hi == 127) {
    // The assembly loops: rows inside, every shift a right shift (fast_requant: the
    // converter proved post_shift >= 1 for every channel), no clamp but int8's own range
    // (RELU and RELU6 outputs whose zero point is -128, as KWS and VWW). Fields read once:
    // the assembly's memory clobbers would reload them.
    const int32_t channels = r.channels, in_row = r.in_row, zp = r.zero_point;
    const int8_t* x = r.x + c;
    int8_t* out = r.out + c;
    const int32_t* mult = r.mult + c;
    const int32_t left = r.left, right = r.right, n_mid = r.mid_end - r.mid_begin;
    const int32_t step = r.step;
    const int32_t mid_x = (r.mid_begin * r.stride - r.pad_left) * channels;
    const int32_t right_x = (right * r.stride - r.pad_left) * channels;
    setup_block8(r, c, &b);
    if (left >= 0) edge8_asm<true>(x, channels, in_row, b, mult, zp, out + left * channels);
    if (n_mid > 0) {
      whole8_asm(x + mid_x, n_mid, step, channels, in_row, b, mult, zp,
                 out + r.mid_begin * channels);
    }
    if (right >= 0) {
      edge8_asm<false>(x + right_x, channels, in_row, b, mult, zp,
                       out + right * channels);
    }
    return;
  }
  setup_block8(r, c, &b);
  const int32_t channels = r.channels;
  const int32_t rows = r.ky_n;
  const int32_t* mult = r.mult + c;
  if (r.left >= 0) {  // its window's column 0 is x = -1
    pixels8<1, 2>(r.x + c, 1, 0, channels, r.in_row, rows, b, b.start[1][0], mult,
                  r.zero_point, r.lo, r.hi, r.out + r.left * channels + c);
  }
  if (r.mid_end > r.mid_begin) {
    pixels8<0, 3>(r.x + (r.mid_begin * r.stride - r.pad_left) * channels + c,
                  r.mid_end - r.mid_begin, r.step, channels, r.in_row, rows, b, b.start[0][0],
                  mult, r.zero_point, r.lo, r.hi, r.out + r.mid_begin * channels + c);
  }
  if (r.right >= 0) {
    pixels8<0, 2>(r.x + (r.right * r.stride - r.pad_left) * channels + c, 1, 0, channels,
                  r.in_row, rows, b, b.start[2][0], mult, r.zero_point, r.lo, r.hi,
                  r.out + r.right * channels + c);
  }
}

// One output row, every block of eight channels.
void row8(const Row8& r) {
  const int32_t kinds = (r.mid_end - r.mid_begin) + (r.left >= 0) + (r.right >= 0);
  Block8 b;
  for (int32_t c = 0; c < r.channels; c += 8) {
    block8(r, c, b);
    if (kinds == r.output_width) continue;  // no pixel for clipped8
    for (int32_t ox = 0; ox < r.output_width; ++ox) {
      if (ox == r.left || ox == r.right || (ox >= r.mid_begin && ox < r.mid_end)) continue;
      clipped8(r, c, ox, b);
    }
  }
}

void depthwise3x3_mve(const DepthwiseConv2DS8Params& params, const int8_t* input,
                      const int8_t* filter, const int32_t* bias, int8_t* output) {
  const DepthwiseConv2DShape& s = params.shape;
  const int32_t channels = s.input_channels;
  Row8 r;
  r.f = filter;
  r.channels = channels;
  r.in_row = s.input_width * channels;
  r.step = s.stride_width * channels;
  r.input_width = s.input_width;
  r.output_width = s.output_width;
  r.stride = s.stride_width;
  r.pad_left = s.pad_left;
  r.folded = params.folded_bias;
  r.bias = bias;
  r.mult = params.output_multiplier;
  r.shift = params.output_shift;
  r.in_offset = params.input_offset;
  r.zero_point = params.output_offset;
  r.lo = params.activation_min;
  r.hi = params.activation_max;
  r.right_shifts = params.fast_requant != 0;  // post_shift >= 1 for every channel
  // Pixels whose windows lie horizontally inside: x0 >= 0 and x0 + 3 <= input_width.
  const detail::ColumnRun inside = detail::inside_columns_3(s);
  const int32_t ox_in = inside.begin;
  const int32_t ox_end = inside.end;
  r.mid_begin = ox_in;
  r.mid_end = ox_end;
  // Edge pixels next to the run: columns [1, 3) or [0, 2) of their window inside.
  const int32_t left_x = (ox_in - 1) * s.stride_width - s.pad_left;
  r.left = ox_in >= 1 && left_x == -1 && s.input_width >= 2 ? ox_in - 1 : -1;
  const int32_t right_x = ox_end * s.stride_width - s.pad_left;
  r.right = ox_end < s.output_width && right_x >= 0 && right_x + 2 == s.input_width &&
                    ox_end != r.left
                ? ox_end
                : -1;
  const int32_t out_row = s.output_width * channels;
  for (int32_t b = 0; b < s.batches; ++b) {
    const int8_t* in_batch = input + b * s.input_height * r.in_row;
    for (int32_t oy = 0; oy < s.output_height; ++oy) {
      const int32_t y0 = oy * s.stride_height - s.pad_top;
      int32_t ky0, ky1;
      tap_range(y0, 1, 3, s.input_height, &ky0, &ky1);
      r.x = in_batch + (y0 + ky0) * r.in_row;
      r.ky0 = ky0;
      r.ky_n = ky1 - ky0;
      r.out = output + (b * s.output_height + oy) * out_row;
      row8(r);
    }
  }
}

// One output pixel, depth multiplier 1, taps [ky_begin, ky_end) x [kx_begin, kx_end) of
// the window at input (y0, x0). Inside == true: the window is whole and folded_bias holds
// the input offset times the weight sums; otherwise the offset is added to each input.
template <bool Inside>
void pixel_m1(const DepthwiseConv2DS8Params& p, const int8_t* in_batch, int32_t y0, int32_t x0,
              int32_t ky_begin, int32_t ky_end, int32_t kx_begin, int32_t kx_end,
              const int8_t* filter, const int32_t* bias, int8_t* out) {
  const DepthwiseConv2DShape& s = p.shape;
  const detail::TapWalk w = detail::tap_walk(s, in_batch, filter, y0, x0, ky_begin, kx_begin);
  const int32_t n_kx = kx_end - kx_begin;
  if (n_kx == 3 && ky_end - ky_begin == 3) {
    pixel_m1_mve<Inside, 3, 3>(p, w.in, w.tap_x, w.tap_y, w.filter, w.f_row, 3, 3, bias, out);
  } else if (n_kx == 3) {  // the top and bottom rows of 3-wide windows
    pixel_m1_mve<Inside, 0, 3>(p, w.in, w.tap_x, w.tap_y, w.filter, w.f_row, ky_end - ky_begin,
                               3, bias, out);
  } else {
    pixel_m1_mve<Inside, 0, 0>(p, w.in, w.tap_x, w.tap_y, w.filter, w.f_row, ky_end - ky_begin,
                               n_kx, bias, out);
  }
}

// ---- Depth multiplier > 1 ----
//
// Output channels eight per vector in int16 lanes, each lane's input value gathered (VLDRB
// gather: lane l of block oc reads input channel (oc + l) / M, whatever M is), the weights
// of a tap one widening load (contiguous over the output channels); VMULLB/VMULLT give the
// exact int32 products of the even and odd lanes, as the 3x3 kernel's tap8. Blocks outer,
// pixels inner, so a block's gather offsets, requantization and bias vectors are set up
// once per call (a row when row-streamed). Windows inside the image start from
// folded_bias with raw inputs, a row's run of them in one call; clipped ones start from
// the bias with the input offset added, as TFLite does.

struct BlockMM {
  uint16x8_t offsets;  // input channel of each lane, from the block's first
  int32x4_t mult[2], shift[2], folded[2], bias[2];  // even, odd lanes
  mve_pred16_t pred;   // the lanes that are output channels
  int16x8_t lo, hi;
  int32_t zp;
};

// A layer's steps between taps (input: x, y; filter: f_tap, f_row).
struct StepsMM {
  int32_t tap_x, tap_y, f_tap, f_row;
};

template <bool Pred>
UTENSOR_HOT_INLINE void taps_mm8(const BlockMM& b, const StepsMM& st, const int8_t* xr,
                                 const int8_t* fr, int32_t n_ky, int32_t n_kx, bool add_offset,
                                 int16_t offset, int32x4_t* even, int32x4_t* odd) {
  const uint16x8_t offsets = b.offsets;
  const mve_pred16_t pred = b.pred;
  for (int32_t ky = 0; ky < n_ky; ++ky, xr += st.tap_y, fr += st.f_row) {
    const int8_t* x = xr;
    const int8_t* f = fr;
    for (int32_t k = 0; k < n_kx; ++k, x += st.tap_x, f += st.f_tap) {
      int16x8_t xv = Pred ? vldrbq_gather_offset_z_s16(x, offsets, pred)
                          : vldrbq_gather_offset_s16(x, offsets);
      const int16x8_t fv = Pred ? vldrbq_z_s16(f, pred) : vldrbq_s16(f);
      if (add_offset) xv = vaddq_n_s16(xv, offset);
      *even = vaddq_s32(*even, vmullbq_int_s16(xv, fv));
      *odd = vaddq_s32(*odd, vmulltq_int_s16(xv, fv));
    }
  }
}

template <bool Pred>
UTENSOR_HOT_INLINE void store_mm8(const BlockMM& b, int32x4_t even, int32x4_t odd, int8_t* out) {
  int16x8_t v = vqmovnbq_s32(vuninitializedq_s16(),
                             mve_multiply_by_multiplier(even, b.mult[0], b.shift[0]));
  v = vqmovntq_s32(v, mve_multiply_by_multiplier(odd, b.mult[1], b.shift[1]));
  v = vminq_s16(vmaxq_s16(vqaddq_n_s16(v, static_cast<int16_t>(b.zp)), b.lo), b.hi);
  if (Pred) {
    vstrbq_p_s16(out, v, b.pred);
  } else {
    vstrbq_s16(out, v);
  }
}

// `n` output pixels of a row whose windows lie inside the image (all KH x KW taps).
template <bool Pred>
UTENSOR_NOINLINE_MVE void inside_mm8(const BlockMM& b, const StepsMM& st, const int8_t* x,
                                     const int8_t* f, int32_t n, int32_t in_step, int32_t kh,
                                     int32_t kw, int8_t* out, int32_t out_step) {
  for (; n > 0; --n, x += in_step, out += out_step) {
    int32x4_t even = b.folded[0], odd = b.folded[1];
    taps_mm8<Pred>(b, st, x, f, kh, kw, false, 0, &even, &odd);
    store_mm8<Pred>(b, even, odd, out);
  }
}

// One clipped output pixel (or any, without folded_bias): taps [0, n_ky) x [0, n_kx) from
// xr and fr, the input offset added to each input.
template <bool Pred>
UTENSOR_NOINLINE_MVE void clipped_mm8(const BlockMM& b, const StepsMM& st, const int8_t* xr,
                                      const int8_t* fr, int32_t n_ky, int32_t n_kx,
                                      int16_t offset, int8_t* out) {
  int32x4_t even = b.bias[0], odd = b.bias[1];
  taps_mm8<Pred>(b, st, xr, fr, n_ky, n_kx, true, offset, &even, &odd);
  store_mm8<Pred>(b, even, odd, out);
}

// The even and odd lanes of table[oc, oc + 8) widened to int32 (the shifts are int8),
// zero past `count`.
template <typename T>
UTENSOR_HOT_INLINE void deinterleave8(const T* table, int32_t oc, int32_t count, int32x4_t* out) {
  int32_t v[8];
  for (int32_t l = 0; l < 8; ++l) {
    v[l] = table != nullptr && oc + l < count ? static_cast<int32_t>(table[oc + l]) : 0;
  }
  const int32x4x2_t d = vld2q_s32(v);
  out[0] = d.val[0];
  out[1] = d.val[1];
}

template <bool Pred>
void block_mm8(const DepthwiseConv2DS8Params& params, const int8_t* input, const int8_t* filter,
               const BlockMM& b, int32_t oc, int32_t ic0, int8_t* output) {
  const DepthwiseConv2DShape& s = params.shape;
  const int32_t channels = s.input_channels;
  const int32_t out_c = channels * s.depth_multiplier;
  const int32_t in_row = s.input_width * channels;
  const int32_t out_row = s.output_width * out_c;
  StepsMM st;
  st.tap_x = s.dilation_width * channels;
  st.tap_y = s.dilation_height * in_row;
  st.f_tap = out_c;
  st.f_row = s.filter_width * out_c;
  const int16_t offset = static_cast<int16_t>(params.input_offset);
  // Output columns [ox_in, ox_end) have windows inside the input horizontally.
  const int32_t span_w = (s.filter_width - 1) * s.dilation_width;
  int32_t ox_in = (s.pad_left + s.stride_width - 1) / s.stride_width;
  const int32_t last = s.input_width - 1 - span_w + s.pad_left;
  int32_t ox_end = last >= 0 ? last / s.stride_width + 1 : 0;
  if (ox_end > s.output_width) ox_end = s.output_width;
  if (ox_in > ox_end) ox_in = ox_end;
  const bool folded = params.folded_bias != nullptr;
  for (int32_t n = 0; n < s.batches; ++n) {
    const int8_t* in_batch = input + n * s.input_height * in_row + ic0;
    int8_t* out_batch = output + n * s.output_height * out_row + oc;
    for (int32_t oy = 0; oy < s.output_height; ++oy) {
      const int32_t y0 = oy * s.stride_height - s.pad_top;
      int32_t ky0, ky1;
      tap_range(y0, s.dilation_height, s.filter_height, s.input_height, &ky0, &ky1);
      int8_t* out_y = out_batch + oy * out_row;
      const bool rows_inside = folded && ky0 == 0 && ky1 == s.filter_height && ox_end > ox_in;
      const int32_t lo = rows_inside ? ox_in : s.output_width;
      const int32_t hi = rows_inside ? ox_end : s.output_width;
      if (rows_inside) {
        inside_mm8<Pred>(b, st,
                         in_batch + (y0 * s.input_width + ox_in * s.stride_width - s.pad_left) *
                                        channels,
                         filter + oc, ox_end - ox_in, s.stride_width * channels, s.filter_height,
                         s.filter_width, out_y + ox_in * out_c, out_c);
      }
      for (int32_t ox = 0; ox < s.output_width; ++ox) {
        if (ox == lo) {
          ox = hi - 1;
          continue;
        }
        const int32_t x0 = ox * s.stride_width - s.pad_left;
        int32_t kx0, kx1;
        tap_range(x0, s.dilation_width, s.filter_width, s.input_width, &kx0, &kx1);
        const int32_t n_ky = kx1 > kx0 ? ky1 - ky0 : 0;  // a window wholly in the padding: none
        clipped_mm8<Pred>(b, st,
                          in_batch + ((y0 + ky0 * s.dilation_height) * s.input_width + x0 +
                                      kx0 * s.dilation_width) * channels,
                          filter + (ky0 * s.filter_width + kx0) * out_c + oc,
                          n_ky > 0 ? n_ky : 0, kx1 - kx0, offset, out_y + ox * out_c);
      }
    }
  }
}

// Out of line: inlined, its frame would cost the 3x3 layers five instructions a call.
__attribute__((noinline)) void depthwise_mm_mve(const DepthwiseConv2DS8Params& params,
                                                const int8_t* input, const int8_t* filter,
                                                const int32_t* bias, int8_t* output) {
  const DepthwiseConv2DShape& s = params.shape;
  const int32_t mult = s.depth_multiplier;
  const int32_t out_c = s.input_channels * mult;
  BlockMM b;
  b.lo = vdupq_n_s16(static_cast<int16_t>(params.activation_min));
  b.hi = vdupq_n_s16(static_cast<int16_t>(params.activation_max));
  b.zp = params.output_offset;
  for (int32_t oc = 0; oc < out_c; oc += 8) {
    b.pred = vctp16q(static_cast<uint32_t>(out_c - oc));
    const int32_t ic0 = oc / mult;
    uint16_t lanes[8];
    for (int32_t l = 0; l < 8; ++l) lanes[l] = static_cast<uint16_t>((oc + l) / mult - ic0);
    b.offsets = vld1q_u16(lanes);
    deinterleave8(params.output_multiplier, oc, out_c, b.mult);
    deinterleave8(params.output_shift, oc, out_c, b.shift);
    deinterleave8(params.folded_bias, oc, out_c, b.folded);
    deinterleave8(bias, oc, out_c, b.bias);
    if (oc + 8 <= out_c) {
      block_mm8<false>(params, input, filter, b, oc, ic0, output);
    } else {
      block_mm8<true>(params, input, filter, b, oc, ic0, output);
    }
  }
}

}  // namespace

void depthwise_conv2d_s8(const DepthwiseConv2DS8Params& params, const int8_t* input,
                         const int8_t* filter, const int32_t* bias, int8_t* output) {
  const DepthwiseConv2DShape& s = params.shape;
  // Depth multipliers > 1 and windows other than 3x3 (or dilated): eight output channels
  // per vector and a row's inside pixels per call (beats pixel_m1's four channels).
  if (s.depth_multiplier != 1 || s.filter_height != 3 || s.filter_width != 3 ||
      s.dilation_height != 1 || s.dilation_width != 1) {
    depthwise_mm_mve(params, input, filter, bias, output);
    return;
  }
  if (s.input_channels % 8 == 0 && params.folded_bias != nullptr) {
    depthwise3x3_mve(params, input, filter, bias, output);
    return;
  }
  const int32_t channels = s.input_channels;
  for (int32_t b = 0; b < s.batches; ++b) {
    const int8_t* in_batch = input + b * s.input_height * s.input_width * channels;
    for (int32_t oy = 0; oy < s.output_height; ++oy) {
      const int32_t y0 = oy * s.stride_height - s.pad_top;
      int32_t ky_begin, ky_end;
      tap_range(y0, s.dilation_height, s.filter_height, s.input_height, &ky_begin, &ky_end);
      for (int32_t ox = 0; ox < s.output_width; ++ox, output += channels) {
        const int32_t x0 = ox * s.stride_width - s.pad_left;
        int32_t kx_begin, kx_end;
        tap_range(x0, s.dilation_width, s.filter_width, s.input_width, &kx_begin, &kx_end);
        if (params.folded_bias != nullptr && ky_begin == 0 && ky_end == s.filter_height &&
            kx_begin == 0 && kx_end == s.filter_width) {
          pixel_m1<true>(params, in_batch, y0, x0, 0, s.filter_height, 0, s.filter_width,
                         filter, bias, output);
        } else {
          pixel_m1<false>(params, in_batch, y0, x0, ky_begin, ky_end, kx_begin, kx_end, filter,
                          bias, output);
        }
      }
    }
  }
}

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_MVE
