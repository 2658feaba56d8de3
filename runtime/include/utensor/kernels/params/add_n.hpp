// Written by `python -m utensor.kernel_params --write` from the table in
// scripts/utensor/kernel_params.py. Do not edit: change the table and regenerate. Generated
// models check at compile time that these structs are laid out as the table says.
#ifndef UTENSOR_KERNELS_PARAMS_ADD_N_HPP
#define UTENSOR_KERNELS_PARAMS_ADD_N_HPP

// ADD_N's parameters (kernels/add_n.hpp).

#include <stdint.h>

namespace utensor {
namespace kernels {

/// int8 ADD_N (TFLite's quantized AddN; every input shares one quantization).
struct AddNS8Params {
  int32_t size;               // elements of each tensor
  int32_t num_inputs;         // >= 2
  // [256] an input byte's rescaled value ((x - zero point) << 20, halved with rounding),
  // indexed by the byte as uint8_t
  const int32_t* input_table;
  int32_t initial;  // the sum's start: TFLite's AddN starts from the rescaled input offset, not 0
  int32_t output_multiplier;  // 2 * input scale / (2^20 * output scale)
  int32_t output_shift;       // <= 0
  int32_t output_offset;      // the output zero point
};

/// float32 ADD_N.
struct AddNF32Params {
  int32_t size;        // elements of each tensor
  int32_t num_inputs;  // >= 2
};

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_PARAMS_ADD_N_HPP
