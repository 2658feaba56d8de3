// Written by `python -m utensor.kernel_params --write` from the table in
// scripts/utensor/kernel_params.py. Do not edit: change the table and regenerate. Generated
// models check at compile time that these structs are laid out as the table says.
#ifndef UTENSOR_KERNELS_PARAMS_PAD_HPP
#define UTENSOR_KERNELS_PARAMS_PAD_HPP

// PAD and PADV2's parameters (kernels/pad.hpp).

#include <stdint.h>

namespace utensor {
namespace kernels {

/// Shapes extended to rank 5 with leading 1s.
struct PadShape {
  int32_t input_dims[5];  // the input shape
  int32_t before[5];      // elements added before each dimension, >= 0
  int32_t after[5];       // elements added after each dimension, >= 0
};

/// int8 pad.
struct PadS8Params {
  PadShape shape;    // the geometry
  int8_t pad_value;  // the output zero point (PAD) or the constant (PADV2)
};

/// float32 pad.
struct PadF32Params {
  PadShape shape;   // the geometry
  float pad_value;  // 0 (PAD) or the constant (PADV2)
};

/// int16 pad.
struct PadS16Params {
  PadShape shape;     // the geometry
  int16_t pad_value;  // the output zero point (PAD) or the constant (PADV2)
};

/// int32 pad.
struct PadI32Params {
  PadShape shape;     // the geometry
  int32_t pad_value;  // 0 (PAD) or the constant (PADV2)
};

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_PARAMS_PAD_HPP
