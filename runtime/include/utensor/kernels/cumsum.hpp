#ifndef UTENSOR_KERNELS_CUMSUM_HPP
#define UTENSOR_KERNELS_CUMSUM_HPP

// CUMSUM along one axis as TFLite Micro: the tensor viewed as [before, depth, after], each
// of the before * after lines summed along depth (from its end with `reverse`; with
// `exclusive` an output holds the sum before its own element). float32 sums in float32
// from 0. int8 is TFLite's quantized CumSum: bytes rescaled by a table the converter
// computes, each line's sum starting from TFLite's rescaled input offset, requantized with
// MultiplyByQuantizedMultiplierSmallerThanOneExp plus the output zero point, saturated.

#include <stdint.h>

#include "utensor/kernels/params/cumsum.hpp"

namespace utensor {
namespace kernels {

/// float32 cumulative sum.
void cumsum_f32(const CumSumF32Params& params, const float* input, float* output);

/// int8 cumulative sum.
void cumsum_s8(const CumSumS8Params& params, const int8_t* input, int8_t* output);

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_CUMSUM_HPP
