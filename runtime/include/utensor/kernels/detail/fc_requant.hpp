#ifndef UTENSOR_KERNELS_DETAIL_FC_REQUANT_HPP
#define UTENSOR_KERNELS_DETAIL_FC_REQUANT_HPP

// The one scalar requantization of an int8 FULLY_CONNECTED output (not a user API), for
// the portable, DSP and Helium kernels alike: the converter's fast form where it proved
// it exact, else TFLite's MultiplyByQuantizedMultiplier; then the activation clamp.

#include <stdint.h>

#include "utensor/kernels/detail/kernel_util.hpp"
#include "utensor/kernels/fixedpoint.hpp"
#include "utensor/kernels/fully_connected.hpp"

namespace utensor {
namespace kernels {
namespace detail {

/// MultiplyByQuantizedMultiplier(acc) + output offset for channel `ch`; out of line, as
/// only layers the converter could not prove take it.
__attribute__((noinline)) inline int32_t fc_requantize_general(const FullyConnectedS8Params& p,
                                                               int32_t acc, int32_t ch) {
  return MultiplyByQuantizedMultiplier(acc, p.output_multiplier[ch], p.output_shift[ch]) +
         p.output_offset;
}

/// Output `o` of an accumulator `acc`, as int8 within the activation range.
UTENSOR_HOT_INLINE int8_t fc_requantize(const FullyConnectedS8Params& p, int32_t acc, int32_t o) {
  const int32_t ch = p.per_channel ? o : 0;
  const int32_t v = p.fast_requant ? fast_requantize(acc, p.fast_requant[ch])
                                   : fc_requantize_general(p, acc, ch);
  return static_cast<int8_t>(ClampI32(v, p.activation_min, p.activation_max));
}

}  // namespace detail
}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_DETAIL_FC_REQUANT_HPP
