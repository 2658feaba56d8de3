#ifndef UTENSOR_KERNELS_REDUCE_HPP
#define UTENSOR_KERNELS_REDUCE_HPP

// SUM, REDUCE_MAX, REDUCE_MIN and REDUCE_ALL over a set of axes, as TFLite Micro's ReduceGeneric, for
// tensors of rank <= 5. The geometry is MEAN's (kernels/mean.hpp): the input extended to
// rank 5 with leading 1s, reduce[d] != 0 on the reduced axes, the output in row-major order
// (keep_dims only changes the output's shape, not its layout). The input is visited in
// row-major order, as TFLite does, so float32 sums round the same way.
//
// int8 SUM is TFLite Micro's QuantizedMeanOrSum with compute_sum: mean_s8 (mean.hpp) with
// the plain input/output scale multiplier. int8 REDUCE_MAX/MIN require (as TFLM does) equal
// input and output quantization, so they compare the raw bytes.

#include <stdint.h>

#include "utensor/kernels/params/reduce.hpp"

namespace utensor {
namespace kernels {

/// float32 sum (in float32, from 0, in input order).
void sum_f32(const ReduceF32Params& params, const float* input, float* output);

/// float32 maximum (from the lowest float).
void reduce_max_f32(const ReduceF32Params& params, const float* input, float* output);

/// float32 minimum (from the largest float).
void reduce_min_f32(const ReduceF32Params& params, const float* input, float* output);

/// int8 maximum of the raw values.
void reduce_max_s8(const ReduceS8Params& params, const int8_t* input, int8_t* output);

/// int8 minimum of the raw values.
void reduce_min_s8(const ReduceS8Params& params, const int8_t* input, int8_t* output);

/// bool conjunction (true for an empty reduction, as TFLite's).
void reduce_all_b8(const ReduceB8Params& params, const bool* input, bool* output);

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_REDUCE_HPP
