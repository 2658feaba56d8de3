// int8 FULLY_CONNECTED for cores with the DSP extension: four multiply-accumulates per
// pair of SMLAD, two output rows per pass so each input word is loaded and widened once.
// Same contract and the same integers as the reference kernel (the sum of products is
// exact in int32 whatever the order), hence the same bytes.
#include "utensor/kernels/arch.hpp"

#if UTENSOR_KERNELS_DSP && !UTENSOR_KERNELS_MVE  // else fully_connected_mve.cpp

#include <arm_acle.h>
#include <string.h>

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

// Bytes 1 and 3 sign-extended to halfwords (plus `a` for the SXTAB16 form). Inline
// assembly because GCC does not fold a rotate into the instruction's ROR #8 operand.
inline int32_t sxtb16_ror8(uint32_t v) {
  int32_t r;
  __asm__("sxtb16 %0, %1, ror #8" : "=r"(r) : "r"(v));
  return r;
}

inline int32_t sxtab16_ror8(int32_t a, uint32_t v) {
  int32_t r;
  __asm__("sxtab16 %0, %1, %2, ror #8" : "=r"(r) : "r"(a), "r"(v));
  return r;
}

// acc0 += sum w0[d] * (x[d] + offset), acc1 likewise with w1, over 4 * words bytes.
// The loop is written in assembly: 15 instructions per 8 multiply-accumulates with
// post-incremented (possibly unaligned) loads, whatever the optimization level; GCC's -Os
// code for the same loop spilled to the stack and re-tested the bound at the top.
inline void dot2(const int8_t* x, const int8_t* w0, const int8_t* w1, int32_t words,
                 int32_t offset2, int32_t* acc0_io, int32_t* acc1_io) {
  if (words <= 0) return;
  int32_t acc0 = *acc0_io;
  int32_t acc1 = *acc1_io;
  uint32_t t0, t1, t2, t3;
  __asm__ volatile(
      "1:\n\t"
      "ldr     %[t0], [%[x]], #4\n\t"
      "ldr     %[t1], [%[w0]], #4\n\t"
      "sxtab16 %[t2], %[off], %[t0]\n\t"
      "sxtab16 %[t0], %[off], %[t0], ror #8\n\t"
      "sxtb16  %[t3], %[t1]\n\t"
      "sxtb16  %[t1], %[t1], ror #8\n\t"
      "smlad   %[a0], %[t3], %[t2], %[a0]\n\t"
      "smlad   %[a0], %[t1], %[t0], %[a0]\n\t"
      "ldr     %[t1], [%[w1]], #4\n\t"
      "sxtb16  %[t3], %[t1]\n\t"
      "sxtb16  %[t1], %[t1], ror #8\n\t"
      "smlad   %[a1], %[t3], %[t2], %[a1]\n\t"
      "smlad   %[a1], %[t1], %[t0], %[a1]\n\t"
      "subs    %[n], %[n], #1\n\t"
      "bne     1b\n\t"
      : [x] "+r"(x), [w0] "+r"(w0), [w1] "+r"(w1), [n] "+r"(words), [a0] "+r"(acc0),
        [a1] "+r"(acc1), [t0] "=&r"(t0), [t1] "=&r"(t1), [t2] "=&r"(t2), [t3] "=&r"(t3)
      : [off] "r"(offset2)
      : "cc", "memory");
  *acc0_io = acc0;
  *acc1_io = acc1;
}

inline int8_t requantize(const FullyConnectedS8Params& p, int32_t acc, int32_t o) {
  const int ch = p.per_channel ? o : 0;
  const int32_t v =
      MultiplyByQuantizedMultiplier(acc, p.output_multiplier[ch], p.output_shift[ch]) +
      p.output_offset;
  return static_cast<int8_t>(ClampI32(v, p.activation_min, p.activation_max));
}

}  // namespace

void fully_connected_s8(const FullyConnectedS8Params& params, const int8_t* input,
                        const int8_t* filter, const int32_t* bias, int8_t* output) {
  const int32_t depth = params.shape.accum_depth;
  const int32_t out_depth = params.shape.output_depth;
  const int32_t offset = params.input_offset;
  // The input offset in both 16-bit halves: SXTAB16 adds it while widening the bytes.
  const int32_t offset2 = static_cast<int32_t>((static_cast<uint32_t>(offset) << 16) |
                                               (static_cast<uint32_t>(offset) & 0xFFFFu));
  const int32_t depth4 = depth & ~3;
  for (int32_t b = 0; b < params.shape.batches; ++b) {
    const int8_t* x = input + b * depth;
    int8_t* out = output + b * out_depth;
    int32_t o = 0;
    for (; o + 2 <= out_depth; o += 2) {
      const int8_t* w0 = filter + o * depth;
      const int8_t* w1 = w0 + depth;
      int32_t acc0 = bias ? bias[o] : 0;
      int32_t acc1 = bias ? bias[o + 1] : 0;
      dot2(x, w0, w1, depth >> 2, offset2, &acc0, &acc1);
      for (int32_t d = depth4; d < depth; ++d) {
        const int32_t xi = static_cast<int32_t>(x[d]) + offset;
        acc0 += static_cast<int32_t>(w0[d]) * xi;
        acc1 += static_cast<int32_t>(w1[d]) * xi;
      }
      out[o] = requantize(params, acc0, o);
      out[o + 1] = requantize(params, acc1, o + 1);
    }
    if (o < out_depth) {
      const int8_t* w0 = filter + o * depth;
      int32_t acc0 = bias ? bias[o] : 0;
      for (int32_t d = 0; d < depth4; d += 4) {
        const uint32_t xv = load_word(x + d);
        const uint32_t a = load_word(w0 + d);
        acc0 = __smlad(__sxtb16(a), __sxtab16(offset2, xv), acc0);
        acc0 = __smlad(sxtb16_ror8(a), sxtab16_ror8(offset2, xv), acc0);
      }
      for (int32_t d = depth4; d < depth; ++d) {
        acc0 += static_cast<int32_t>(w0[d]) * (static_cast<int32_t>(x[d]) + offset);
      }
      out[o] = requantize(params, acc0, o);
    }
  }
}

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_DSP
