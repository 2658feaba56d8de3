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
#include "utensor/kernels/arch.hpp"

#if UTENSOR_KERNELS_MVE

#include <arm_mve.h>
#include <stdint.h>

#include "utensor/kernels/conv2d.hpp"
#include "utensor/kernels/detail/kernel_util.hpp"

namespace utensor {
namespace kernels {
namespace {

using namespace detail;  // NOLINT: the kernels' shared helpers

// ---- im2col -----------------------------------------------------------------------
// A window is written as 16-byte chunks `pitch` bytes apart: pitch 16 is a contiguous
// window, pitch 64 the interleaved layout of a group of four pixels (chunk offsets must
// then be multiples of 16, i.e. runs start at multiples of 16).

// `len` bytes of `src` (a multiple of 16) to window offset k (a multiple of 16).
UTENSOR_HOT_INLINE void put_blocks(int8_t* dst, int32_t pitch, int32_t k, const int8_t* src,
                                   int32_t len) {
  int8_t* d = dst + (k >> 4) * pitch;
  for (; len > 0; len -= 16, src += 16, d += pitch) vstrbq_s8(d, vldrbq_s8(src));
}

UTENSOR_HOT_INLINE void fill_blocks(int8_t* dst, int32_t pitch, int32_t k, int8x16_t pad,
                                    int32_t len) {
  int8_t* d = dst + (k >> 4) * pitch;
  for (; len > 0; len -= 16, d += pitch) vstrbq_s8(d, pad);
}

// Any `len` bytes to any window offset k: contiguous (pitch 16), or a window that fits one
// chunk (k + len <= 16).
UTENSOR_HOT_INLINE void put_run(int8_t* dst, int32_t pitch, int32_t k, const int8_t* src,
                                int32_t len) {
  int8_t* d = dst + (k >> 4) * pitch + (k & 15);
  for (; len > 0; len -= 16, src += 16, d += 16) {
    const mve_pred16_t p = vctp8q(static_cast<uint32_t>(len));
    vstrbq_p_s8(d, vldrbq_z_s8(src, p), p);
  }
}

UTENSOR_HOT_INLINE void fill_run(int8_t* dst, int32_t pitch, int32_t k, int8x16_t pad,
                                 int32_t len) {
  int8_t* d = dst + (k >> 4) * pitch + (k & 15);
  for (; len > 0; len -= 16, d += 16) vstrbq_p_s8(d, pad, vctp8q(static_cast<uint32_t>(len)));
}

// The window of the output pixel whose window origin is (y0, x0) in `in_batch`, written
// with put/fill (blocks when every run is whole 16-byte chunks: C_IN % 16 == 0).
template <bool kBlocks>
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
      if (kBlocks) {
        fill_blocks(dst, pitch, k, pad, row);
      } else {
        fill_run(dst, pitch, k, pad, row);
      }
      continue;
    }
    const int8_t* src = in_batch + y * in_row;
    if (s.dilation_width == 1) {  // the taps inside the image are one run of input
      const int32_t before = kx_begin * depth;
      const int32_t inside = (kx_end - kx_begin) * depth;
      const int32_t after = row - before - inside;
      const int8_t* run = src + (x0 + kx_begin) * depth;
      if (kBlocks) {
        fill_blocks(dst, pitch, k, pad, before);
        put_blocks(dst, pitch, k + before, run, inside);
        fill_blocks(dst, pitch, k + before + inside, pad, after);
      } else {
        fill_run(dst, pitch, k, pad, before);
        put_run(dst, pitch, k + before, run, inside);
        fill_run(dst, pitch, k + before + inside, pad, after);
      }
      continue;
    }
    for (int32_t kx = 0; kx < s.filter_width; ++kx) {
      const int32_t x = x0 + kx * s.dilation_width;
      const int32_t kk = k + kx * depth;
      const bool in = kx >= kx_begin && kx < kx_end;
      if (kBlocks) {
        if (in) {
          put_blocks(dst, pitch, kk, src + x * depth, depth);
        } else {
          fill_blocks(dst, pitch, kk, pad, depth);
        }
      } else if (in) {
        put_run(dst, pitch, kk, src + x * depth, depth);
      } else {
        fill_run(dst, pitch, kk, pad, depth);
      }
    }
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

// ---- multiply-accumulate ------------------------------------------------------------
// One step: the weights of both channels, then each pixel's 16 bytes against both.
#define UTENSOR_MVE_STEP_4X2(OP)       \
  "vldrb.8 q0, [%[w0]], #16\n\t"       \
  "vldrb.8 q1, [%[w1]], #16\n\t"       \
  "vldrb.8 q2, [%[x]], #16\n\t"        \
  OP " %[a0], q2, q0\n\t"              \
  OP " %[b0], q2, q1\n\t"              \
  "vldrb.8 q3, [%[x]], #16\n\t"        \
  OP " %[a1], q3, q0\n\t"              \
  OP " %[b1], q3, q1\n\t"              \
  "vldrb.8 q2, [%[x]], #16\n\t"        \
  OP " %[a2], q2, q0\n\t"              \
  OP " %[b2], q2, q1\n\t"              \
  "vldrb.8 q3, [%[x]], #16\n\t"        \
  OP " %[a3], q3, q0\n\t"              \
  OP " %[b3], q3, q1\n\t"

// Accumulators of a 4-pixel x 2-channel pass: a* channel 0, b* channel 1, pixels 0..3.
struct Acc4x2 {
  int32_t a0, a1, a2, a3, b0, b1, b2, b3;
};

// The window products of the interleaved windows at `x` with weight rows w0 and w1:
// `whole` full 16-byte steps, then (kTail) one step whose weights are masked by `tail`.
// Assembly: VMLADAVA needs even accumulator registers, and GCC 12 spills a loop of this
// many live values written with intrinsics.
template <bool kTail>
UTENSOR_HOT_INLINE Acc4x2 mac_4x2(const int8_t* x, const int8_t* w0, const int8_t* w1,
                                  int32_t whole, mve_pred16_t tail) {
  Acc4x2 r;
  if (!kTail || whole > 0) {
    // The first step sets the accumulators; the rest run two steps per loop pass (an odd
    // count first does one; LSRS leaves the pair count's zero flag for the BEQ).
    int32_t n = whole - 1;
    __asm__ volatile(
        UTENSOR_MVE_STEP_4X2("vmladav.s8")
        "lsrs %[n], %[n], #1\n\t"
        "bcc 3f\n\t"
        UTENSOR_MVE_STEP_4X2("vmladava.s8")
        "3:\n\t"
        "beq 2f\n\t"
        "1:\n\t"
        UTENSOR_MVE_STEP_4X2("vmladava.s8")
        UTENSOR_MVE_STEP_4X2("vmladava.s8")
        "subs %[n], %[n], #1\n\t"
        "bne 1b\n\t"
        "2:\n\t"
        : [a0] "=&Te"(r.a0), [a1] "=&Te"(r.a1), [a2] "=&Te"(r.a2), [a3] "=&Te"(r.a3),
          [b0] "=&Te"(r.b0), [b1] "=&Te"(r.b1), [b2] "=&Te"(r.b2), [b3] "=&Te"(r.b3),
          [x] "+r"(x), [w0] "+r"(w0), [w1] "+r"(w1), [n] "+r"(n)
        :
        : "q0", "q1", "q2", "q3", "cc", "memory");
    if (!kTail) return r;
  }
  const int8x16_t v0 = vldrbq_z_s8(w0, tail);
  const int8x16_t v1 = vldrbq_z_s8(w1, tail);
  if (whole > 0) {
    __asm__ volatile(
        "vldrb.8 q2, [%[x]], #16\n\t"
        "vmladava.s8 %[a0], q2, %q[v0]\n\t"
        "vmladava.s8 %[b0], q2, %q[v1]\n\t"
        "vldrb.8 q3, [%[x]], #16\n\t"
        "vmladava.s8 %[a1], q3, %q[v0]\n\t"
        "vmladava.s8 %[b1], q3, %q[v1]\n\t"
        "vldrb.8 q2, [%[x]], #16\n\t"
        "vmladava.s8 %[a2], q2, %q[v0]\n\t"
        "vmladava.s8 %[b2], q2, %q[v1]\n\t"
        "vldrb.8 q3, [%[x]]\n\t"
        "vmladava.s8 %[a3], q3, %q[v0]\n\t"
        "vmladava.s8 %[b3], q3, %q[v1]\n\t"
        : [a0] "+Te"(r.a0), [a1] "+Te"(r.a1), [a2] "+Te"(r.a2), [a3] "+Te"(r.a3),
          [b0] "+Te"(r.b0), [b1] "+Te"(r.b1), [b2] "+Te"(r.b2), [b3] "+Te"(r.b3),
          [x] "+r"(x)
        : [v0] "w"(v0), [v1] "w"(v1)
        : "q2", "q3", "memory");
  } else {
    __asm__ volatile(
        "vldrb.8 q2, [%[x]], #16\n\t"
        "vmladav.s8 %[a0], q2, %q[v0]\n\t"
        "vmladav.s8 %[b0], q2, %q[v1]\n\t"
        "vldrb.8 q3, [%[x]], #16\n\t"
        "vmladav.s8 %[a1], q3, %q[v0]\n\t"
        "vmladav.s8 %[b1], q3, %q[v1]\n\t"
        "vldrb.8 q2, [%[x]], #16\n\t"
        "vmladav.s8 %[a2], q2, %q[v0]\n\t"
        "vmladav.s8 %[b2], q2, %q[v1]\n\t"
        "vldrb.8 q3, [%[x]]\n\t"
        "vmladav.s8 %[a3], q3, %q[v0]\n\t"
        "vmladav.s8 %[b3], q3, %q[v1]\n\t"
        : [a0] "=&Te"(r.a0), [a1] "=&Te"(r.a1), [a2] "=&Te"(r.a2), [a3] "=&Te"(r.a3),
          [b0] "=&Te"(r.b0), [b1] "=&Te"(r.b1), [b2] "=&Te"(r.b2), [b3] "=&Te"(r.b3),
          [x] "+r"(x)
        : [v0] "w"(v0), [v1] "w"(v1)
        : "q2", "q3", "memory");
  }
  return r;
}

// {a, b, c, d} as one vector: two VMOVs of two lanes each (GCC 12 uses four).
UTENSOR_HOT_INLINE int32x4_t lanes(int32_t a, int32_t b, int32_t c, int32_t d) {
  int32x4_t v;
  __asm__("vmov %q[v][2], %q[v][0], %[a], %[c]\n\t"
          "vmov %q[v][3], %q[v][1], %[b], %[d]\n\t"
          : [v] "=&w"(v)
          : [a] "r"(a), [b] "r"(b), [c] "r"(c), [d] "r"(d));
  return v;
}

// The per-call constants of the 4 x 2 pass.
struct Pass {
  const int32_t* bias;  // folded_bias
  const int32_t* mult;
  const int32_t* shift;
  int32_t window;  // KH * KW * C_IN: weight row length
  int32_t whole;   // window / 16
  mve_pred16_t tail;
  bool right_only;  // every shift <= -1
  bool full_range;  // activation range [-128, 127]: the clamp is a saturating narrowing
  int16_t zero_point, lo, hi;
  uint16x8_t offsets;  // 16-bit lane 2 i + c -> pixel i, channel c
};

// Output channels oc and oc + 1 (weights w0, w1; `pred` masks the lanes to store) of the
// four interleaved windows at `x`, into `out` (the first pixel's channel oc).
template <bool kTail>
UTENSOR_HOT_INLINE void pass_4x2(const Pass& k, const int8_t* x, const int8_t* w0,
                                 const int8_t* w1, int32_t oc, int32_t oc1, int8_t* out,
                                 mve_pred16_t pred) {
  const Acc4x2 r = mac_4x2<kTail>(x, w0, w1, k.whole, k.tail);
  int32x4_t va = vaddq_n_s32(lanes(r.a0, r.a1, r.a2, r.a3), k.bias[oc]);
  int32x4_t vb = vaddq_n_s32(lanes(r.b0, r.b1, r.b2, r.b3), k.bias[oc1]);
  if (k.right_only) {
    va = mve_multiply_by_multiplier_right(va, k.mult[oc], k.shift[oc]);
    vb = mve_multiply_by_multiplier_right(vb, k.mult[oc1], k.shift[oc1]);
  } else {
    va = mve_multiply_by_multiplier(va, k.mult[oc], k.shift[oc]);
    vb = mve_multiply_by_multiplier(vb, k.mult[oc1], k.shift[oc1]);
  }
  // Saturating to int16 before the zero point and the clamp keeps every int8 result.
  int16x8_t h = vqaddq_n_s16(vqmovntq_s32(vqmovnbq_s32(vreinterpretq_s16_s32(va), va), vb),
                             k.zero_point);
  if (k.full_range) {  // int8 saturation into the low byte of each lane, the byte stored
    h = vreinterpretq_s16_s8(vqmovnbq_s16(vreinterpretq_s8_s16(h), h));
  } else {
    h = vminq_s16(vmaxq_s16(h, vdupq_n_s16(k.lo)), vdupq_n_s16(k.hi));
  }
  vstrbq_scatter_offset_p_s16(out, k.offsets, h, pred);
}

template <bool kTail>
void channels_4x2(const Pass& k, const int8_t* x, const int8_t* filter, int32_t out_c,
                  int8_t* out, mve_pred16_t pred) {
  const int8_t* w = filter;
  int32_t oc = 0;
  for (; oc + 2 <= out_c; oc += 2, w += 2 * k.window) {
    pass_4x2<kTail>(k, x, w, w + k.window, oc, oc + 1, out + oc, pred);
  }
  if (oc < out_c) {  // an odd last channel, paired with itself; only lanes 2 i stored
    pass_4x2<kTail>(k, x, w, w, oc, oc, out + oc,
                    static_cast<mve_pred16_t>(pred & 0x3333));
  }
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
                                   vldrwq_z_s32(params.output_shift + oc, keep));
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

}  // namespace

void conv2d_s8_gemm(const Conv2DS8Params& params, const int8_t* input, const int8_t* filter,
                    const int32_t* bias, int8_t* output, int8_t* scratch) {
  (void)bias;  // folded_bias holds it
  const Conv2DShape& s = params.shape;
  const int32_t depth = s.input_channels;
  const int32_t window = s.filter_height * s.filter_width * depth;
  const int32_t padded = (window + 15) & ~15;
  const int32_t out_c = s.output_channels;
  const int32_t pixels = s.batches * s.output_height * s.output_width;
  const int32_t in_image = s.input_height * s.input_width * depth;
  const bool pointwise = is_pointwise(s);
  // Runs of whole chunks: written straight into the interleaved layout; otherwise each
  // window is gathered contiguously after the four and then interleaved (unless it is a
  // single chunk, which is both layouts at once).
  const bool blocks = depth % 16 == 0;
  const bool direct = blocks || padded == 16;
  int8_t* const flat = scratch + 4 * padded;
  const int8x16_t pad = vdupq_n_s8(static_cast<int8_t>(-params.input_offset));

  Pass k;
  k.bias = params.folded_bias;
  k.mult = params.output_multiplier;
  k.shift = params.output_shift;
  k.window = window;
  k.whole = window >> 4;
  k.tail = vctp8q(static_cast<uint32_t>(window & 15));
  k.right_only = params.right_shifts_only != 0;
  k.full_range = params.activation_min == -128 && params.activation_max == 127;
  k.zero_point = static_cast<int16_t>(params.output_offset);
  k.lo = static_cast<int16_t>(params.activation_min);
  k.hi = static_cast<int16_t>(params.activation_max);
  const uint16x8_t lane = vidupq_n_u16(0, 1);
  k.offsets = vaddq_u16(vmulq_n_u16(vshrq_n_u16(lane, 1), static_cast<uint16_t>(out_c)),
                        vandq_u16(lane, vdupq_n_u16(1)));

  Cursor at = {0, 0, 0};
  int32_t px = 0;
  for (; pixels - px >= 3; px += 4) {
    const int32_t n = pixels - px < 4 ? pixels - px : 4;
    for (int32_t j = 0; j < n; ++j, at.next(s)) {
      int8_t* dst = scratch + 16 * j;
      if (pointwise) {
        const int8_t* src = input + (px + j) * depth;
        if (blocks) {
          put_blocks(dst, 64, 0, src, depth);
        } else if (direct) {
          put_run(dst, 64, 0, src, depth);
        } else {
          put_run(flat, 16, 0, src, depth);
        }
      } else {
        const int8_t* in_batch = input + at.b * in_image;
        const int32_t y0 = at.oy * s.stride_height - s.pad_top;
        const int32_t x0 = at.ox * s.stride_width - s.pad_left;
        if (blocks) {
          gather<true>(s, in_batch, y0, x0, pad, dst, 64);
        } else {
          gather<false>(s, in_batch, y0, x0, pad, direct ? dst : flat, direct ? 64 : 16);
        }
      }
      if (!direct) {  // interleave the contiguous window
        for (int32_t t = 0; t < padded; t += 16) vstrbq_s8(dst + 4 * t, vldrbq_s8(flat + t));
      }
    }
    int8_t* out = output + px * out_c;
    const mve_pred16_t pred = vctp16q(static_cast<uint32_t>(2 * n));
    if (window & 15) {
      channels_4x2<true>(k, scratch, filter, out_c, out, pred);
    } else {
      channels_4x2<false>(k, scratch, filter, out_c, out, pred);
    }
  }
  for (; px < pixels; ++px, at.next(s)) {
    const int8_t* x = scratch;
    if (pointwise && blocks) {
      x = input + px * depth;
    } else if (pointwise) {
      put_run(scratch, 16, 0, input + px * depth, depth);
    } else {
      const int8_t* in_batch = input + at.b * in_image;
      const int32_t y0 = at.oy * s.stride_height - s.pad_top;
      const int32_t x0 = at.ox * s.stride_width - s.pad_left;
      if (blocks) {
        gather<true>(s, in_batch, y0, x0, pad, scratch, 16);
      } else {
        gather<false>(s, in_batch, y0, x0, pad, scratch, 16);
      }
    }
    channels_1x4(params, x, filter, window, output + px * out_c);
  }
}

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_MVE
