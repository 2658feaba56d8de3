// int8 ADD for cores with the DSP extension. The converter's case (same shapes, both
// rescaling tables, the fast output requantization) runs four elements per pass: one
// word of each input, two table lookups, one rounding high multiply and one rounding
// shift per element, then saturation, clamp and store of the four bytes at once.
// Anything else goes to the portable kernel. Same integers as the reference kernel.
#include "utensor/kernels/arch.hpp"

#if UTENSOR_KERNELS_DSP && !UTENSOR_KERNELS_MVE  // else elementwise_mve.cpp

#include <arm_acle.h>
#include <string.h>

#include "utensor/kernels/detail/kernel_util.hpp"
#include "utensor/kernels/elementwise.hpp"

namespace utensor {
namespace kernels {

namespace {

// One element: the doubled tables' sum through the fast requantization (pre_shift 0),
// saturated to int8 (the activation clamp comes after, four bytes at once).
UTENSOR_HOT_INLINE int32_t add_one(const int32_t* t1, const int32_t* t2, uint32_t a, uint32_t b,
                                   const detail::FastRequant& q) {
  const int32_t x = detail::rounding_high_mul(t1[a & 0xFF] + t2[b & 0xFF], q.multiplier);
  const int32_t y =
      (x + q.offset - static_cast<int32_t>(static_cast<uint32_t>(x) >> 31)) >> q.post_shift;
  return __ssat(y, 8);
}

// The four bytes of each int8 value in a word (activation bound).
inline uint32_t splat4(int32_t v) { return (static_cast<uint32_t>(v) & 0xFFu) * 0x01010101u; }

}  // namespace

void add_s8(const AddS8Params& params, const int8_t* input1, const int8_t* input2, int8_t* output) {
  if (params.shape.broadcast || !params.input1_table || !params.input2_table ||
      !params.output_fast) {
    detail::add_s8_portable(params, input1, input2, output);
    return;
  }
  const int32_t* t1 = params.input1_table;
  const int32_t* t2 = params.input2_table;
  const detail::FastRequant q = *params.output_fast;
  const uint32_t lo4 = splat4(params.activation_min);
  const uint32_t hi4 = splat4(params.activation_max);
  const int32_t n = params.shape.size;
  int32_t i = 0;
  for (; i + 4 <= n; i += 4) {
    const uint32_t a = detail::load_u32(input1 + i);
    const uint32_t b = detail::load_u32(input2 + i);
    const int32_t y0 = add_one(t1, t2, a, b, q);
    const int32_t y1 = add_one(t1, t2, a >> 8, b >> 8, q);
    const int32_t y2 = add_one(t1, t2, a >> 16, b >> 16, q);
    const int32_t y3 = add_one(t1, t2, a >> 24, b >> 24, q);
    uint32_t v = (static_cast<uint32_t>(y0) & 0xFFu) | ((static_cast<uint32_t>(y1) & 0xFFu) << 8) |
                 ((static_cast<uint32_t>(y2) & 0xFFu) << 16) | (static_cast<uint32_t>(y3) << 24);
    // Bytewise clamp: SSUB8 sets each byte's GE flag where v >= lo (hi >= v), SEL picks.
    // One asm block: the GE flags must not be clobbered between the pairs.
    uint32_t t;
    __asm__("ssub8 %[t], %[v], %[lo]\n\t"
            "sel   %[v], %[v], %[lo]\n\t"
            "ssub8 %[t], %[hi], %[v]\n\t"
            "sel   %[v], %[v], %[hi]"
            : [v] "+r"(v), [t] "=&r"(t)
            : [lo] "r"(lo4), [hi] "r"(hi4));
    memcpy(output + i, &v, 4);  // one STR: inputs may alias the output, read already
  }
  for (; i < n; ++i) {
    const int32_t y = add_one(t1, t2, static_cast<uint8_t>(input1[i]), static_cast<uint8_t>(input2[i]), q);
    output[i] = static_cast<int8_t>(y < params.activation_min ? params.activation_min
                                    : (y > params.activation_max ? params.activation_max : y));
  }
}

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_DSP && !UTENSOR_KERNELS_MVE
