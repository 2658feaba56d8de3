// 16x8 FULLY_CONNECTED, CONV_2D and DEPTHWISE_CONV_2D (int16 activations, int8 weights)
// for cores with the DSP extension (M4, M7, M33). int16 is what SMLAD multiplies: two
// input halfwords repacked once (PKHBT/PKHTB, shared by every row of a block) against
// four weights widened by SXTB16, two products per instruction.
// TFLite sums in int64. Where the converter proved every sum fits int32 (params.acc32)
// the products go through SMLAD/SMLABB into int32 and are widened once; elsewhere SMLALD
// sums two products into 64 bits in one instruction. Either way the integer sum is
// TFLite's, the bias and requantization are the reference's (detail/s16_requant.hpp),
// hence the same bytes. conv2d_s16_acc32 wraps in int32 like TFLite Micro (and SMLAD).
#include "utensor/kernels/arch.hpp"

#if UTENSOR_KERNELS_DSP && !UTENSOR_KERNELS_MVE  // else s16_weighted_mve.cpp

#include <string.h>

#include "utensor/kernels/conv2d.hpp"
#include "utensor/kernels/depthwise_conv2d.hpp"
#include "utensor/kernels/detail/kernel_util.hpp"
#include "utensor/kernels/detail/s16_requant.hpp"
#include "utensor/kernels/detail/s16_weighted_util.hpp"
#include "utensor/kernels/fixedpoint.hpp"
#include "utensor/kernels/fully_connected.hpp"

