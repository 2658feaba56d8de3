// int8 DEPTHWISE_CONV_2D for cores with the DSP extension (M4, M7, M33): the 3x3,
// depth-multiplier-1 layers of MobileNet-style models (KWS, VWW) with four channels per
// word. Same contract and the same integers as the portable kernel, hence the same bytes;
// other shapes run the portable kernel.
//
// One block of four channels at a time over the whole call (a row when row-streamed): the
// block's nine weight words are widened to halfword pairs once, on the stack, so a tap is
// one LDR of input, two SXTB16, one LDRD of weights and four SMLAxy. Windows inside the
// image start from folded_bias and multiply raw inputs, fully unrolled; windows clipped
// by the padding add the input offset to each input (SADD16), as TFLite does. The
// requantization is the converter-proved FastRequant (SMMULR + one rounding shift) and
// SSAT; an activation range narrower than int8 is one more pass over the output, four
// bytes per word. Windows missing their left or right column (the padding) start from a
// per-block corrected folded bias and multiply raw inputs too.
#include "utensor/kernels/arch.hpp"

#if UTENSOR_KERNELS_DSP && !UTENSOR_KERNELS_MVE  // else depthwise_conv2d_mve.cpp

#include <stdint.h>
#include <string.h>

#include "utensor/kernels/depthwise_conv2d.hpp"
#include "utensor/kernels/detail/kernel_util.hpp"

