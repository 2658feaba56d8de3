// int8 ADD for cores with integer Helium (MVE). The converter's case (same shapes, both
// rescaling tables, the fast output requantization) runs four elements per vector: the
// bytes widened as table indices, two gather loads, VRMULH (the SMMULR of the scalar
// form), the rounding shift, clamp and a narrowing store; the tail by predication.
// Anything else goes to the portable kernel. Same integers as the reference kernel.
#include "utensor/kernels/arch.hpp"

#if UTENSOR_KERNELS_MVE

#include <arm_mve.h>

#include "utensor/kernels/detail/kernel_util.hpp"
#include "utensor/kernels/elementwise.hpp"

namespace utensor {
namespace kernels {

namespace {

// fast_requantize (pre_shift 0) and the clamp, 4 lanes: VRMULH is SMMULR; then
// x + offset - (x < 0), shifted right, is RoundingDivideByPOT plus the zero point.
UTENSOR_HOT_INLINE int32x4_t requantize4(int32x4_t sum, int32x4_t mult, int32x4_t offset,
                                         int32_t neg_post, int32x4_t lo, int32x4_t hi) {
  const int32x4_t x = vrmulhq_s32(sum, mult);
  const int32x4_t y = vshlq_r_s32(vaddq_s32(vaddq_s32(x, offset), vshrq_n_s32(x, 31)), neg_post);
  return vminq_s32(vmaxq_s32(y, lo), hi);
}

}  // namespace

void add_s8(const AddS8Params& params, const int8_t* input1, const int8_t* input2, int8_t* output) {
  if (params.shape.broadcast || !params.input1_table || !params.input2_table ||
      !params.output_fast) {
    detail::add_s8_portable(params, input1, input2, output);
    return;
  }
  const int32_t* t1 = params.input1_table;
  const int32_t* t2 = params.input2_table;
  const detail::FastRequant& q = *params.output_fast;
  const int32x4_t mult = vdupq_n_s32(q.multiplier);
  const int32_t neg_post = -q.post_shift;
  const int32x4_t offset = vdupq_n_s32(q.offset);
  const int32x4_t lo = vdupq_n_s32(params.activation_min);
  const int32x4_t hi = vdupq_n_s32(params.activation_max);
  const uint8_t* a = reinterpret_cast<const uint8_t*>(input1);
  const uint8_t* b = reinterpret_cast<const uint8_t*>(input2);
  // Inputs may alias the output: each vector is read before its own 4 bytes are written.
  // Whole vectors unpredicated, the size % 4 tail once with a predicate.
  for (int32_t n = params.shape.size >> 2; n > 0; --n) {
    const int32x4_t sum = vaddq_s32(vldrwq_gather_shifted_offset_s32(t1, vldrbq_u32(a)),
                                    vldrwq_gather_shifted_offset_s32(t2, vldrbq_u32(b)));
    vstrbq_s32(output, requantize4(sum, mult, offset, neg_post, lo, hi));
    a += 4;
    b += 4;
    output += 4;
  }
  if (params.shape.size & 3) {
    const mve_pred16_t p = vctp32q(static_cast<uint32_t>(params.shape.size & 3));
    const int32x4_t sum = vaddq_s32(vldrwq_gather_shifted_offset_z_s32(t1, vldrbq_z_u32(a, p), p),
                                    vldrwq_gather_shifted_offset_z_s32(t2, vldrbq_z_u32(b, p), p));
    vstrbq_p_s32(output, requantize4(sum, mult, offset, neg_post, lo, hi), p);
  }
}

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_MVE
