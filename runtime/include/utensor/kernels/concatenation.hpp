#ifndef UTENSOR_KERNELS_CONCATENATION_HPP
#define UTENSOR_KERNELS_CONCATENATION_HPP

// Concatenation along one axis, as TFLite's CONCATENATION (no requantization: int8
// inputs share the output's scale and zero point).
//
// With the axis at position k, every tensor is viewed as [outer, axis_dim * inner] where
// outer is the product of the dimensions before k: for each of the `outer` rows, the
// output row is the inputs' rows one after the other.

#include <stdint.h>

#include "utensor/kernels/params/concatenation.hpp"

namespace utensor {
namespace kernels {

/// int8 concatenation: inputs[i] points at input i; the output must not alias any input.
void concatenation_s8(const ConcatenationParams& params, const int8_t* const* inputs,
                      int8_t* output);

/// float32 concatenation.
void concatenation_f32(const ConcatenationParams& params, const float* const* inputs,
                       float* output);

/// int16 concatenation.
void concatenation_s16(const ConcatenationParams& params, const int16_t* const* inputs,
                       int16_t* output);

/// int32 concatenation.
void concatenation_i32(const ConcatenationParams& params, const int32_t* const* inputs,
                       int32_t* output);

/// int64 and bool concatenation (TFLite Micro's CONCATENATION takes both; PACK int64).
void concatenation_i64(const ConcatenationParams& params, const int64_t* const* inputs,
                       int64_t* output);
void concatenation_b(const ConcatenationParams& params, const bool* const* inputs, bool* output);

/// The reverse (SPLIT, SPLIT_V, UNPACK): each row of the input dealt out to the outputs,
/// outputs[i] getting row_sizes[i] elements per row; no output may alias the input.
void split_s8(const SplitParams& params, const int8_t* input, int8_t* const* outputs);
void split_f32(const SplitParams& params, const float* input, float* const* outputs);
void split_i32(const SplitParams& params, const int32_t* input, int32_t* const* outputs);
void split_s16(const SplitParams& params, const int16_t* input, int16_t* const* outputs);

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_CONCATENATION_HPP
