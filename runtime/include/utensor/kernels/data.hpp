#ifndef UTENSOR_KERNELS_DATA_HPP
#define UTENSOR_KERNELS_DATA_HPP

// Operators that only move data: REVERSE_V2, DEPTH_TO_SPACE, SPACE_TO_DEPTH,
// BATCH_TO_SPACE_ND, MIRROR_PAD, BROADCAST_TO, GATHER / GATHER_ND with constant indices and
// FILL of a run-time value all lower to one index copy: the converter computes where every
// output element comes from and factors that map into one small table per output dimension
// (scripts/utensor/ops/data.py). GATHER with run-time indices, SELECT_V2 and ZEROS_LIKE have
// kernels of their own. Element types are moved as bytes, so one body serves every dtype.

#include <stdint.h>

#include "utensor/core/status.hpp"
#include "utensor/kernels/params/data.hpp"

namespace utensor {
namespace kernels {

/// The element types these kernels move: X(C type, suffix).
#define UTENSOR_DATA_TYPES(X) X(int8_t, s8) X(int16_t, i16) X(int32_t, i32) X(int64_t, i64) X(float, f32) X(bool, b8)

/// Output block k (row-major over p.dims) = p.block input elements from
/// input + sum_d p.offsets[start_d + i_d]. The output must not alias the input.
void index_copy(const IndexCopyParams& p, const void* input, void* output, int32_t element_bytes);

/// GATHER: out of range indices give Status::out_of_bounds (TFLite Micro fails the
/// invocation too), with the output partly written.
Status gather(const GatherParams& p, const void* input, const int32_t* indices, void* output,
              int32_t element_bytes);

/// SELECT_V2: output[i] = condition[i] ? x[i] : y[i], every input broadcast by its strides.
void select(const SelectParams& p, const bool* condition, const void* x, const void* y, void* output,
            int32_t element_bytes);

/// SPACE_TO_BATCH_ND; the output must not alias the input.
void space_to_batch(const SpaceToBatchParams& p, const void* input, void* output, int32_t element_bytes);

/// DYNAMIC_UPDATE_SLICE; output may be the operand's buffer.
void dynamic_update_slice(const DynamicUpdateSliceParams& p, const void* operand, const void* update,
                          const int32_t* indices, void* output, int32_t element_bytes);
void dynamic_update_slice(const DynamicUpdateSliceParams& p, const void* operand, const void* update,
                          const int64_t* indices, void* output, int32_t element_bytes);

/// BROADCAST_ARGS: Status::shape_mismatch when the shapes do not broadcast.
Status broadcast_args(const BroadcastArgsParams& p, const int32_t* shape1, const int32_t* shape2, int32_t* output);
Status broadcast_args(const BroadcastArgsParams& p, const int64_t* shape1, const int64_t* shape2, int64_t* output);
inline Status broadcast_args_i32(const BroadcastArgsParams& p, const int32_t* shape1, const int32_t* shape2,
                                 int32_t* output) {
  return broadcast_args(p, shape1, shape2, output);
}
inline Status broadcast_args_i64(const BroadcastArgsParams& p, const int64_t* shape1, const int64_t* shape2,
                                 int64_t* output) {
  return broadcast_args(p, shape1, shape2, output);
}

/// FILL: every output element = value[0].
void fill(const FillParams& p, const void* value, void* output, int32_t element_bytes);

/// ZEROS_LIKE: every output element = 0 (all bits clear, which is 0 and 0.0f for every type).
void zeros(const FillParams& p, void* output, int32_t element_bytes);

#define UTENSOR_DATA_DECLARE(T, sfx)                                                            \
  inline void index_copy_##sfx(const IndexCopyParams& p, const T* input, T* output) {          \
    index_copy(p, input, output, sizeof(T));                                                    \
  }                                                                                             \
  inline Status gather_##sfx##_i32(const GatherParams& p, const T* input, const int32_t* indices, \
                                   T* output) {                                                 \
    return gather(p, input, indices, output, sizeof(T));                                        \
  }                                                                                             \
  inline void select_##sfx(const SelectParams& p, const bool* condition, const T* x, const T* y, \
                           T* output) {                                                         \
    select(p, condition, x, y, output, sizeof(T));                                              \
  }                                                                                             \
  inline void space_to_batch_##sfx(const SpaceToBatchParams& p, const T* input, T* output) {   \
    space_to_batch(p, input, output, sizeof(T));                                                \
  }                                                                                             \
  inline void dynamic_update_slice_##sfx##_i32(const DynamicUpdateSliceParams& p, const T* operand, \
                                               const T* update, const int32_t* indices, T* output) { \
    dynamic_update_slice(p, operand, update, indices, output, sizeof(T));                      \
  }                                                                                             \
  inline void dynamic_update_slice_##sfx##_i64(const DynamicUpdateSliceParams& p, const T* operand, \
                                               const T* update, const int64_t* indices, T* output) { \
    dynamic_update_slice(p, operand, update, indices, output, sizeof(T));                      \
  }                                                                                             \
  inline void fill_##sfx(const FillParams& p, const int32_t* /* dims */, const T* value, T* output) { \
    fill(p, value, output, sizeof(T));                                                          \
  }                                                                                             \
  inline void zeros_##sfx(const FillParams& p, const T* /* input */, T* output) {              \
    zeros(p, output, sizeof(T));                                                                \
  }
UTENSOR_DATA_TYPES(UTENSOR_DATA_DECLARE)
#undef UTENSOR_DATA_DECLARE

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_DATA_HPP
