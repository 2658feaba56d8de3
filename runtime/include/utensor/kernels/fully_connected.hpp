#ifndef UTENSOR_KERNELS_FULLY_CONNECTED_HPP
#define UTENSOR_KERNELS_FULLY_CONNECTED_HPP

// Fully connected layer as TFLite's FULLY_CONNECTED (reference semantics; int8 bit-exact).
//
// Layouts: input [BATCHES, ACCUM_DEPTH] (any shape whose elements are BATCHES rows of
// ACCUM_DEPTH), filter [OUTPUT_DEPTH, ACCUM_DEPTH], bias [OUTPUT_DEPTH] (optional),
// output [BATCHES, OUTPUT_DEPTH].
// int8: acc = bias[o] + sum_d filter[o, d] * (input[b, d] + input_offset), then
//   out = clamp(MultiplyByQuantizedMultiplier(acc, mult[o], shift[o]) + output_offset).
// The converter may fold input_offset * sum_d filter[o, d] into the bias it passes (and
// set input_offset to 0): the integer sum is the same, one multiply-add per MAC cheaper.
// Faster forms the converter may select (same integers):
// - fast_requant: per channel (or one) detail::FastRequant entries, given only when the
//   converter proved them exact for every accumulator the layer can produce.
// - filter_layout kFilterInterleaved4 (only for the DSP kernel, only with input_offset 0,
//   fast_requant and ACCUM_DEPTH a multiple of 8; the generated code passes it under
//   #if UTENSOR_KERNELS_DSP && !UTENSOR_KERNELS_MVE): per group of 4 rows, the 4 rows'
//   bytes [4k, 4k + 4) one after the other for every k < ACCUM_DEPTH / 4; the
//   OUTPUT_DEPTH % 4 last rows as usual. One LDM then loads 16 weights of 4 rows.
// - scratch (kFilterInterleaved4 only, else ignored): 2 * ACCUM_DEPTH bytes, 4-aligned,
//   where the kernel widens the input once per batch; nullptr to widen it in registers.
// All values are computed by the converter (scripts/utensor/ops/fully_connected.py);
// nothing is checked at run time.

#include <stdint.h>

#include "utensor/kernels/detail/kernel_util.hpp"
#include "utensor/kernels/params/fully_connected.hpp"

namespace utensor {
namespace kernels {

static const int32_t kFilterRows = 0;          // [OUTPUT_DEPTH, ACCUM_DEPTH]
static const int32_t kFilterInterleaved4 = 1;  // see above; DSP kernel only

/// int8 FC: input/filter/output int8, bias int32 [OUTPUT_DEPTH] or nullptr.
void fully_connected_s8(const FullyConnectedS8Params& params, const int8_t* input,
                        const int8_t* filter, const int32_t* bias, int8_t* output);

/// fully_connected_s8 for the layers the converter gives kFilterInterleaved4 weights on DSP
/// cores and OUTPUT_DEPTH % 4 == 0 (_groups4), or kFilterRows weights on every core
/// (_rows) (ops/fully_connected.py): the DSP cores then link only the loop the layer runs.
void fully_connected_s8_groups4(const FullyConnectedS8Params& params, const int8_t* input,
                                const int8_t* filter, const int32_t* bias, int8_t* output);
void fully_connected_s8_rows(const FullyConnectedS8Params& params, const int8_t* input,
                             const int8_t* filter, const int32_t* bias, int8_t* output);

/// 16x8 FC: input/output int16 (zero point 0), filter int8, bias int64 [OUTPUT_DEPTH] or
/// nullptr; int64 accumulators requantized as detail/s16_requant.hpp. DSP and Helium
/// variants: kernels/arm/s16_weighted_*.cpp (params.acc32 lets them sum in int32).
void fully_connected_s16(const FullyConnectedS16Params& params, const int16_t* input,
                         const int8_t* filter, const int64_t* bias, int16_t* output);

/// float32 FC: bias [OUTPUT_DEPTH] or nullptr; output clamped to the activation range.
void fully_connected_f32(const FullyConnectedF32Params& params, const float* input,
                         const float* filter, const float* bias, float* output);

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_FULLY_CONNECTED_HPP
