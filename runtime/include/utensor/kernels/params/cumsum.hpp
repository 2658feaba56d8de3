// Written by `python -m utensor.kernel_params --write` from the table in
// scripts/utensor/kernel_params.py. Do not edit: change the table and regenerate. Generated
// models check at compile time that these structs are laid out as the table says.
#ifndef UTENSOR_KERNELS_PARAMS_CUMSUM_HPP
#define UTENSOR_KERNELS_PARAMS_CUMSUM_HPP

// CUMSUM's parameters (kernels/cumsum.hpp).

#include <stdint.h>

namespace utensor {
namespace kernels {

/// float32 CUMSUM.
struct CumSumF32Params {
  int32_t before;     // the product of the dimensions before the axis
  int32_t depth;      // the axis' dimension
  int32_t after;      // the product of the dimensions after the axis
  int32_t exclusive;  // 1: each output excludes its own element
  int32_t reverse;    // 1: sums run from the end of the axis
};

/// int8 CUMSUM (TFLite's quantized CumSum, ADD_N's arithmetic).
struct CumSumS8Params {
  int32_t before;             // the product of the dimensions before the axis
  int32_t depth;              // the axis' dimension
  int32_t after;              // the product of the dimensions after the axis
  int32_t exclusive;          // 1: each output excludes its own element
  int32_t reverse;            // 1: sums run from the end of the axis
  // [256] an input byte's rescaled value ((x - zero point) << 20, halved with rounding),
  // indexed by the byte as uint8_t
  const int32_t* input_table;
  int32_t initial;            // each running sum's start: TFLite's rescaled input offset
  int32_t output_multiplier;  // 2 * input scale / (2^20 * output scale)
  int32_t output_shift;       // <= 0
  int32_t output_offset;      // the output zero point
};

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_PARAMS_CUMSUM_HPP
