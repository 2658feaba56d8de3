#include "utensor/kernels/unary.hpp"

namespace utensor {
namespace kernels {

// Stops at the first refused input, as TFLite Micro's EvalImplQuantized validates each
// element before writing it.
Status rsqrt_s8(const RsqrtS8Params& params, const int8_t* input, int8_t* output) {
  for (int32_t i = 0; i < params.size; ++i) {
    const int8_t x = input[i];
    if (x < params.input_min) return Status::invalid_argument;
    output[i] = params.table[static_cast<uint8_t>(x)];
  }
  return Status::ok;
}

}  // namespace kernels
}  // namespace utensor
