#ifndef UTENSOR_KERNELS_MEAN_HPP
#define UTENSOR_KERNELS_MEAN_HPP

// Mean over a set of axes, as TFLite Micro's MEAN, for tensors of rank <= 5.
//
// The input shape is extended to rank 5 with leading 1s; reduce[d] != 0 marks the reduced
// axes. The output is the input with those axes removed (or kept as 1: same layout),
// in row-major order. Sums run over the input in row-major order, as TFLite's reduction.
//
// int8 is TFLite Micro's QuantizedMeanOrSum (used for every int8 MEAN, equal input and
// output quantization included): (sum - count * input_zp) requantized with
// `multiplier`/`shift`, which already fold in the 1/count factor (computed by the
// converter as QuantizedMeanOrSum does), plus the output zero point, saturated to int8.

#include <stdint.h>

#include "utensor/kernels/params/mean.hpp"

namespace utensor {
namespace kernels {

/// Scratch bytes mean_s8 needs: one int32 per output element.
inline int32_t mean_s8_scratch_bytes(int32_t output_count) {
  return output_count * static_cast<int32_t>(sizeof(int32_t));
}

/// int8 mean; `scratch` holds mean_s8_scratch_bytes(output_count) bytes, 4-byte aligned.
void mean_s8(const MeanS8Params& params, const int8_t* input, int8_t* output,
             int32_t* scratch);

/// int16 mean (16x8 quantization): mean_s8's arithmetic on int16 (TFLite Micro's
/// QuantizedMeanOrSum<int16_t, int32_t>), same scratch.
void mean_s16(const MeanS8Params& params, const int16_t* input, int16_t* output,
              int32_t* scratch);

/// float32 mean (sum in float32, then divided by the count).
void mean_f32(const MeanF32Params& params, const float* input, float* output);

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_MEAN_HPP
