#include "utensor/kernels/detail/fc_requant.hpp"
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
namespace {

// Sums of w0[d] * (x[d] + offset) and w1[d] * (x[d] + offset) over n elements: two rows
// per pass share each input load. A leaf function so its few live values stay in
// registers at -Os (where the inlined loop spilled).
__attribute__((noinline)) void dot2_s8(const int8_t* x, const int8_t* w0, const int8_t* w1,
                                       int32_t n, int32_t offset, int32_t* acc0_io,
                                       int32_t* acc1_io) {
  int32_t acc0 = *acc0_io;
  int32_t acc1 = *acc1_io;
  for (; n > 0; --n) {
    const int32_t xv = static_cast<int32_t>(*x++) + offset;
    acc0 += static_cast<int32_t>(*w0++) * xv;
    acc1 += static_cast<int32_t>(*w1++) * xv;
  }
  *acc0_io = acc0;
  *acc1_io = acc1;
}

}  // namespace

void fully_connected_s8(const FullyConnectedS8Params& params, const int8_t* input,
                        const int8_t* filter, const int32_t* bias, int8_t* output) {
  const int32_t depth = params.shape.accum_depth;
  const int32_t out_depth = params.shape.output_depth;
  for (int32_t b = 0; b < params.shape.batches; ++b) {
    const int8_t* x = input + b * depth;
    int8_t* out = output + b * out_depth;
    for (int32_t o = 0; o < out_depth; o += 2) {
      // An odd last row is paired with itself: computed twice, stored once.
      const bool pair = o + 1 < out_depth;
      const int8_t* w0 = filter + o * depth;
      int32_t acc0 = bias ? bias[o] : 0;
      int32_t acc1 = (bias && pair) ? bias[o + 1] : 0;
      dot2_s8(x, w0, pair ? w0 + depth : w0, depth, params.input_offset, &acc0, &acc1);
      out[o] = detail::fc_requantize(params, acc0, o);
      if (pair) out[o + 1] = detail::fc_requantize(params, acc1, o + 1);
    }
  }
}

#endif  // !UTENSOR_KERNELS_DSP && !UTENSOR_KERNELS_MVE

namespace {

inline float clamp_f32(float v, float lo, float hi) { return v < lo ? lo : (v > hi ? hi : v); }

// Dot products of x with two weight rows over n elements, each summed in order. A leaf
// function so its few live values stay in registers at -Os.
UTENSOR_NO_FP_CONTRACT __attribute__((noinline)) void dot2_f32(const float* x, const float* w0,
                                                              const float* w1, int32_t n,
                                                              float* total0_out,
                                                              float* total1_out) {
  float total0 = 0.f;
  float total1 = 0.f;
  for (; n > 0; --n) {
    const float xv = *x++;
    total0 += xv * *w0++;
    total1 += xv * *w1++;
  }
  *total0_out = total0;
  *total1_out = total1;
}

}  // namespace

// Two output rows per pass share each input load; every row still sums its products in
// TFLite's order (d = 0, 1, ...), so results are unchanged.
UTENSOR_NO_FP_CONTRACT
void fully_connected_f32(const FullyConnectedF32Params& params, const float* input,
                         const float* filter, const float* bias, float* output) {
  const int32_t depth = params.shape.accum_depth;
  const int32_t out_depth = params.shape.output_depth;
  const float lo = params.activation_min;
  const float hi = params.activation_max;
  for (int32_t b = 0; b < params.shape.batches; ++b) {
    const float* x = input + b * depth;
    float* out = output + b * out_depth;
    int32_t o = 0;
    for (; o + 2 <= out_depth; o += 2) {
      const float* w0 = filter + o * depth;
      float total0;
      float total1;
      dot2_f32(x, w0, w0 + depth, depth, &total0, &total1);
      out[o] = clamp_f32(total0 + (bias ? bias[o] : 0.0f), lo, hi);
      out[o + 1] = clamp_f32(total1 + (bias ? bias[o + 1] : 0.0f), lo, hi);
    }
    if (o < out_depth) {
      const float* w0 = filter + o * depth;
      float total = 0.f;
      for (int32_t d = 0; d < depth; ++d) total += x[d] * w0[d];
      out[o] = clamp_f32(total + (bias ? bias[o] : 0.0f), lo, hi);
    }
  }
}

#if !UTENSOR_KERNELS_DSP || UTENSOR_KERNELS_MVE  // else arm/fully_connected_dsp.cpp
// No kernels of their own here: the general entry takes these layers as well.
void fully_connected_s8_groups4(const FullyConnectedS8Params& params, const int8_t* input,
                                const int8_t* filter, const int32_t* bias, int8_t* output) {
  fully_connected_s8(params, input, filter, bias, output);
}

void fully_connected_s8_rows(const FullyConnectedS8Params& params, const int8_t* input,
                             const int8_t* filter, const int32_t* bias, int8_t* output) {
  fully_connected_s8(params, input, filter, bias, output);
}
#endif

}  // namespace kernels
}  // namespace utensor
