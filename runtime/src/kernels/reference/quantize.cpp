#include "utensor/kernels/quantize.hpp"

#include <math.h>

#include "utensor/kernels/fixedpoint.hpp"

namespace utensor {
namespace kernels {

namespace {

template <typename In, typename Out>
void requantize(const RequantizeParams& p, const In* input, Out* output) {
  for (int32_t i = 0; i < p.size; ++i) {
    const int32_t x = static_cast<int32_t>(input[i]) - p.input_zero_point;
    const int32_t v = MultiplyByQuantizedMultiplier(x, p.multiplier, p.shift) + p.output_zero_point;
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
  const double lo = params.output_min - params.zero_point;
  const double hi = params.output_max - params.zero_point;
  for (int32_t i = 0; i < params.size; ++i) {
    // Division in double, as TFLite's AffineQuantize (a float division or a multiply by
    // the reciprocal rounds differently near .5).
    double q = round(static_cast<double>(input[i]) / params.scale);
    // Clamp before the int conversion (out-of-range conversion is undefined); the result
    // is the same as clamping after.
    if (q < lo) q = lo;
    if (q > hi) q = hi;
    if (q != q) q = 0.0;  // NaN
    output[i] = static_cast<Out>(static_cast<int32_t>(q) + params.zero_point);
  }
}

}  // namespace

void quantize_f32_s8(const QuantizeF32Params& params, const float* input, int8_t* output) {
  quantize_f32(params, input, output);
}

void quantize_f32_s16(const QuantizeF32Params& params, const float* input, int16_t* output) {
  quantize_f32(params, input, output);
}

void requantize_s16_s16(const RequantizeParams& params, const int16_t* input, int16_t* output) {
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
