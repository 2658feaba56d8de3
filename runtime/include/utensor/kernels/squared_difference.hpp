#ifndef UTENSOR_KERNELS_SQUARED_DIFFERENCE_HPP
#define UTENSOR_KERNELS_SQUARED_DIFFERENCE_HPP

// int8 SQUARED_DIFFERENCE as TFLite Micro computes it, with elementwise.hpp's broadcasting:
// each input byte rescaled to a common scale (left shift 7, per-input multiplier: tables
// the converter computes), the difference squared in int32, requantized with
// MultiplyByQuantizedMultiplier plus the output zero point, saturated. (float32
// SQUARED_DIFFERENCE is elementwise.hpp's squared_difference_f32.)

#include <stdint.h>

#include "utensor/kernels/params/squared_difference.hpp"

namespace utensor {
namespace kernels {

/// int8 (input1 - input2)^2, broadcast.
void squared_difference_s8(const SquaredDifferenceS8Params& params, const int8_t* input1,
                           const int8_t* input2, int8_t* output);

/// int16 (input1 - input2)^2, broadcast: TFLite Micro's SquaredDifference<int16_t>, the
/// rescaling computed per element.
void squared_difference_s16(const SquaredDifferenceS16Params& params, const int16_t* input1,
                            const int16_t* input2, int16_t* output);

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_SQUARED_DIFFERENCE_HPP
