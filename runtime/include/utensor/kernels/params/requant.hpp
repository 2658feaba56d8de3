// Written by `python -m utensor.kernel_params --write` from the table in
// scripts/utensor/kernel_params.py. Do not edit: change the table and regenerate. Generated
// models check at compile time that these structs are laid out as the table says.
#ifndef UTENSOR_KERNELS_PARAMS_REQUANT_HPP
#define UTENSOR_KERNELS_PARAMS_REQUANT_HPP

// The fast requantization entry the int8 kernels share (kernels/detail/kernel_util.hpp).

#include <stdint.h>

namespace utensor {
namespace kernels {
namespace detail {

/// One output channel's requantization in the form the converter proves exact for a layer
/// (scripts/utensor/ops/_requant.py, which also states the conditions): for every accumulator
/// the layer can produce, |acc| * 2^pre_shift < 2^31 and post_shift in [1, 22]. Then
/// SaturatingRoundingDoublingHighMul(acc << left, m) is one rounding high multiply of acc <<
/// (left + 1), and RoundingDivideByPOT plus the zero point is one add, one sign correction and
/// one arithmetic shift. Laid out for a single LDM of 4 words: the Arm kernels' assembly reads
/// the fields in this order.
struct FastRequant {
  int32_t multiplier;  // Q31 in [2^30, 2^31), or 0
  int32_t pre_shift;   // TFLite's left shift + 1 (the doubling of the doubling high multiply)
  int32_t post_shift;  // TFLite's right shift, in [1, 22]
  int32_t offset;      // 2^(post_shift - 1) + output zero point * 2^post_shift
};

}  // namespace detail
}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_PARAMS_REQUANT_HPP
