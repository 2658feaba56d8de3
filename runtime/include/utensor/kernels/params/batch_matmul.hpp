// Written by `python -m utensor.kernel_params --write` from the table in
// scripts/utensor/kernel_params.py. Do not edit: change the table and regenerate. Generated
// models check at compile time that these structs are laid out as the table says.
#ifndef UTENSOR_KERNELS_PARAMS_BATCH_MATMUL_HPP
#define UTENSOR_KERNELS_PARAMS_BATCH_MATMUL_HPP

// BATCH_MATMUL's parameters (kernels/batch_matmul.hpp).

#include <stdint.h>

namespace utensor {
namespace kernels {

/// out[b][i][j] = sum over k of lhs[b][i][k] * rhs[b][k][j]; the batch dims are the output's,
/// extended to 3 with leading 1s; adj_x/adj_y are folded into the strides.
struct BatchMatMulShape {
  int32_t batch_dims[3];         // the output's batch dimensions
  int32_t lhs_batch_strides[3];  // lhs elements per batch step, 0 where broadcast
  int32_t rhs_batch_strides[3];  // rhs elements per batch step, 0 where broadcast
  int32_t rows;                  // M: output rows
  int32_t cols;                  // N: output columns
  int32_t depth;                 // K: the accumulation depth
  int32_t lhs_row_stride;        // lhs elements between rows i (1 with adj_x, else K)
  int32_t lhs_depth_stride;      // lhs elements between k (M with adj_x, else 1)
  int32_t rhs_depth_stride;      // rhs elements between k (1 with adj_y, else N)
  int32_t rhs_col_stride;        // rhs elements between columns j (K with adj_y, else 1)
};

/// int8 (TFLite Micro's reference BatchMatMul<int8_t, int32_t>).
struct BatchMatMulS8Params {
  BatchMatMulShape shape;     // the geometry
  int32_t lhs_offset;         // minus the lhs zero point
  int32_t rhs_offset;         // minus the rhs zero point
  int32_t output_offset;      // the output zero point
  int32_t output_multiplier;  // lhs scale * rhs scale / output scale
  int32_t output_shift;       // TFLite convention: > 0 shifts left
};

/// int16 with zero points 0 (TFLite Micro's reference BatchMatMul<int16_t, int64_t>).
struct BatchMatMulS16Params {
  BatchMatMulShape shape;     // the geometry
  int32_t output_multiplier;  // lhs scale * rhs scale / output scale
  int32_t output_shift;       // TFLite convention: > 0 shifts left, in [-31, 7]
};

/// float32.
struct BatchMatMulF32Params {
  BatchMatMulShape shape;  // the geometry
};

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_PARAMS_BATCH_MATMUL_HPP
