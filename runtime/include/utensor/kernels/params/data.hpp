// Written by `python -m utensor.kernel_params --write` from the table in
// scripts/utensor/kernel_params.py. Do not edit: change the table and regenerate. Generated
// models check at compile time that these structs are laid out as the table says.
#ifndef UTENSOR_KERNELS_PARAMS_DATA_HPP
#define UTENSOR_KERNELS_PARAMS_DATA_HPP

// The data-movement operators' parameters (kernels/data.hpp).

#include <stdint.h>

namespace utensor {
namespace kernels {

/// Output dimensions an index copy walks.
static const int kIndexCopyMaxRank = 6;

/// Shapes SELECT_V2 broadcasts are padded to this rank.
static const int kSelectMaxRank = 6;

/// A copy whose source offset is a sum of one table entry per output dimension (ops/data.py
/// derives the tables from the operator's index map and proves the sum reproduces it): output
/// block k of the row-major walk over `dims` copies `block` contiguous input elements from
/// input + sum_d offsets[start_d + i_d].
struct IndexCopyParams {
  int32_t rank;                     // output dimensions walked, in [1, kIndexCopyMaxRank]
  int32_t dims[kIndexCopyMaxRank];  // their sizes (unused ones 1)
  // the tables of dimensions 0..rank-1 one after the other (sum of dims entries), input
  // offsets in elements
  const int32_t* offsets;
  int32_t block;                    // contiguous elements copied per position (>= 1)
};

/// GATHER with run-time indices, as TFLite Micro's gather.cc: for every batch b, outer o and
/// index k, copies `inner` elements from input[((b * outer + o) * axis_size + indices[b * count
/// + k]) * inner].
struct GatherParams {
  int32_t batches;    // product of the batch_dims dimensions
  int32_t outer;      // product of the dimensions between batch_dims and axis
  int32_t axis_size;  // the gathered dimension; indices outside [0, it) fail
  int32_t inner;      // product of the dimensions after axis
  int32_t count;      // indices per batch
};

/// SELECT_V2: output = condition ? x : y, with broadcasting.
struct SelectParams {
  int32_t size;                      // output elements
  int32_t dims[kSelectMaxRank];      // the output shape, leading 1s
  // condition's element stride per output dimension, 0 where broadcast
  int32_t condition_stride[kSelectMaxRank];
  int32_t x_stride[kSelectMaxRank];  // the same for x
  int32_t y_stride[kSelectMaxRank];  // the same for y
};

/// SPACE_TO_BATCH_ND over NHWC (rank-3 input: width 1, block_width 1), as TFLite's reference:
/// output batch b reads input batch b % batches at block offset (b / batches / block_width, b /
/// batches % block_width); positions in the padding are bytes of pad_byte.
struct SpaceToBatchParams {
  int32_t batches;         // input batches
  int32_t input_height;    // input rows
  int32_t input_width;     // input columns
  int32_t depth;           // channels
  int32_t block_height;    // >= 1
  int32_t block_width;     // >= 1
  int32_t pad_top;         // >= 0
  int32_t pad_left;        // >= 0
  int32_t output_batches;  // batches * block_height * block_width
  int32_t output_height;   // (input_height + paddings) / block_height
  int32_t output_width;    // (input_width + paddings) / block_width
  int32_t pad_byte;        // the byte padding is filled with: the output zero point (int8), 0
};

/// DYNAMIC_UPDATE_SLICE as TFLite Micro's: output = operand with update written at the start
/// indices, each clamped into [0, operand dim - update dim].
struct DynamicUpdateSliceParams {
  int32_t size;                             // operand elements
  int32_t operand_dims[kIndexCopyMaxRank];  // the operand's shape, leading 1s
  int32_t update_dims[kIndexCopyMaxRank];   // the update's shape, leading 1s
  int32_t leading;  // the leading 1s added (start index d is indices[d - leading])
};

/// BROADCAST_ARGS of two run-time shapes (right-aligned; a 1 takes the other's size; sizes that
/// differ otherwise fail the invocation, as in TFLite Micro).
struct BroadcastArgsParams {
  int32_t rank1;        // elements of shape 1
  int32_t rank2;        // elements of shape 2
  int32_t output_rank;  // max(rank1, rank2)
};

/// FILL of a run-time value and ZEROS_LIKE.
struct FillParams {
  int32_t size;  // output elements
};

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_PARAMS_DATA_HPP