namespace utensor {
namespace kernels {
namespace {

using namespace detail;  // NOLINT: the kernels' shared helpers

// The pixel loops get their own register allocation: inlined into the block loops, GCC
// keeps their accumulators on the stack.
#define UTENSOR_NOINLINE __attribute__((noinline))

// A block of four channels, in locals on the stack: its nine taps' weights as SXTB16
// pairs (bytes 0,2 and 1,3), its requantization and its folded bias (output stores may
// alias the layer's tables, which would otherwise be reloaded after each store).
struct Block {
  uint32_t w[9][2];
  FastRequant q[4];
  int32_t folded[4];
  // The start of windows missing their left (first) or right (last) column: bias + input
  // offset * (sum of the other six weights), so those windows multiply raw inputs too.
  int32_t start_left[4], start_right[4];
};

/// v clamped to [-128, 127].
UTENSOR_HOT_INLINE int32_t ssat8(int32_t v) {
  int32_t r;
  __asm__("ssat %0, #8, %1" : "=r"(r) : "r"(v));
  return r;
}

// The requantized output before the activation clamp (a separate pass, clamp_s8, when the
// activation range is narrower than int8).
UTENSOR_HOT_INLINE int8_t finish(int32_t acc, const FastRequant& q) {
  return static_cast<int8_t>(ssat8(fast_requantize(acc, q)));
}

UTENSOR_HOT_INLINE void store4(int8_t* out, int32_t a0, int32_t a1, int32_t a2, int32_t a3,
                               const Block& k) {
  out[0] = finish(a0, k.q[0]);
  out[1] = finish(a1, k.q[1]);
  out[2] = finish(a2, k.q[2]);
  out[3] = finish(a3, k.q[3]);
}

// n bytes (a multiple of 4) clamped to [lo, hi], four per word: byte-wise signed max and
// min as SSUB8 (which sets a flag per byte) + SEL.
void clamp_s8(int8_t* data, int32_t n, int32_t lo, int32_t hi) {
  const uint32_t lo4 = (static_cast<uint32_t>(lo) & 0xFFu) * 0x01010101u;
  const uint32_t hi4 = (static_cast<uint32_t>(hi) & 0xFFu) * 0x01010101u;
  for (; n > 0; n -= 4, data += 4) {
    uint32_t v = load_u32(data), t;
    __asm__("ssub8 %[t], %[v], %[lo]\n\t"
            "sel %[v], %[v], %[lo]\n\t"
            "ssub8 %[t], %[v], %[hi]\n\t"
            "sel %[v], %[hi], %[v]"
            : [v] "+r"(v), [t] "=&r"(t)
            : [lo] "r"(lo4), [hi] "r"(hi4)
            : "cc");
    memcpy(data, &v, 4);
  }
}

// acc_k += x_k * w_k for the four channels of one tap; `x02`/`x13` the input pairs.
UTENSOR_HOT_INLINE void mac4(uint32_t x02, uint32_t x13, const uint32_t* w, int32_t* a0,
                             int32_t* a1, int32_t* a2, int32_t* a3) {
  *a0 = smlabb(x02, w[0], *a0);
  *a2 = smlatt(x02, w[0], *a2);
  *a1 = smlabb(x13, w[1], *a1);
  *a3 = smlatt(x13, w[1], *a3);
}

// One tap in assembly: LDR input, LDRD the widened weights at byte offset `W`, two SXTB16
// and four halfword multiply-accumulates. `X` is the input address operand.
#define UTENSOR_DW_TAP(X, W)                 \
  "ldr %[v], " X "\n\t"                      \
  "ldrd %[w0], %[w1], [%[w], #" W "]\n\t"    \
  "sxtb16 %[u], %[v]\n\t"                    \
  "sxtb16 %[v], %[v], ror #8\n\t"            \
  "smlabb %[a0], %[u], %[w0], %[a0]\n\t"     \
  "smlatt %[a2], %[u], %[w0], %[a2]\n\t"     \
  "smlabb %[a1], %[v], %[w1], %[a1]\n\t"     \
  "smlatt %[a3], %[v], %[w1], %[a3]\n\t"
// The operands of both window statements: twelve registers, bound to fixed ones when
// unoptimized (UTENSOR_ASM_REG). They read the input rows and the widened weights, memory
// no operand describes: hence the "memory" clobber (no cost here: the callers reload the
// block's tables after every output store anyway, as int8 stores may alias them).
#define UTENSOR_DW_OPERANDS                                                                 \
  : [a0] "+r"(s0), [a1] "+r"(s1), [a2] "+r"(s2), [a3] "+r"(s3), [p] "+r"(p), [v] "=&r"(v),    \
    [u] "=&r"(u), [w0] "=&r"(w0), [w1] "=&r"(w1)                                            \
  : [c] "r"(cc), [r] "r"(rr), [w] "r"(ww)                                                     \
  : "memory"
#define UTENSOR_DW_BIND(X, C, ROW, W)                                                       \
  UTENSOR_ASM_REG(int32_t, s0, "r0") = *a0;                                                 \
  UTENSOR_ASM_REG(int32_t, s1, "r1") = *a1;                                                 \
  UTENSOR_ASM_REG(int32_t, s2, "r2") = *a2;                                                 \
  UTENSOR_ASM_REG(int32_t, s3, "r3") = *a3;                                                 \
  UTENSOR_ASM_REG(const int8_t*, p, "r4") = X;                                              \
  UTENSOR_ASM_REG(int32_t, cc, "r5") = C;                                                   \
  UTENSOR_ASM_REG(int32_t, rr, "r6") = ROW;                                                 \
  UTENSOR_ASM_REG(const uint32_t*, ww, "r8") = W;                                           \
  UTENSOR_ASM_REG(uint32_t, v, "r9");                                                       \
  UTENSOR_ASM_REG(uint32_t, u, "r10");                                                      \
  UTENSOR_ASM_REG(uint32_t, w0, "r11");                                                     \
  UTENSOR_ASM_REG(uint32_t, w1, "r12")
#define UTENSOR_DW_STORE \
  *a0 = s0;              \
  *a1 = s1;              \
  *a2 = s2;              \
  *a3 = s3

// The whole 3x3 window of raw inputs at x (tap (0, 0), the block's channel) into the four
// accumulators: eight instructions a tap plus two row steps, in assembly because GCC
// spills the accumulators of the unrolled C. c: bytes between taps of a row; row: bytes
// between input rows.
UTENSOR_HOT_INLINE void window3x3(const int8_t* x, int32_t c, int32_t row, const Block& k,
                                  int32_t* a0, int32_t* a1, int32_t* a2, int32_t* a3) {
  UTENSOR_DW_BIND(x, c, row, &k.w[0][0]);
  __asm__(UTENSOR_DW_TAP("[%[p]]", "0") UTENSOR_DW_TAP("[%[p], %[c]]", "8")
          UTENSOR_DW_TAP("[%[p], %[c], lsl #1]", "16")
          "add %[p], %[p], %[r]\n\t"
          UTENSOR_DW_TAP("[%[p]]", "24") UTENSOR_DW_TAP("[%[p], %[c]]", "32")
          UTENSOR_DW_TAP("[%[p], %[c], lsl #1]", "40")
          "add %[p], %[p], %[r]\n\t"
          UTENSOR_DW_TAP("[%[p]]", "48") UTENSOR_DW_TAP("[%[p], %[c]]", "56")
          UTENSOR_DW_TAP("[%[p], %[c], lsl #1]", "64")
          UTENSOR_DW_OPERANDS);
  UTENSOR_DW_STORE;
}
// The two columns of a 3x3 window at x (its first column inside the image) into the four
// accumulators; w: the weights of the window's first column inside the image.
UTENSOR_HOT_INLINE void window3x2(const int8_t* x, int32_t c, int32_t row, const uint32_t* w,
                                  int32_t* a0, int32_t* a1, int32_t* a2, int32_t* a3) {
  UTENSOR_DW_BIND(x, c, row, w);
  __asm__(UTENSOR_DW_TAP("[%[p]]", "0") UTENSOR_DW_TAP("[%[p], %[c]]", "8")
          "add %[p], %[p], %[r]\n\t"
          UTENSOR_DW_TAP("[%[p]]", "24") UTENSOR_DW_TAP("[%[p], %[c]]", "32")
          "add %[p], %[p], %[r]\n\t"
          UTENSOR_DW_TAP("[%[p]]", "48") UTENSOR_DW_TAP("[%[p], %[c]]", "56")
          UTENSOR_DW_OPERANDS);
  UTENSOR_DW_STORE;
}
#undef UTENSOR_DW_STORE
#undef UTENSOR_DW_BIND
#undef UTENSOR_DW_OPERANDS
#undef UTENSOR_DW_TAP

// `n` consecutive output pixels whose 3x3 windows lie inside the image. x: input of tap
// (0, 0) of the first pixel at the block's channel; step: input bytes between pixels;
// row: bytes between input rows.
UTENSOR_NOINLINE void run_inside(const int8_t* x, int32_t n, int32_t step, int32_t channels,
                                 int32_t row, const Block& k, int8_t* out, int32_t out_step) {
  for (; n > 0; --n, x += step, out += out_step) {
    int32_t a0 = k.folded[0], a1 = k.folded[1], a2 = k.folded[2], a3 = k.folded[3];
    window3x3(x, channels, row, k, &a0, &a1, &a2, &a3);
    store4(out, a0, a1, a2, a3, k);
  }
}

// One output pixel whose window lies inside the image but for its left (`left`) or right
// column. x: the input of its first column inside the image at the block's channel.
UTENSOR_NOINLINE void run_edge(const int8_t* x, int32_t channels, int32_t row, const Block& k,
                               bool left, int8_t* out) {
  const int32_t* start = left ? k.start_left : k.start_right;
  int32_t a0 = start[0], a1 = start[1], a2 = start[2], a3 = start[3];
  window3x2(x, channels, row, left ? k.w[1] : k.w[0], &a0, &a1, &a2, &a3);
  store4(out, a0, a1, a2, a3, k);
}

// One output pixel whose window the padding clips to taps [ky0, ky1) x [kx0, kx1). x: the
// input of tap (ky0, kx0) at the block's channel; off: the input offset in both halfwords.
UTENSOR_NOINLINE void run_clipped(const int8_t* x, int32_t ky0, int32_t ky1, int32_t kx0,
                                  int32_t kx1, int32_t channels, int32_t row, uint32_t off,
                                  const Block& k, const int32_t* bias, int8_t* out) {
  int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  if (bias != nullptr) a0 = bias[0], a1 = bias[1], a2 = bias[2], a3 = bias[3];
  for (int32_t ky = ky0; ky < ky1; ++ky, x += row) {
    const int8_t* p = x;
    for (int32_t kx = kx0; kx < kx1; ++kx, p += channels) {
      const uint32_t xv = load_u32(p);
      mac4(sadd16(sxtb16(xv), off), sadd16(sxtb16_ror8(xv), off), k.w[ky * 3 + kx], &a0, &a1,
           &a2, &a3);
    }
  }
  store4(out, a0, a1, a2, a3, k);
}

// The block of four channels at `filter` (tap stride `channels`): the weights widened, the
// FastRequant entries and the folded bias. Once per block and call: unrolled, because
// row-streamed layers run it for every output row.
UTENSOR_NOINLINE void load_block(const int8_t* filter, int32_t channels, const int32_t* mult,
                                 const int8_t* shift, int32_t zero_point, const int32_t* folded,
                                 uint32_t neg_off, Block* k) {
#pragma GCC unroll 9
  for (int32_t i = 0; i < 9; ++i, filter += channels) {
    const uint32_t fv = load_u32(filter);
    k->w[i][0] = sxtb16(fv);
    k->w[i][1] = sxtb16_ror8(fv);
  }
#pragma GCC unroll 4
  for (int32_t i = 0; i < 4; ++i) {
    k->q[i] = make_fast_requant(mult[i], shift[i], zero_point);
    k->folded[i] = folded[i];
  }
  // The weight sums of the first and last columns, halfword pairs (|sum| <= 3 * 128).
  const uint32_t l02 = sadd16(sadd16(k->w[0][0], k->w[3][0]), k->w[6][0]);
  const uint32_t l13 = sadd16(sadd16(k->w[0][1], k->w[3][1]), k->w[6][1]);
  const uint32_t r02 = sadd16(sadd16(k->w[2][0], k->w[5][0]), k->w[8][0]);
  const uint32_t r13 = sadd16(sadd16(k->w[2][1], k->w[5][1]), k->w[8][1]);
  // A window missing its first column starts at folded - offset * (that column's sum).
  k->start_left[0] = smlabb(l02, neg_off, folded[0]);
  k->start_left[1] = smlabb(l13, neg_off, folded[1]);
  k->start_left[2] = smlatt(l02, neg_off, folded[2]);
  k->start_left[3] = smlatt(l13, neg_off, folded[3]);
  k->start_right[0] = smlabb(r02, neg_off, folded[0]);
  k->start_right[1] = smlabb(r13, neg_off, folded[1]);
  k->start_right[2] = smlatt(r02, neg_off, folded[2]);
  k->start_right[3] = smlatt(r13, neg_off, folded[3]);
}

// The 3x3, depth multiplier 1, undilated layer with C % 4 == 0, folded_bias and
// fast_requant (what depthwise_conv2d_s8 checks).
void depthwise3x3(const DepthwiseConv2DS8Params& params, const int8_t* input,
                  const int8_t* filter, const int32_t* bias, int8_t* output) {
  const DepthwiseConv2DShape s = params.shape;
  const int32_t channels = s.input_channels;
  const int32_t row = s.input_width * channels;
  const uint32_t off = (static_cast<uint32_t>(params.input_offset) << 16) |
                       (static_cast<uint32_t>(params.input_offset) & 0xFFFFu);
  const uint32_t neg_off = (static_cast<uint32_t>(-params.input_offset) << 16) |
                           (static_cast<uint32_t>(-params.input_offset) & 0xFFFFu);
  // Output columns [ox_in, ox_end) have windows inside the image horizontally.
  const detail::ColumnRun inside = detail::inside_columns_3(s);
  const int32_t ox_in = inside.begin;
  const int32_t ox_end = inside.end;
  // Pixels [row_begin, row_end) of a row whose windows are vertically inside: the inside
  // run and the pixels next to it that miss one column only.
  const bool left_edge = ox_end > ox_in && ox_in >= 1 &&
                         (ox_in - 1) * s.stride_width - s.pad_left == -1 && s.input_width >= 2;
  const int32_t right_x = ox_end * s.stride_width - s.pad_left;
  const bool right_edge = ox_end > ox_in && ox_end < s.output_width && right_x >= 0 &&
                          right_x + 2 == s.input_width;
  const int32_t row_begin = left_edge ? ox_in - 1 : ox_in;
  const int32_t row_end = right_edge ? ox_end + 1 : ox_end;
  const int32_t out_row = s.output_width * channels;
  const int32_t step = s.stride_width * channels;
  // Blocks outer (a block's weights and constants are set up once per call), rows inner.
  for (int32_t b = 0; b < s.batches; ++b) {
    const int8_t* in_batch = input + b * s.input_height * row;
    int8_t* out_batch = output + b * s.output_height * out_row;
    for (int32_t c = 0; c < channels; c += 4) {
      Block k;
      load_block(filter + c, channels, params.output_multiplier + c, params.output_shift + c,
                 params.output_offset, params.folded_bias + c, neg_off, &k);
      for (int32_t oy = 0; oy < s.output_height; ++oy) {
        const int32_t y0 = oy * s.stride_height - s.pad_top;
        int32_t ky0, ky1;
        tap_range(y0, 1, 3, s.input_height, &ky0, &ky1);
        const bool rows_inside = ky0 == 0 && ky1 == 3 && ox_end > ox_in;
        const int32_t lo = rows_inside ? row_begin : s.output_width;
        const int32_t hi = rows_inside ? row_end : s.output_width;
        const int8_t* x_row = in_batch + y0 * row;  // only used when rows_inside
        int8_t* out_y = out_batch + oy * out_row;
        if (rows_inside) {
          if (left_edge) {
            run_edge(x_row + c, channels, row, k, true, out_y + (ox_in - 1) * channels + c);
          }
          run_inside(x_row + (ox_in * s.stride_width - s.pad_left) * channels + c,
                     ox_end - ox_in, step, channels, row, k, out_y + ox_in * channels + c,
                     channels);
          if (right_edge) {
            run_edge(x_row + right_x * channels + c, channels, row, k, false,
                     out_y + ox_end * channels + c);
          }
        }
        const int32_t* bias_c = bias != nullptr ? bias + c : nullptr;
        for (int32_t ox = 0; ox < s.output_width; ++ox) {  // the other pixels
          if (ox == lo) {
            ox = hi - 1;
            continue;
          }
          const int32_t x0 = ox * s.stride_width - s.pad_left;
          const int32_t kx0 = x0 < 0 ? -x0 : 0;
          const int32_t kx1 = s.input_width - x0 < 3 ? s.input_width - x0 : 3;
          run_clipped(in_batch + (y0 + ky0) * row + (x0 + kx0) * channels + c, ky0, ky1, kx0,
                      kx1, channels, row, off, k, bias_c, out_y + ox * channels + c);
        }
      }
    }
  }
  if (params.activation_min != -128 || params.activation_max != 127) {
    clamp_s8(output, s.batches * s.output_height * out_row, params.activation_min,
             params.activation_max);
  }
}

}  // namespace

void depthwise_conv2d_s8(const DepthwiseConv2DS8Params& params, const int8_t* input,
                         const int8_t* filter, const int32_t* bias, int8_t* output) {
  const DepthwiseConv2DShape& s = params.shape;
  if (s.depth_multiplier == 1 && s.input_channels % 4 == 0 && s.filter_height == 3 &&
      s.filter_width == 3 && s.dilation_height == 1 && s.dilation_width == 1 &&
      params.folded_bias != nullptr && params.fast_requant != 0) {
    depthwise3x3(params, input, filter, bias, output);
    return;
  }
  depthwise_conv2d_s8_portable(params, input, filter, bias, output);
}

void depthwise_conv2d_s8_3x3(const DepthwiseConv2DS8Params& params, const int8_t* input,
                             const int8_t* filter, const int32_t* bias, int8_t* output) {
  depthwise3x3(params, input, filter, bias, output);
}

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_DSP && !UTENSOR_KERNELS_MVE
