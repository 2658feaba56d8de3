#include "utensor/kernels/quantize.hpp"

#include <string.h>

#include "utensor/kernels/fixedpoint.hpp"

namespace utensor {
namespace kernels {

namespace {

template <typename In, typename Out>
void requantize(const RequantizeParams& p, const In* input, Out* output) {
  for (int32_t i = 0; i < p.size; ++i) {
    // Both additions wrap as TFLite's int32 arithmetic does on every target (an int32
    // input or output can reach them): unsigned here, so the wrap is defined behaviour.
    const int32_t x = static_cast<int32_t>(static_cast<uint32_t>(static_cast<int32_t>(input[i])) -
                                           static_cast<uint32_t>(p.input_zero_point));
    const int32_t v = static_cast<int32_t>(
        static_cast<uint32_t>(MultiplyByQuantizedMultiplier(x, p.multiplier, p.shift)) +
        static_cast<uint32_t>(p.output_zero_point));
    output[i] = static_cast<Out>(ClampI32(v, p.output_min, p.output_max));
  }
}

template <typename In>
void dequantize(const DequantizeParams& p, const In* input, float* output) {
  for (int32_t i = 0; i < p.size; ++i) {
    // TFLite computes scale * (x - zp) in double and rounds to float; both factors are
    // exact in float and the double product is exact, so one float multiply (correctly
    // rounded) gives the same float.
    output[i] = p.scale * static_cast<float>(static_cast<int32_t>(input[i]) - p.zero_point);
  }
}

template <typename Out>
void quantize_f32(const QuantizeF32Params& params, const float* input, Out* output) {
  // Bounds of the quotient that still matter, so the conversion below never overflows.
  const float lo = static_cast<float>(params.output_min - params.zero_point) - 1.0f;
  const float hi = static_cast<float>(params.output_max - params.zero_point) + 1.0f;
  const float scale = params.scale;
  const int32_t zp = params.zero_point, out_min = params.output_min, out_max = params.output_max;
  const int32_t size = params.size;  // a local: the stores could alias `params`
  for (int32_t i = 0; i < size; ++i) {
    // TFLite Micro's AffineQuantize divides in float32 (input / static_cast<float>(scale));
    // a double division or a multiply by the reciprocal rounds differently near .5. With
    // an FPU this is one VDIV.F32.
    float q = input[i] / scale;
    if (!(q >= lo)) q = (q != q) ? 0.0f : lo;  // NaN -> 0 (as before), below range -> lo
    if (q > hi) q = hi;
#if defined(__ARM_FP) && (__ARM_FP & 4) && (__ARM_ARCH >= 8 || (__ARM_FP & 8))
    // TfLiteRound (round half away from zero) is one VRINTA.F32 on FPv5: Armv8-M cores
    // with an FPU (M33, M55) and double-precision v7E-M (M7); GCC defines no feature macro
    // for it there. FPv4 (M4F) would call roundf().
    const int32_t t = static_cast<int32_t>(__builtin_roundf(q));
#else
    // TfLiteRound (round half away from zero) without the library call: truncate, then
    // step away from zero when the dropped fraction is at least one half. |q| < 2^23, so
    // q - t is exact.
    int32_t t = static_cast<int32_t>(q);
    const float frac = q - static_cast<float>(t);
    if (frac >= 0.5f) ++t;
    if (frac <= -0.5f) --t;
#endif
    output[i] = static_cast<Out>(ClampI32(t + zp, out_min, out_max));
  }
}

// float32 -> int8 by counting thresholds (params.thresholds): the float's bits as a key
// that orders like the float, then a branch-free binary search over 255 keys.
void quantize_f32_s8_thresholds(const QuantizeF32Params& params, const float* input,
                                int8_t* output) {
  const int32_t* t = params.thresholds;
  const int32_t size = params.size;
  const int8_t zp = static_cast<int8_t>(params.zero_point);
  for (int32_t i = 0; i < size; ++i) {
    uint32_t bits;
    memcpy(&bits, input + i, sizeof(bits));
    if ((bits & 0x7FFFFFFFu) > 0x7F800000u) {  // NaN
      output[i] = zp;
      continue;
    }
    const int32_t s = static_cast<int32_t>(bits);
    const int32_t key = s < 0 ? (s ^ 0x7FFFFFFF) : s;
    // Written out: each step is LDR (fixed offset), CMP, IT, ADD.
    const int32_t* p = t;
    if (p[127] <= key) p += 128;
    if (p[63] <= key) p += 64;
    if (p[31] <= key) p += 32;
    if (p[15] <= key) p += 16;
    if (p[7] <= key) p += 8;
    if (p[3] <= key) p += 4;
    if (p[1] <= key) p += 2;
    if (p[0] <= key) p += 1;
    output[i] = static_cast<int8_t>((p - t) - 128);
  }
}

}  // namespace

void quantize_f32_s8(const QuantizeF32Params& params, const float* input, int8_t* output) {
  if (params.thresholds) {
    quantize_f32_s8_thresholds(params, input, output);
  } else {
    quantize_f32(params, input, output);
  }
}

void quantize_f32_s16(const QuantizeF32Params& params, const float* input, int16_t* output) {
  quantize_f32(params, input, output);
}

void requantize_s16_s16(const RequantizeParams& params, const int16_t* input, int16_t* output) {
  requantize(params, input, output);
}

void requantize_s16_s8(const RequantizeParams& params, const int16_t* input, int8_t* output) {
  requantize(params, input, output);
}
void requantize_s8_s16(const RequantizeParams& params, const int8_t* input, int16_t* output) {
  requantize(params, input, output);
}
void requantize_s8_s32(const RequantizeParams& params, const int8_t* input, int32_t* output) {
  requantize(params, input, output);
}
void requantize_s16_s32(const RequantizeParams& params, const int16_t* input, int32_t* output) {
  requantize(params, input, output);
}
void requantize_s32_s8(const RequantizeParams& params, const int32_t* input, int8_t* output) {
  requantize(params, input, output);
}
void requantize_s32_s16(const RequantizeParams& params, const int32_t* input, int16_t* output) {
  requantize(params, input, output);
}
void dequantize_s16_f32(const DequantizeParams& params, const int16_t* input, float* output) {
  dequantize(params, input, output);
}

void requantize_s8_s8(const RequantizeParams& params, const int8_t* input, int8_t* output) {
  requantize(params, input, output);
}

void requantize_u8_s8(const RequantizeParams& params, const uint8_t* input, int8_t* output) {
  requantize(params, input, output);
}

void requantize_s8_u8(const RequantizeParams& params, const int8_t* input, uint8_t* output) {
  requantize(params, input, output);
}

void dequantize_s8_f32(const DequantizeParams& params, const int8_t* input, float* output) {
  dequantize(params, input, output);
}

void dequantize_u8_f32(const DequantizeParams& params, const uint8_t* input, float* output) {
  dequantize(params, input, output);
}

}  // namespace kernels
}  // namespace utensor
