#include "utensor/kernels/fully_connected.hpp"

#include "utensor/kernels/arch.hpp"
#include "utensor/kernels/fixedpoint.hpp"

// The float kernel must round every product before adding it, as TFLite's reference
// does on the host: a fused multiply-add (GCC contracts by default on FPUs that have one,
// e.g. Cortex-M4F/M7/M33/M55) changes results by up to ~1e-5 relative on long sums.
#if defined(__clang__)
#define UTENSOR_NO_FP_CONTRACT
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#define UTENSOR_NO_FP_CONTRACT __attribute__((optimize("fp-contract=off")))
#else
#define UTENSOR_NO_FP_CONTRACT
#endif

namespace utensor {
namespace kernels {

#if !UTENSOR_KERNELS_DSP && !UTENSOR_KERNELS_MVE  // else runtime/src/kernels/arm/
void fully_connected_s8(const FullyConnectedS8Params& params, const int8_t* input,
                        const int8_t* filter, const int32_t* bias, int8_t* output) {
  const int32_t batches = params.shape.batches;
  const int32_t depth = params.shape.accum_depth;
  const int32_t out_depth = params.shape.output_depth;
  const int32_t input_offset = params.input_offset;
  for (int32_t b = 0; b < batches; ++b) {
    const int8_t* in_row = input + b * depth;
    for (int32_t o = 0; o < out_depth; ++o) {
      const int8_t* w_row = filter + o * depth;
      int32_t acc = 0;
      if (input_offset == 0) {
        // The converter folded the input offset into the bias (or the zero point is 0).
        for (int32_t d = 0; d < depth; ++d) {
          acc += static_cast<int32_t>(w_row[d]) * static_cast<int32_t>(in_row[d]);
        }
      } else {
        for (int32_t d = 0; d < depth; ++d) {
          acc += static_cast<int32_t>(w_row[d]) * (static_cast<int32_t>(in_row[d]) + input_offset);
        }
      }
      if (bias) acc += bias[o];
      const int ch = params.per_channel ? o : 0;
      int32_t v = MultiplyByQuantizedMultiplier(acc, params.output_multiplier[ch],
                                                params.output_shift[ch]);
      v += params.output_offset;
      output[b * out_depth + o] =
          static_cast<int8_t>(ClampI32(v, params.activation_min, params.activation_max));
    }
  }
}

#endif  // !UTENSOR_KERNELS_DSP && !UTENSOR_KERNELS_MVE

UTENSOR_NO_FP_CONTRACT
void fully_connected_f32(const FullyConnectedF32Params& params, const float* input,
                         const float* filter, const float* bias, float* output) {
  const int32_t batches = params.shape.batches;
  const int32_t depth = params.shape.accum_depth;
  const int32_t out_depth = params.shape.output_depth;
  for (int32_t b = 0; b < batches; ++b) {
    const float* in_row = input + b * depth;
    for (int32_t o = 0; o < out_depth; ++o) {
      const float* w_row = filter + o * depth;
      // Summation order as TFLite's reference kernel, so rounding matches closely.
      float total = 0.f;
      for (int32_t d = 0; d < depth; ++d) total += in_row[d] * w_row[d];
      const float v = total + (bias ? bias[o] : 0.0f);
      output[b * out_depth + o] =
          v < params.activation_min ? params.activation_min
                                    : (v > params.activation_max ? params.activation_max : v);
    }
  }
}

}  // namespace kernels
}  // namespace utensor
