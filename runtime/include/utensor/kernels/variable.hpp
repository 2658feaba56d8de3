#ifndef UTENSOR_KERNELS_VARIABLE_HPP
#define UTENSOR_KERNELS_VARIABLE_HPP

// Resource variables (READ_VARIABLE, ASSIGN_VARIABLE): each variable is a tensor in the
// arena's state region; reading copies it out, assigning copies a value in. CALL_ONCE's
// one-time initialization is generated inline (templates/ops/call_once.j2).

#include <stdint.h>
#include <string.h>

#include "utensor/kernels/params/variable.hpp"

namespace utensor {
namespace kernels {

/// dst[0 .. bytes) = src[0 .. bytes); the two do not overlap.
inline void copy_bytes(const CopyParams& params, const void* src, void* dst) {
  memcpy(dst, src, static_cast<size_t>(params.bytes));
}

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_VARIABLE_HPP
