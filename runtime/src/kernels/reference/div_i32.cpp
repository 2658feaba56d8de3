#include "utensor/kernels/detail/broadcast.hpp"
#include "utensor/kernels/elementwise.hpp"

namespace utensor {
namespace kernels {

namespace {

// One quotient; records a zero divisor instead of dividing by it, and gives the wrapped
// INT32_MIN for INT32_MIN / -1 instead of overflowing (both undefined in C++).
struct DivI32 {
  const ElementwiseI32Params& p;
  bool* divided_by_zero;
  int32_t operator()(int32_t a, int32_t b) const {
    int32_t q;
    if (b == 0) {
      *divided_by_zero = true;
      q = 0;
    } else if (b == -1) {
      q = static_cast<int32_t>(0u - static_cast<uint32_t>(a));
    } else {
      q = a / b;
    }
    return q < p.activation_min ? p.activation_min : (q > p.activation_max ? p.activation_max : q);
  }
};

}  // namespace

Status div_i32(const ElementwiseI32Params& params, const int32_t* input1, const int32_t* input2, int32_t* output) {
  bool divided_by_zero = false;
  const DivI32 f = {params, &divided_by_zero};
  detail::for_each_broadcast(params.shape, input1, input2, output, f);
  return divided_by_zero ? Status::invalid_argument : Status::ok;
}

}  // namespace kernels
}  // namespace utensor
