// int8 DEPTHWISE_CONV_2D for cores with the DSP extension (M4, M7, M33): the 3x3,
// depth-multiplier-1 layers of MobileNet-style models (KWS, VWW) with four channels per
// word; every other shape with at most 64 taps (any KHxKW, stride, dilation, channel count,
// depth multiplier) runs depthwise_general below. Same contract and the same integers as
// the portable kernel, hence the same bytes; larger windows run the portable kernel.
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

// ---- Any other shape: any KHxKW, stride, dilation, channel count, depth multiplier ----
//
// The same scheme as depthwise3x3, in C: per call, a block of output channels has its
// weights widened to halfword pairs once (a stack table of up to kMaxTaps taps), then
// every output pixel of the call runs its taps against that table. Windows inside the
// image start from folded_bias with raw inputs; clipped ones start from the bias and add
// the input offset per input, as TFLite does (exact integer sums either way).
// Multiplier 1: four channels per word (SXTB16 pairs, four SMLAxy a tap); a channel count
// that is not a multiple of 4 ends with the block of the last four channels, which
// overlaps the previous one and rewrites its outputs with the same bytes. Multiplier > 1:
// one input value (a scalar LDRSB) against the weights of up to four consecutive outputs
// of its channel (SMLABB/SMLABT); multipliers not a multiple of 4 end the same way;
// multiplier 2 takes two input channels a block (a halfword of input, SXTB16).

constexpr int32_t kMaxTaps = 64;  // 512 bytes of widened weights on the stack

