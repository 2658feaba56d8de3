#ifndef UTENSOR_KERNELS_DETAIL_BROADCAST_HPP
#define UTENSOR_KERNELS_DETAIL_BROADCAST_HPP

// The broadcast walk every two-input elementwise kernel shares (not a user API).

#include <stdint.h>

#include "utensor/kernels/params/elementwise.hpp"

namespace utensor {
namespace kernels {
namespace detail {

/// out[i] = f(a[...], b[...]) for every output element i of `s`, walking each input with
/// its strides (0 along broadcast dimensions). The last dimension is an inner loop (the
/// converter merges dimensions so that it is as long as it can be); the outer ones
/// advance as an odometer once per row, not once per element.
template <typename T, typename U, typename F>
inline void for_each_broadcast(const BroadcastShape& s, const T* a, const T* b, U* out, const F& f) {
  if (!s.broadcast) {
    for (int32_t i = 0; i < s.size; ++i) out[i] = f(a[i], b[i]);
    return;
  }
  const int last = kBroadcastMaxRank - 1;
  const int32_t inner = s.dims[last];
  if (inner <= 0) return;
  const int32_t step1 = s.stride1[last];
  const int32_t step2 = s.stride2[last];
  int32_t idx[kBroadcastMaxRank] = {0, 0, 0, 0, 0, 0};
  int32_t off1 = 0;
  int32_t off2 = 0;
  for (int32_t i = 0; i < s.size; i += inner) {
    const T* pa = a + off1;
    const T* pb = b + off2;
    U* po = out + i;
    for (int32_t j = 0; j < inner; ++j, pa += step1, pb += step2) po[j] = f(*pa, *pb);
    for (int d = last - 1; d >= 0; --d) {
      ++idx[d];
      off1 += s.stride1[d];
      off2 += s.stride2[d];
      if (idx[d] < s.dims[d]) break;
      off1 -= s.stride1[d] * s.dims[d];
      off2 -= s.stride2[d] * s.dims[d];
      idx[d] = 0;
    }
  }
}

}  // namespace detail
}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_DETAIL_BROADCAST_HPP