namespace utensor {
namespace kernels {

namespace {

UTENSOR_HOT_INLINE uint32_t load_pair(const int16_t* p) {
  uint32_t v;
  memcpy(&v, p, sizeof v);  // one LDR: these cores allow unaligned word loads
  return v;
}

// Halfwords 0 of a and b (PKHBT), halfwords 1 of a and b (PKHTB): GCC spells the C forms
// of these with three to four instructions.
UTENSOR_HOT_INLINE uint32_t pack_low(uint32_t a, uint32_t b) {
  uint32_t r;
  __asm__("pkhbt %0, %1, %2, lsl #16" : "=r"(r) : "r"(a), "r"(b));
  return r;
}
UTENSOR_HOT_INLINE uint32_t pack_high(uint32_t a, uint32_t b) {
  uint32_t r;
  __asm__("pkhtb %0, %2, %1, asr #16" : "=r"(r) : "r"(a), "r"(b));
  return r;
}

UTENSOR_HOT_INLINE int64_t smlald(uint32_t a, uint32_t b, int64_t acc) {
  __asm__("smlald %Q0, %R0, %1, %2" : "+r"(acc) : "r"(a), "r"(b));
  return acc;
}
UTENSOR_HOT_INLINE int32_t smlatb(uint32_t a, uint32_t b, int32_t acc) {
  int32_t r;
  __asm__("smlatb %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(acc));
  return r;
}
UTENSOR_HOT_INLINE int32_t smlabt(uint32_t a, uint32_t b, int32_t acc) {
  int32_t r;
  __asm__("smlabt %0, %1, %2, %3" : "=r"(r) : "r"(a), "r"(b), "r"(acc));
  return r;
}

// Sums in int32 (wrapping, as SMLAD does: exact whenever the true sum fits).
struct Acc32 {
  typedef int32_t T;
  enum { kRows = 2 };
  static T mac2(T acc, uint32_t x, uint32_t w) { return detail::smlad(x, w, acc); }
  static T mac1(T acc, int32_t p) {
    return static_cast<int32_t>(static_cast<uint32_t>(acc) + static_cast<uint32_t>(p));
  }
};
// Sums in int64 (SMLALD); two rows per pass leave registers for the pointers.
struct Acc64 {
  typedef int64_t T;
  enum { kRows = 2 };
  static T mac2(T acc, uint32_t x, uint32_t w) { return smlald(x, w, acc); }
  static T mac1(T acc, int32_t p) { return acc + p; }
};

// acc[r] += sum_d x[d] * w[r][d] for R rows of n weights each.
template <class A, int R>
UTENSOR_HOT_INLINE void dot_rows(const int16_t* x, const int8_t* const* w, int32_t n,
                                 typename A::T* acc);

// Two rows in int32, 4 inputs per pass: 16 instructions per 8 multiply-accumulates. In
// assembly because GCC spills the accumulators of the C form to the stack.
template <>
UTENSOR_HOT_INLINE void dot_rows<Acc32, 2>(const int16_t* x, const int8_t* const* w, int32_t n,
                                           int32_t* acc) {
  const int8_t* w1p = w[1];
  if (n >= 4) {
    UTENSOR_ASM_REG(const int16_t*, xp, "r0") = x;
    UTENSOR_ASM_REG(const int8_t*, w0, "r1") = w[0];
    UTENSOR_ASM_REG(const int8_t*, w1, "r2") = w1p;
    UTENSOR_ASM_REG(int32_t, a0, "r3") = acc[0];
    UTENSOR_ASM_REG(int32_t, a1, "r4") = acc[1];
    UTENSOR_ASM_REG(int32_t, k, "r5") = n >> 2;
    UTENSOR_ASM_REG(uint32_t, t0, "r6");
    UTENSOR_ASM_REG(uint32_t, t1, "r8");
    UTENSOR_ASM_REG(uint32_t, xa, "r9");
    UTENSOR_ASM_REG(uint32_t, xb, "r10");
    __asm__ volatile(
        "1:\n\t"
        "ldr     %[t0], [%[x]], #4\n\t"
        "ldr     %[t1], [%[x]], #4\n\t"
        "pkhbt   %[xa], %[t0], %[t1], lsl #16\n\t"
        "pkhtb   %[xb], %[t1], %[t0], asr #16\n\t"
        "ldr     %[t0], [%[w0]], #4\n\t"
        "sxtb16  %[t1], %[t0]\n\t"
        "sxtb16  %[t0], %[t0], ror #8\n\t"
        "smlad   %[a0], %[xa], %[t1], %[a0]\n\t"
        "smlad   %[a0], %[xb], %[t0], %[a0]\n\t"
        "ldr     %[t0], [%[w1]], #4\n\t"
        "sxtb16  %[t1], %[t0]\n\t"
        "sxtb16  %[t0], %[t0], ror #8\n\t"
        "smlad   %[a1], %[xa], %[t1], %[a1]\n\t"
        "smlad   %[a1], %[xb], %[t0], %[a1]\n\t"
        "subs    %[k], %[k], #1\n\t"
        "bne     1b\n\t"
        : [x] "+r"(xp), [w0] "+r"(w0), [w1] "+r"(w1), [a0] "+r"(a0), [a1] "+r"(a1), [k] "+r"(k),
          [t0] "=&r"(t0), [t1] "=&r"(t1), [xa] "=&r"(xa), [xb] "=&r"(xb)
        :
        : "cc", "memory");
    x = xp;
    acc[0] = a0;
    acc[1] = a1;
    w1p = w1;
    const int8_t* w0p = w0;
    for (int32_t k2 = n & 3; k2 > 0; --k2) {
      const int32_t xv = *x++;
      acc[0] = Acc32::mac1(acc[0], xv * *w0p++);
      acc[1] = Acc32::mac1(acc[1], xv * *w1p++);
    }
    return;
  }
  const int8_t* w0p = w[0];
  for (int32_t k2 = n; k2 > 0; --k2) {
    const int32_t xv = *x++;
    acc[0] = Acc32::mac1(acc[0], xv * *w0p++);
    acc[1] = Acc32::mac1(acc[1], xv * *w1p++);
  }
}

template <class A, int R>
UTENSOR_HOT_INLINE void dot_rows(const int16_t* x, const int8_t* const* w, int32_t n,
                                 typename A::T* acc) {
  const int8_t* wr[R];
  typename A::T a[R];
  UTENSOR_S16_UNROLL for (int r = 0; r < R; ++r) {
    wr[r] = w[r];
    a[r] = acc[r];
  }
  for (int32_t k = n >> 2; k > 0; --k) {
    const uint32_t x01 = load_pair(x);
    const uint32_t x23 = load_pair(x + 2);
    x += 4;
    // SXTB16 pairs weights 0,2 and 1,3: pair the inputs the same way.
    const uint32_t x02 = pack_low(x01, x23);
    const uint32_t x13 = pack_high(x01, x23);
    UTENSOR_S16_UNROLL for (int r = 0; r < R; ++r) {
      const uint32_t wv = detail::load_u32(wr[r]);
      wr[r] += 4;
      a[r] = A::mac2(a[r], x02, detail::sxtb16(wv));
      a[r] = A::mac2(a[r], x13, detail::sxtb16_ror8(wv));
    }
  }
  for (int32_t k = n & 3; k > 0; --k) {
    const int32_t xv = *x++;
    UTENSOR_S16_UNROLL for (int r = 0; r < R; ++r) a[r] = A::mac1(a[r], xv * *wr[r]++);
  }
  UTENSOR_S16_UNROLL for (int r = 0; r < R; ++r) acc[r] = a[r];
}

// dot_rows in the shape detail::s16_conv takes.
template <class A>
struct DspDot {
  typedef typename A::T T;
  template <int R>
  static UTENSOR_HOT_INLINE void run(const int16_t* x, const int8_t* const* w, int32_t n, T* acc) {
    dot_rows<A, R>(x, w, n, acc);
  }
};

template <class A>
void fc_s16(const FullyConnectedS16Params& params, const int16_t* input, const int8_t* filter,
            const int64_t* bias, int16_t* output) {
  const int32_t depth = params.shape.accum_depth;
  const int32_t out_depth = params.shape.output_depth;
  const int32_t lo = params.activation_min, hi = params.activation_max;
  enum { R = A::kRows };
  for (int32_t b = 0; b < params.shape.batches; ++b) {
    const int16_t* x = input + b * depth;
    int16_t* out = output + b * out_depth;
    int32_t o = 0;
    for (; o + R <= out_depth; o += R) {
      const int8_t* w[R];
      typename A::T acc[R];
      UTENSOR_S16_UNROLL for (int r = 0; r < R; ++r) {
        w[r] = filter + (o + r) * depth;
        acc[r] = 0;
      }
      dot_rows<A, R>(x, w, depth, acc);
      UTENSOR_S16_UNROLL for (int r = 0; r < R; ++r) {
        const int32_t c = params.per_channel ? o + r : 0;
        out[o + r] = detail::s16_finish64(acc[r], bias, o + r, params.output_multiplier[c],
                              params.output_shift[c], lo, hi);
      }
    }
    for (; o < out_depth; ++o) {
      const int8_t* w[1] = {filter + o * depth};
      typename A::T acc[1] = {0};
      dot_rows<A, 1>(x, w, depth, acc);
      const int32_t c = params.per_channel ? o : 0;
      out[o] = detail::s16_finish64(acc[0], bias, o, params.output_multiplier[c], params.output_shift[c], lo, hi);
    }
  }
}

UTENSOR_HOT_INLINE int16_t dw_finish(const DepthwiseConv2DS16Params& p, int32_t acc,
                                     const int64_t* bias, int32_t oc) {
  return detail::s16_finish64(acc, bias, oc, p.output_multiplier[oc], p.output_shift[oc], p.activation_min,
                  p.activation_max);
}

}  // namespace

void fully_connected_s16(const FullyConnectedS16Params& params, const int16_t* input,
                         const int8_t* filter, const int64_t* bias, int16_t* output) {
  if (params.acc32) {
    fc_s16<Acc32>(params, input, filter, bias, output);
  } else {
    fc_s16<Acc64>(params, input, filter, bias, output);
  }
}

void conv2d_s16(const Conv2DS16Params& params, const int16_t* input, const int8_t* filter,
                const int64_t* bias, int16_t* output) {
  if (params.acc32) {
    detail::s16_conv<DspDot<Acc32>, Acc32::kRows>(params, input, filter, bias, output);
  } else {
    detail::s16_conv<DspDot<Acc64>, Acc64::kRows>(params, input, filter, bias, output);
  }
}

void conv2d_s16_acc32(const Conv2DS16Params& params, const int16_t* input, const int8_t* filter,
                      const int32_t* bias, int16_t* output) {
  detail::s16_conv<DspDot<Acc32>, Acc32::kRows>(params, input, filter, bias, output);
}

void depthwise_conv2d_s16(const DepthwiseConv2DS16Params& params, const int16_t* input,
                          const int8_t* filter, const int64_t* bias, int16_t* output) {
  if (!params.acc32) {
    detail::depthwise_conv2d_s16_wide(params, input, filter, bias, output);
    return;
  }
  const DepthwiseConv2DShape& s = params.shape;
  const int32_t in_c = s.input_channels;
  const int32_t mult = s.depth_multiplier;
  const int32_t out_c = in_c * mult;
  const int32_t row_step = s.dilation_height * s.input_width * in_c;
  const int32_t tap_step = s.dilation_width * in_c;
  for (int32_t n = 0; n < s.batches; ++n) {
    for (int32_t oy = 0; oy < s.output_height; ++oy) {
      const int32_t y0 = oy * s.stride_height - s.pad_top;
      int32_t ky0, ky1;
      detail::s16_tap_range(y0, s.filter_height, s.dilation_height, s.input_height, &ky0, &ky1);
      for (int32_t ox = 0; ox < s.output_width; ++ox) {
        const int32_t x0 = ox * s.stride_width - s.pad_left;
        int32_t kx0, kx1;
        detail::s16_tap_range(x0, s.filter_width, s.dilation_width, s.input_width, &kx0, &kx1);
        int16_t* out = output + ((n * s.output_height + oy) * s.output_width + ox) * out_c;
        // An integer offset: the window's origin may lie outside the image.
        const int32_t in_px = ((n * s.input_height + y0) * s.input_width + x0) * in_c;
        if (mult == 1) {
          int32_t c = 0;
          // Four channels per pass: SMLAxy picks each channel's halfwords, no repacking.
          for (; c + 4 <= in_c; c += 4) {
            int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
            for (int32_t ky = ky0; ky < ky1; ++ky) {
              const int16_t* xp = input + (in_px + ky * row_step + kx0 * tap_step + c);
              const int8_t* wp = filter + (ky * s.filter_width + kx0) * out_c + c;
              for (int32_t kx = kx0; kx < kx1; ++kx) {
                const uint32_t x01 = load_pair(xp), x23 = load_pair(xp + 2);
                const uint32_t wv = detail::load_u32(wp);
                const uint32_t w02 = detail::sxtb16(wv), w13 = detail::sxtb16_ror8(wv);
                a0 = detail::smlabb(x01, w02, a0);
                a1 = smlatb(x01, w13, a1);
                a2 = smlabt(x23, w02, a2);
                a3 = detail::smlatt(x23, w13, a3);
                xp += tap_step;
                wp += out_c;
              }
            }
            out[c] = dw_finish(params, a0, bias, c);
            out[c + 1] = dw_finish(params, a1, bias, c + 1);
            out[c + 2] = dw_finish(params, a2, bias, c + 2);
            out[c + 3] = dw_finish(params, a3, bias, c + 3);
          }
          for (; c < in_c; ++c) {
            int32_t a = 0;
            for (int32_t ky = ky0; ky < ky1; ++ky) {
              const int16_t* xp = input + (in_px + ky * row_step + kx0 * tap_step + c);
              const int8_t* wp = filter + (ky * s.filter_width + kx0) * out_c + c;
              for (int32_t kx = kx0; kx < kx1; ++kx, xp += tap_step, wp += out_c) a += *xp * *wp;
            }
            out[c] = dw_finish(params, a, bias, c);
          }
          continue;
        }
        // Depth multiplier > 1: one input value against four consecutive output channels.
        for (int32_t ic = 0; ic < in_c; ++ic) {
          int32_t m = 0;
          const int32_t oc0 = ic * mult;
          for (; m + 4 <= mult; m += 4) {
            int32_t a0 = 0, a1 = 0, a2 = 0, a3 = 0;
            for (int32_t ky = ky0; ky < ky1; ++ky) {
              const int16_t* xp = input + (in_px + ky * row_step + kx0 * tap_step + ic);
              const int8_t* wp = filter + (ky * s.filter_width + kx0) * out_c + oc0 + m;
              for (int32_t kx = kx0; kx < kx1; ++kx) {
                const uint32_t xv = static_cast<uint16_t>(*xp);
                const uint32_t wv = detail::load_u32(wp);
                const uint32_t w02 = detail::sxtb16(wv), w13 = detail::sxtb16_ror8(wv);
                a0 = detail::smlabb(xv, w02, a0);
                a1 = detail::smlabb(xv, w13, a1);
                a2 = smlabt(xv, w02, a2);
                a3 = smlabt(xv, w13, a3);
                xp += tap_step;
                wp += out_c;
              }
            }
            out[oc0 + m] = dw_finish(params, a0, bias, oc0 + m);
            out[oc0 + m + 1] = dw_finish(params, a1, bias, oc0 + m + 1);
            out[oc0 + m + 2] = dw_finish(params, a2, bias, oc0 + m + 2);
            out[oc0 + m + 3] = dw_finish(params, a3, bias, oc0 + m + 3);
          }
          for (; m < mult; ++m) {
            int32_t a = 0;
            for (int32_t ky = ky0; ky < ky1; ++ky) {
              const int16_t* xp = input + (in_px + ky * row_step + kx0 * tap_step + ic);
              const int8_t* wp = filter + (ky * s.filter_width + kx0) * out_c + oc0 + m;
              for (int32_t kx = kx0; kx < kx1; ++kx, xp += tap_step, wp += out_c) a += *xp * *wp;
            }
            out[oc0 + m] = dw_finish(params, a, bias, oc0 + m);
          }
        }
      }
    }
  }
}

}  // namespace kernels
}  // namespace utensor

#undef UTENSOR_S16_UNROLL

#endif  // UTENSOR_KERNELS_DSP && !UTENSOR_KERNELS_MVE
