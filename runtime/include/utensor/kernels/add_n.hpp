#ifndef UTENSOR_KERNELS_ADD_N_HPP
#define UTENSOR_KERNELS_ADD_N_HPP

// ADD_N: the elementwise sum of num_inputs tensors of one shape, as TFLite Micro.
// float32 adds in input order from 0. int8 is TFLite's quantized AddN: every input byte
// rescaled (a table the converter computes), summed from TFLite's starting value (the
// rescaled input offset: its quirk, kept for bit-exactness), requantized with
// MultiplyByQuantizedMultiplierSmallerThanOneExp, plus the output zero point, saturated.

#include <stdint.h>

#include "utensor/kernels/params/add_n.hpp"

namespace utensor {
namespace kernels {

/// int8 sum of inputs[0..num_inputs).
void add_n_s8(const AddNS8Params& params, const int8_t* const* inputs, int8_t* output);

/// float32 sum of inputs[0..num_inputs).
void add_n_f32(const AddNF32Params& params, const float* const* inputs, float* output);

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_ADD_N_HPP
