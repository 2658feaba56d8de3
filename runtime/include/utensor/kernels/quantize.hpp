#ifndef UTENSOR_KERNELS_QUANTIZE_HPP
#define UTENSOR_KERNELS_QUANTIZE_HPP

// QUANTIZE and DEQUANTIZE as TFLite's reference kernels (bit-exact).
//
// All tensors are flat arrays of `size` elements (any shape). Values are computed by the
// converter (scripts/utensor/ops/quantize.py); nothing is checked at run time.

#include <stdint.h>

#include "utensor/kernels/params/quantize.hpp"

namespace utensor {
namespace kernels {

/// float32 -> int8: out = clamp(round_half_away(x / scale) + zero_point), the division in
/// float32 as TFLite Micro's (no library call per element on cores with an FPU).
void quantize_f32_s8(const QuantizeF32Params& params, const float* input, int8_t* output);

/// int8 -> int8 with a new scale / zero point (TFLite's Requantize).
void requantize_s8_s8(const RequantizeParams& params, const int8_t* input, int8_t* output);

/// uint8 -> int8 with a new scale / zero point (TFLite's Requantize).
void requantize_u8_s8(const RequantizeParams& params, const uint8_t* input, int8_t* output);

/// int8 -> uint8 with a new scale / zero point (TFLite's Requantize).
void requantize_s8_u8(const RequantizeParams& params, const int8_t* input, uint8_t* output);

/// int8 -> float32: out = scale * (x - zero_point).
/// The int16 forms (16x8 quantization), same arithmetic: float32 -> int16, int16 -> int16
/// requantization, int16 -> float32.
void quantize_f32_s16(const QuantizeF32Params& params, const float* input, int16_t* output);
void requantize_s16_s16(const RequantizeParams& params, const int16_t* input, int16_t* output);
void dequantize_s16_f32(const DequantizeParams& params, const int16_t* input, float* output);

/// Requantization between int8, int16 and int32 (TFLite Micro's Requantize for the pairs
/// its QUANTIZE takes): out = clamp(MultiplyByQuantizedMultiplier(x - input_zero_point) +
/// output_zero_point), the int32 additions wrapping as TFLite's.
void requantize_s16_s8(const RequantizeParams& params, const int16_t* input, int8_t* output);
void requantize_s8_s16(const RequantizeParams& params, const int8_t* input, int16_t* output);
void requantize_s8_s32(const RequantizeParams& params, const int8_t* input, int32_t* output);
void requantize_s16_s32(const RequantizeParams& params, const int16_t* input, int32_t* output);
void requantize_s32_s8(const RequantizeParams& params, const int32_t* input, int8_t* output);
void requantize_s32_s16(const RequantizeParams& params, const int32_t* input, int16_t* output);

void dequantize_s8_f32(const DequantizeParams& params, const int8_t* input, float* output);

/// uint8 -> float32: out = scale * (x - zero_point).
void dequantize_u8_f32(const DequantizeParams& params, const uint8_t* input, float* output);

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_QUANTIZE_HPP
