#ifndef UTENSOR_KERNELS_SVDF_HPP
#define UTENSOR_KERNELS_SVDF_HPP

// SVDF (singular value decomposition filter, keyword spotting) as TFLite Micro computes it.
// Layouts: kernels/params/svdf.hpp (SvdfShape). Per invoke, for each batch: the state (a
// [FILTERS, MEMORY] history per batch, stored flat) shifts left by one element over the
// whole buffer, the newest column (index MEMORY - 1 of each filter) receives
// weights_feature . input, then each filter's history is dotted with its time weights and
// RANK consecutive filters are summed into one unit, plus bias. The state is a variable
// tensor: it lives in the arena's state region and carries over between invokes.

#include <stdint.h>

#include "utensor/kernels/params/svdf.hpp"

namespace utensor {
namespace kernels {

/// float32; bias may be nullptr; scratch: BATCHES * FILTERS floats. The fused activation
/// is the clamp [activation_min, activation_max].
void svdf_f32(const SvdfF32Params& params, const float* input, const float* weights_feature,
              const float* weights_time, const float* bias, float* state, float* output,
              float* scratch);

/// int8 input/feature weights/output, int16 time weights and state, int32 bias (nullptr:
/// none); no fused activation (TFLite Micro's integer SVDF applies none). No scratch.
void svdf_s8_s16(const SvdfS8Params& params, const int8_t* input, const int8_t* weights_feature,
                 const int16_t* weights_time, const int32_t* bias, int16_t* state, int8_t* output);

/// As svdf_s8_s16 with int8 time weights and state (the state's zero point applies).
void svdf_s8_s8(const SvdfS8Params& params, const int8_t* input, const int8_t* weights_feature,
                const int8_t* weights_time, const int32_t* bias, int8_t* state, int8_t* output);

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_SVDF_HPP