/// acc + a.lo * b.hi (signed halfwords).
UTENSOR_HOT_INLINE int32_t smlabt(uint32_t a, uint32_t b, int32_t acc) {
  int32_t r;
  __asm__("smlabt %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(acc));
  return r;
}

// A block of four output channels: the widened weights of every tap, and what the block
// needs to start and finish a window (in locals: output stores may alias the tables).
struct GeneralBlock {
  uint32_t w[kMaxTaps][2];
  FastRequant q[4];
  int32_t mult[4], shift[4];
  int32_t folded[4], bias[4];
};

// The layer's values the pixel loops read, in locals.
struct GeneralLayer {
  int32_t tap_x, tap_y, taps_w, in_step, out_step;
  uint32_t off2;  // the input offset in both halfwords
  int32_t input_offset, output_offset, lo, hi;
  bool fast;
};

UTENSOR_HOT_INLINE int32_t general_finish(int32_t acc, const GeneralBlock& k, int32_t lane,
                                          const GeneralLayer& g) {
  const int32_t v = g.fast ? fast_requantize(acc, k.q[lane])
                           : multiply_by_multiplier(acc, k.mult[lane], k.shift[lane]) +
                                 g.output_offset;
  return v < g.lo ? g.lo : (v > g.hi ? g.hi : v);
}

// The L (1..4) outputs of a pixel: all requantized before the first store, which may alias
// the tables (the compiler would reload them after every byte otherwise).
template <int L>
UTENSOR_HOT_INLINE void general_store(int32_t a0, int32_t a1, int32_t a2, int32_t a3,
                                      const GeneralBlock& k, const GeneralLayer& g, int8_t* out) {
  const int32_t r0 = general_finish(a0, k, 0, g);
  const int32_t r1 = general_finish(a1, k, 1, g);
  const int32_t r2 = L > 2 ? general_finish(a2, k, 2, g) : 0;
  const int32_t r3 = L > 3 ? general_finish(a3, k, 3, g) : 0;
  out[0] = static_cast<int8_t>(r0);
  out[1] = static_cast<int8_t>(r1);
  if (L > 2) out[2] = static_cast<int8_t>(r2);
  if (L > 3) out[3] = static_cast<int8_t>(r3);
}

// Requantization, folded bias and bias of output channels [oc, oc + 4).
void general_block_tables(const DepthwiseConv2DS8Params& params, const int32_t* bias, int32_t oc,
                          GeneralBlock* k) {
  for (int32_t i = 0; i < 4; ++i) {
    k->mult[i] = params.output_multiplier[oc + i];
    k->shift[i] = params.output_shift[oc + i];
    k->q[i] = make_fast_requant(k->mult[i], k->shift[i], params.output_offset);
    k->bias[i] = bias != nullptr ? bias[oc + i] : 0;
    k->folded[i] = params.folded_bias != nullptr ? params.folded_bias[oc + i] : 0;
  }
}

// The operands of the tap loops below: twelve registers, bound to fixed ones when
// unoptimized (UTENSOR_ASM_REG), as the 3x3 window's. They read input and widened weights
// no operand describes: hence the "memory" clobber.
#define UTENSOR_DWG_BIND(X, S, W, N)                   \
  UTENSOR_ASM_REG(int32_t, s0, "r0") = *a0;            \
  UTENSOR_ASM_REG(int32_t, s1, "r1") = *a1;            \
  UTENSOR_ASM_REG(int32_t, s2, "r2") = *a2;            \
  UTENSOR_ASM_REG(int32_t, s3, "r3") = *a3;            \
  UTENSOR_ASM_REG(const int8_t*, p, "r4") = X;         \
  UTENSOR_ASM_REG(int32_t, ss, "r5") = S;              \
  UTENSOR_ASM_REG(int32_t, nn, "r6") = N;              \
  UTENSOR_ASM_REG(const uint32_t*, ww, "r8") = W;      \
  UTENSOR_ASM_REG(uint32_t, v, "r9");                  \
  UTENSOR_ASM_REG(uint32_t, u, "r10");                 \
  UTENSOR_ASM_REG(uint32_t, w0, "r11");                \
  UTENSOR_ASM_REG(uint32_t, w1, "r12")
#define UTENSOR_DWG_OPERANDS                                                                \
  : [a0] "+r"(s0), [a1] "+r"(s1), [a2] "+r"(s2), [a3] "+r"(s3), [p] "+r"(p), [n] "+r"(nn),  \
    [w] "+r"(ww), [v] "=&r"(v), [u] "=&r"(u), [w0] "=&r"(w0), [w1] "=&r"(w1)                \
  : [s] "r"(ss)                                                                             \
  : "cc", "memory"
#define UTENSOR_DWG_STORE \
  *a0 = s0;               \
  *a1 = s1;               \
  *a2 = s2;               \
  *a3 = s3
// A tap of four channels (multiplier 1): the input word in v, the weights at [w, #W].
#define UTENSOR_DWG_M1(W)                    \
  "ldrd %[w0], %[w1], [%[w], #" W "]\n\t"    \
  "sxtb16 %[u], %[v]\n\t"                    \
  "sxtb16 %[v], %[v], ror #8\n\t"            \
  "smlabb %[a0], %[u], %[w0], %[a0]\n\t"     \
  "smlatt %[a2], %[u], %[w0], %[a2]\n\t"     \
  "smlabb %[a1], %[v], %[w1], %[a1]\n\t"     \
  "smlatt %[a3], %[v], %[w1], %[a3]\n\t"
// A tap of four outputs of one input channel (multiplier > 1): the input value in v.
#define UTENSOR_DWG_MM(W)                    \
  "ldrd %[w0], %[w1], [%[w], #" W "]\n\t"    \
  "smlabb %[a0], %[v], %[w0], %[a0]\n\t"     \
  "smlabt %[a1], %[v], %[w0], %[a1]\n\t"     \
  "smlabb %[a2], %[v], %[w1], %[a2]\n\t"     \
  "smlabt %[a3], %[v], %[w1], %[a3]\n\t"

// A tap of two input channels' outputs (multiplier 2): the two input bytes in v.
#define UTENSOR_DWG_M2(W)                    \
  "ldrd %[w0], %[w1], [%[w], #" W "]\n\t"    \
  "sxtb16 %[u], %[v]\n\t"                    \
  "sxtb16 %[v], %[v], ror #8\n\t"            \
  "smlabb %[a0], %[u], %[w0], %[a0]\n\t"     \
  "smlabt %[a1], %[u], %[w0], %[a1]\n\t"     \
  "smlabb %[a2], %[v], %[w1], %[a2]\n\t"     \
  "smlabt %[a3], %[v], %[w1], %[a3]\n\t"

// n >= 1 taps of one filter row, four channels: raw input words at x, x + s, ...; widened
// weights from w. Two taps an iteration (nine and a half instructions a tap), in assembly
// because GCC spills the accumulators of the C loop.
UTENSOR_HOT_INLINE void taps_m1(const int8_t* x, int32_t s, const uint32_t* w, int32_t n,
                                int32_t* a0, int32_t* a1, int32_t* a2, int32_t* a3) {
  UTENSOR_DWG_BIND(x, s, w, n);
  __asm__("subs %[n], %[n], #2\n\t"
          "blt 2f\n"
          "1:\n\t"
          "ldr %[v], [%[p]]\n\t" UTENSOR_DWG_M1("0")
          "ldr %[v], [%[p], %[s]]\n\t" UTENSOR_DWG_M1("8")
          "add %[p], %[p], %[s], lsl #1\n\t"
          "adds %[w], %[w], #16\n\t"
          "subs %[n], %[n], #2\n\t"
          "bge 1b\n"
          "2:\n\t"
          "adds %[n], %[n], #2\n\t"
          "beq 3f\n\t"
          "ldr %[v], [%[p]]\n\t" UTENSOR_DWG_M1("0")
          "3:\n\t"
          UTENSOR_DWG_OPERANDS);
  UTENSOR_DWG_STORE;
}

// The same for multiplier > 1: input bytes at x, x + s, ... against four outputs' weights.
UTENSOR_HOT_INLINE void taps_mm(const int8_t* x, int32_t s, const uint32_t* w, int32_t n,
                                int32_t* a0, int32_t* a1, int32_t* a2, int32_t* a3) {
  UTENSOR_DWG_BIND(x, s, w, n);
  __asm__("subs %[n], %[n], #2\n\t"
          "blt 2f\n"
          "1:\n\t"
          "ldrsb %[v], [%[p]]\n\t" UTENSOR_DWG_MM("0")
          "ldrsb %[v], [%[p], %[s]]\n\t" UTENSOR_DWG_MM("8")
          "add %[p], %[p], %[s], lsl #1\n\t"
          "adds %[w], %[w], #16\n\t"
          "subs %[n], %[n], #2\n\t"
          "bge 1b\n"
          "2:\n\t"
          "adds %[n], %[n], #2\n\t"
          "beq 3f\n\t"
          "ldrsb %[v], [%[p]]\n\t" UTENSOR_DWG_MM("0")
          "3:\n\t"
          UTENSOR_DWG_OPERANDS);
  UTENSOR_DWG_STORE;
}
// The same for multiplier 2 over two input channels (a halfword of input a tap: outputs
// 0, 1 read the first channel, 2, 3 the second).
UTENSOR_HOT_INLINE void taps_m2(const int8_t* x, int32_t s, const uint32_t* w, int32_t n,
                                int32_t* a0, int32_t* a1, int32_t* a2, int32_t* a3) {
  UTENSOR_DWG_BIND(x, s, w, n);
  __asm__("subs %[n], %[n], #2\n\t"
          "blt 2f\n"
          "1:\n\t"
          "ldrh %[v], [%[p]]\n\t" UTENSOR_DWG_M2("0")
          "ldrh %[v], [%[p], %[s]]\n\t" UTENSOR_DWG_M2("8")
          "add %[p], %[p], %[s], lsl #1\n\t"
          "adds %[w], %[w], #16\n\t"
          "subs %[n], %[n], #2\n\t"
          "bge 1b\n"
          "2:\n\t"
          "adds %[n], %[n], #2\n\t"
          "beq 3f\n\t"
          "ldrh %[v], [%[p]]\n\t" UTENSOR_DWG_M2("0")
          "3:\n\t"
          UTENSOR_DWG_OPERANDS);
  UTENSOR_DWG_STORE;
}
// A whole window (kh >= 1 rows of kw >= 1 taps) in one statement: the row loop too, its
// two counters in memory operands (the registers are all taken), so a row costs six
// instructions more than its taps instead of a C loop around taps_*. jump: input bytes
// from the end of one row's taps to the start of the next.
#define UTENSOR_DWG_WINDOW(LOAD, MAC)                            \
  __asm__("1:\n\t"                                               \
          "ldr %[n], %[kw]\n\t"                                  \
          "subs %[n], %[n], #2\n\t"                              \
          "blt 3f\n"                                             \
          "2:\n\t" LOAD " %[v], [%[p]]\n\t" MAC("0")             \
          LOAD " %[v], [%[p], %[s]]\n\t" MAC("8")                \
          "add %[p], %[p], %[s], lsl #1\n\t"                     \
          "adds %[w], %[w], #16\n\t"                             \
          "subs %[n], %[n], #2\n\t"                              \
          "bge 2b\n"                                             \
          "3:\n\t"                                               \
          "adds %[n], %[n], #2\n\t"                              \
          "beq 4f\n\t" LOAD " %[v], [%[p]]\n\t" MAC("0")         \
          "add %[p], %[p], %[s]\n\t"                             \
          "adds %[w], %[w], #8\n"                                \
          "4:\n\t"                                               \
          "ldr %[v], %[jump]\n\t"                                \
          "add %[p], %[p], %[v]\n\t"                             \
          "ldr %[v], %[rows]\n\t"                                \
          "subs %[v], %[v], #1\n\t"                              \
          "str %[v], %[rows]\n\t"                                \
          "bne 1b\n\t"                                           \
          : [a0] "+r"(s0), [a1] "+r"(s1), [a2] "+r"(s2), [a3] "+r"(s3), [p] "+r"(p),   \
            [n] "+r"(nn), [w] "+r"(ww), [v] "=&r"(v), [u] "=&r"(u), [w0] "=&r"(w0),    \
            [w1] "=&r"(w1), [rows] "+m"(rows)                                          \
          : [s] "r"(ss), [kw] "m"(kw), [jump] "m"(jump)                                \
          : "cc", "memory")

template <int Mode>
UTENSOR_HOT_INLINE void window_taps(const int8_t* x, int32_t s, const uint32_t* w, int32_t kh,
                                    int32_t kw, int32_t jump, int32_t* a0, int32_t* a1,
                                    int32_t* a2, int32_t* a3) {
#if defined(__OPTIMIZE__)
  int32_t rows = kh;
  UTENSOR_DWG_BIND(x, s, w, 0);
  if (Mode == 1) {
    UTENSOR_DWG_WINDOW("ldr", UTENSOR_DWG_M1);
  } else if (Mode == 2) {
    UTENSOR_DWG_WINDOW("ldrh", UTENSOR_DWG_M2);
  } else {
    UTENSOR_DWG_WINDOW("ldrsb", UTENSOR_DWG_MM);
  }
  UTENSOR_DWG_STORE;
#else  // unoptimized, the memory operands find no register for their address: row by row
  for (int32_t ky = 0; ky < kh; ++ky, x += kw * s + jump, w += 2 * kw) {
    if (Mode == 1) {
      taps_m1(x, s, w, kw, a0, a1, a2, a3);
    } else if (Mode == 2) {
      taps_m2(x, s, w, kw, a0, a1, a2, a3);
    } else {
      taps_mm(x, s, w, kw, a0, a1, a2, a3);
    }
  }
#endif
}
#undef UTENSOR_DWG_WINDOW
#undef UTENSOR_DWG_M2
#undef UTENSOR_DWG_MM
#undef UTENSOR_DWG_M1
#undef UTENSOR_DWG_STORE
#undef UTENSOR_DWG_OPERANDS
#undef UTENSOR_DWG_BIND

// Ones, read with a step of 0: the tap loops then sum the weights of the taps they cover.
const int8_t kOnes[4] = {1, 1, 1, 1};

// `n` output pixels of one row whose windows lie wholly inside (raw inputs from
// folded_bias). x: tap (0, 0) of the first pixel at the block's first input channel.
template <int L, int Mode>
UTENSOR_NOINLINE void general_inside(const int8_t* x, int32_t n, int32_t kh,
                                     const GeneralBlock& k, const GeneralLayer& g, int8_t* out) {
  const int32_t jump = g.tap_y - g.taps_w * g.tap_x;
  for (; n > 0; --n, x += g.in_step, out += g.out_step) {
    int32_t a0 = k.folded[0], a1 = k.folded[1], a2 = k.folded[2], a3 = k.folded[3];
    window_taps<Mode>(x, g.tap_x, &k.w[0][0], kh, g.taps_w, jump, &a0, &a1, &a2, &a3);
    general_store<L>(a0, a1, a2, a3, k, g, out);
  }
}

// One output pixel whose window the padding clips to taps [ky0, ky1) x [kx0, kx1), or any
// window when the layer has no folded bias. x: tap (ky0, kx0). TFLite adds the input offset
// to every input; the same integers are the raw sum plus offset * (the weights' sum over
// those taps), which the tap loop computes from kOnes.
template <int L, int Mode>
UTENSOR_NOINLINE void general_clipped(const int8_t* x, int32_t ky0, int32_t ky1, int32_t kx0,
                                      int32_t kx1, const GeneralBlock& k, const GeneralLayer& g,
                                      int8_t* out) {
  int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;  // the raw sums
  int32_t w0 = 0, w1 = 0, w2 = 0, w3 = 0;  // the weight sums
  for (int32_t ky = ky0; ky < ky1; ++ky, x += g.tap_y) {
    const uint32_t* w = k.w[ky * g.taps_w + kx0];
    if (Mode == 1) {
      taps_m1(x, g.tap_x, w, kx1 - kx0, &a0, &a1, &a2, &a3);
      taps_m1(kOnes, 0, w, kx1 - kx0, &w0, &w1, &w2, &w3);
    } else if (Mode == 2) {
      taps_m2(x, g.tap_x, w, kx1 - kx0, &a0, &a1, &a2, &a3);
      taps_m2(kOnes, 0, w, kx1 - kx0, &w0, &w1, &w2, &w3);
    } else {
      taps_mm(x, g.tap_x, w, kx1 - kx0, &a0, &a1, &a2, &a3);
      taps_mm(kOnes, 0, w, kx1 - kx0, &w0, &w1, &w2, &w3);
    }
  }
  const int32_t off = g.input_offset;
  general_store<L>(k.bias[0] + a0 + off * w0, k.bias[1] + a1 + off * w1,
                   k.bias[2] + a2 + off * w2, k.bias[3] + a3 + off * w3, k, g, out);
}

typedef void (*InsideFn)(const int8_t*, int32_t, int32_t, const GeneralBlock&,
                         const GeneralLayer&, int8_t*);
typedef void (*ClippedFn)(const int8_t*, int32_t, int32_t, int32_t, int32_t,
                          const GeneralBlock&, const GeneralLayer&, int8_t*);

// Every output pixel of the call for one block: in_c is the block's input channel (its
// first, multiplier 1), oc its first output channel.
void general_block_pixels(const DepthwiseConv2DS8Params& params, const int8_t* input,
                          int8_t* output, int32_t in_c, int32_t oc, const GeneralBlock& k,
                          const GeneralLayer& g, InsideFn inside, ClippedFn clipped) {
  const DepthwiseConv2DShape& s = params.shape;
  const int32_t in_row = s.input_width * s.input_channels;
  const int32_t out_c = s.input_channels * s.depth_multiplier;
  const int32_t out_row = s.output_width * out_c;
  // Output columns [ox_in, ox_end) have windows inside the input horizontally.
  const int32_t span_w = (s.filter_width - 1) * s.dilation_width;
  int32_t ox_in = (s.pad_left + s.stride_width - 1) / s.stride_width;
  const int32_t last = s.input_width - 1 - span_w + s.pad_left;  // the largest inside x0 + pad
  int32_t ox_end = last >= 0 ? last / s.stride_width + 1 : 0;
  if (ox_end > s.output_width) ox_end = s.output_width;
  if (ox_in > ox_end) ox_in = ox_end;
  const bool folded = params.folded_bias != nullptr;
  for (int32_t b = 0; b < s.batches; ++b) {
    const int8_t* in_batch = input + b * s.input_height * in_row + in_c;
    int8_t* out_batch = output + b * s.output_height * out_row + oc;
    for (int32_t oy = 0; oy < s.output_height; ++oy) {
      const int32_t y0 = oy * s.stride_height - s.pad_top;
      int32_t ky0, ky1;
      tap_range(y0, s.dilation_height, s.filter_height, s.input_height, &ky0, &ky1);
      const bool rows_inside = folded && ky0 == 0 && ky1 == s.filter_height && ox_end > ox_in;
      int8_t* out_y = out_batch + oy * out_row;
      const int32_t lo = rows_inside ? ox_in : s.output_width;
      const int32_t hi = rows_inside ? ox_end : s.output_width;
      if (rows_inside) {
        inside(in_batch + (y0 * s.input_width + ox_in * s.stride_width - s.pad_left) *
                              s.input_channels,
               ox_end - ox_in, s.filter_height, k, g, out_y + ox_in * out_c);
      }
      for (int32_t ox = 0; ox < s.output_width; ++ox) {
        if (ox == lo) {
          ox = hi - 1;
          continue;
        }
        const int32_t x0 = ox * s.stride_width - s.pad_left;
        int32_t kx0, kx1;
        tap_range(x0, s.dilation_width, s.filter_width, s.input_width, &kx0, &kx1);
        if (ky0 >= ky1 || kx0 >= kx1) {  // a window wholly in the padding: the bias alone
          clipped(in_batch, 0, 0, 0, 1, k, g, out_y + ox * out_c);
          continue;
        }
        clipped(in_batch + ((y0 + ky0 * s.dilation_height) * s.input_width + x0 +
                            kx0 * s.dilation_width) * s.input_channels,
                ky0, ky1, kx0, kx1, k, g, out_y + ox * out_c);
      }
    }
  }
}

// Whether depthwise_general takes the layer: not more taps than its table, and four
// channels to a word (multiplier 1) or at least two outputs per input channel.
bool general_fits(const DepthwiseConv2DShape& s) {
  if (s.filter_height * s.filter_width > kMaxTaps) return false;
  return s.depth_multiplier == 1 ? s.input_channels >= 4 : s.depth_multiplier >= 2;
}

void depthwise_general(const DepthwiseConv2DS8Params& params, const int8_t* input,
                       const int8_t* filter, const int32_t* bias, int8_t* output) {
  const DepthwiseConv2DShape& s = params.shape;
  const int32_t taps = s.filter_height * s.filter_width;
  const int32_t mult = s.depth_multiplier;
  const int32_t out_c = s.input_channels * mult;
  GeneralLayer g;
  g.tap_x = s.dilation_width * s.input_channels;
  g.tap_y = s.dilation_height * s.input_width * s.input_channels;
  g.taps_w = s.filter_width;
  g.in_step = s.stride_width * s.input_channels;
  g.out_step = out_c;
  g.off2 = (static_cast<uint32_t>(params.input_offset) << 16) |
           (static_cast<uint32_t>(params.input_offset) & 0xFFFFu);
  g.input_offset = params.input_offset;
  g.output_offset = params.output_offset;
  g.lo = params.activation_min;
  g.hi = params.activation_max;
  g.fast = params.fast_requant != 0;
  GeneralBlock k;
  if (mult == 1) {
    const int32_t channels = s.input_channels;
    for (int32_t c0 = 0; c0 < channels; c0 += 4) {
      const int32_t c = c0 + 4 <= channels ? c0 : channels - 4;  // the last block overlaps
      const int8_t* f = filter + c;
      for (int32_t t = 0; t < taps; ++t, f += channels) {
        const uint32_t fv = load_u32(f);
        k.w[t][0] = sxtb16(fv);
        k.w[t][1] = sxtb16_ror8(fv);
      }
      general_block_tables(params, bias, c, &k);
      general_block_pixels(params, input, output, c, c, k, g, general_inside<4, 1>,
                           general_clipped<4, 1>);
    }
    return;
  }
  if (mult == 2 && s.input_channels >= 2) {  // two input channels a block
    const int32_t channels = s.input_channels;
    for (int32_t c0 = 0; c0 < channels; c0 += 2) {
      const int32_t c = c0 + 2 <= channels ? c0 : channels - 2;  // the last block overlaps
      const int8_t* f = filter + 2 * c;
      for (int32_t t = 0; t < taps; ++t, f += out_c) {
        const uint32_t fv = load_u32(f);
        // {f0, f1} and {f2, f3} as halfword pairs: SXTB16 gives {f0, f2}, {f1, f3}.
        const uint32_t e = sxtb16(fv), o = sxtb16_ror8(fv);
        k.w[t][0] = (e & 0xFFFFu) | (o << 16);
        k.w[t][1] = (e >> 16) | (o & 0xFFFF0000u);
      }
      general_block_tables(params, bias, 2 * c, &k);
      general_block_pixels(params, input, output, c, 2 * c, k, g, general_inside<4, 2>,
                           general_clipped<4, 2>);
    }
    return;
  }
  // Multiplier > 1: lanes of four outputs of one input channel (fewer for multipliers 2, 3).
  const int32_t lanes = mult < 4 ? mult : 4;
  const InsideFn inside = lanes == 2   ? general_inside<2, 0>
                          : lanes == 3 ? general_inside<3, 0>
                                       : general_inside<4, 0>;
  const ClippedFn clipped = lanes == 2   ? general_clipped<2, 0>
                            : lanes == 3 ? general_clipped<3, 0>
                                         : general_clipped<4, 0>;
  for (int32_t ic = 0; ic < s.input_channels; ++ic) {
    for (int32_t m0 = 0; m0 < mult; m0 += lanes) {
      const int32_t m = m0 + lanes <= mult ? m0 : mult - lanes;  // the last lanes overlap
      const int32_t oc = ic * mult + m;
      const int8_t* f = filter + oc;
      for (int32_t t = 0; t < taps; ++t, f += out_c) {
        int32_t v[4] = {0, 0, 0, 0};
        for (int32_t i = 0; i < lanes; ++i) v[i] = f[i];
        k.w[t][0] = (static_cast<uint32_t>(v[0]) & 0xFFFFu) | (static_cast<uint32_t>(v[1]) << 16);
        k.w[t][1] = (static_cast<uint32_t>(v[2]) & 0xFFFFu) | (static_cast<uint32_t>(v[3]) << 16);
      }
      if (lanes == 4) {
        general_block_tables(params, bias, oc, &k);
      } else {  // the tables of the lanes there are (never reading past the layer's)
        for (int32_t i = 0; i < lanes; ++i) {
          k.mult[i] = params.output_multiplier[oc + i];
          k.shift[i] = params.output_shift[oc + i];
          k.q[i] = make_fast_requant(k.mult[i], k.shift[i], params.output_offset);
          k.bias[i] = bias != nullptr ? bias[oc + i] : 0;
          k.folded[i] = params.folded_bias != nullptr ? params.folded_bias[oc + i] : 0;
        }
        for (int32_t i = lanes; i < 4; ++i) k.bias[i] = k.folded[i] = 0;
      }
      general_block_pixels(params, input, output, ic, oc, k, g, inside, clipped);
    }
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
  if (general_fits(s)) {
    depthwise_general(params, input, filter, bias, output);
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
