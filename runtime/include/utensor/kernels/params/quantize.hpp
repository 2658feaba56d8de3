// Written by `python -m utensor.kernel_params --write` from the table in
// scripts/utensor/kernel_params.py. Do not edit: change the table and regenerate. Generated
// models check at compile time that these structs are laid out as the table says.
#ifndef UTENSOR_KERNELS_PARAMS_QUANTIZE_HPP
#define UTENSOR_KERNELS_PARAMS_QUANTIZE_HPP

// QUANTIZE and DEQUANTIZE's parameters (kernels/quantize.hpp).

#include <stdint.h>

namespace utensor {
namespace kernels {

/// float32 -> int8 or int16.
struct QuantizeF32Params {
  int32_t size;        // elements
  float scale;         // the output scale; TFLite Micro divides by it in float32
  int32_t zero_point;  // the output zero point
  int32_t output_min;  // the lower end of the output type's range
  int32_t output_max;  // the upper end of the output type's range
  // int8 only, [255] ascending: the sortable keys of the smallest floats quantizing to
  // -127..127 (ops/_quantize_thresholds.py; cores without an FPU and the host); nullptr:
  // divide
  const int32_t* thresholds;
};

/// int8/uint8 -> int8/uint8, int16 -> int16, with a new scale and zero point.
struct RequantizeParams {
  int32_t size;               // elements
  int32_t input_zero_point;   // the input zero point
  int32_t output_zero_point;  // the output zero point
  int32_t multiplier;         // input_scale / output_scale as QuantizeMultiplier
  int32_t shift;              // TFLite convention: > 0 shifts left
  int32_t output_min;         // the lower end of the output type's range
  int32_t output_max;         // the upper end of the output type's range
};

/// int8/uint8/int16 -> float32.
struct DequantizeParams {
  int32_t size;        // elements
  float scale;         // the input scale
  int32_t zero_point;  // the input zero point
};

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_PARAMS_QUANTIZE_HPP
