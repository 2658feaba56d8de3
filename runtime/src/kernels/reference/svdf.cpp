// SVDF, float32 and integer. The integer matrix products go through detail::dot_s8 and
// detail::dot_s16 (Helium, DSP or portable: the same int32 sums modulo 2^32, which is what
// TFLite Micro's int32 accumulators hold), so this one file serves every core. The zero
// points TFLite subtracts inside its sums are constant terms the converter precomputes
// (feature_offset, time_offset), leaving plain dot products.

#include "utensor/kernels/svdf.hpp"

#include <string.h>

#include "utensor/kernels/arch.hpp"
#include "utensor/kernels/detail/dot_s16.hpp"
#include "utensor/kernels/detail/dot_s8.hpp"
#include "utensor/kernels/fixedpoint.hpp"

// Rounding each product before the add, in TFLite's order: a fused multiply-add (GCC
// contracts by default on FPUs that have one) drifts past 1e-5 relative on long sums.
#if defined(__clang__)
#define UTENSOR_NO_FP_CONTRACT
#pragma clang fp contract(off)
#elif defined(__GNUC__)
#define UTENSOR_NO_FP_CONTRACT __attribute__((optimize("fp-contract=off")))
#else
#define UTENSOR_NO_FP_CONTRACT
#endif

// GCC would turn the copy loops below back into a memmove call.
#if defined(__GNUC__) && !defined(__clang__)
#define UTENSOR_NO_MEMMOVE __attribute__((optimize("no-tree-loop-distribute-patterns")))
#else
#define UTENSOR_NO_MEMMOVE
#endif

#if defined(__GNUC__)
#define UTENSOR_NOINLINE __attribute__((noinline))
#else
#define UTENSOR_NOINLINE
#endif

namespace utensor {
namespace kernels {

namespace {

// The history moves one step: element k + 1 to k over the whole buffer, so each filter's
// oldest entry takes the previous filter's newest, which the new column then overwrites.
// A forward copy one element down, so each read is ahead of every write before it: by 16
// bytes (Helium) or words (DSP cores load and store those unaligned). newlib-nano's
// memmove copies byte by byte, which cost about as much as the products themselves.
template <typename T>
UTENSOR_NO_MEMMOVE void shift_state(T* state, int32_t count) {
#if UTENSOR_KERNELS_MVE || UTENSOR_KERNELS_DSP
  uint8_t* dst = reinterpret_cast<uint8_t*>(state);
  const uint8_t* src = dst + sizeof(T);
  const int32_t bytes = count > 1 ? (count - 1) * static_cast<int32_t>(sizeof(T)) : 0;
#if UTENSOR_KERNELS_MVE
  for (int32_t i = 0; i < bytes; i += 16) {
    const mve_pred16_t p = vctp8q(static_cast<uint32_t>(bytes - i));
    vstrbq_p_u8(dst + i, vld1q_z_u8(src + i, p), p);
  }
#else
  int32_t i = 0;
  for (; i + 4 <= bytes; i += 4) {
    uint32_t w;
    memcpy(&w, src + i, sizeof w);
    memcpy(dst + i, &w, sizeof w);
  }
  for (; i < bytes; ++i) dst[i] = src[i];
#endif
#else
  for (int32_t k = 0; k + 1 < count; ++k) state[k] = state[k + 1];
#endif
}

// Out of line: inlined into the kernel's loops, GCC spills the dot loops' registers to the
// stack (8 loads and stores per 4 products on the M4); a call costs less.
UTENSOR_NOINLINE int32_t dot(int32_t acc, const int8_t* a, const int8_t* b, int32_t n) {
  return detail::dot_s8(acc, a, b, n);
}
UTENSOR_NOINLINE int32_t dot(int32_t acc, const int16_t* a, const int16_t* b, int32_t n) {
  return detail::dot_s16(acc, a, b, n);
}

// TFLite computes every batch's new state column, then every batch's time filter. A batch's
// output reads only its own history, so one batch at a time gives the same numbers without
// TFLite's int32 scratch.
template <typename T>
void svdf_integer(const SvdfS8Params& p, const int8_t* input, const int8_t* weights_feature,
                  const T* weights_time, const int32_t* bias, T* state, int8_t* output) {
  const SvdfShape& s = p.shape;
  const int32_t state_min = sizeof(T) == 1 ? -128 : -32768;
  const int32_t state_max = sizeof(T) == 1 ? 127 : 32767;
  const int32_t history = s.num_filters * s.memory_size;
  shift_state(state, s.batches * history);
  for (int32_t b = 0; b < s.batches; ++b) {
    const int8_t* x = input + b * s.input_size;
    T* h = state + b * history;
    for (int32_t f = 0; f < s.num_filters; ++f) {
      const int32_t offset = p.feature_offset != nullptr ? p.feature_offset[f] : 0;
      int32_t acc = dot(offset, weights_feature + f * s.input_size, x, s.input_size);
      acc = MultiplyByQuantizedMultiplier(acc, p.feature_multiplier, p.feature_shift);
      acc = acc < state_min ? state_min : (acc > state_max ? state_max : acc);
      // The oracle (tflite_micro 0.dev20261023) clamps before adding the zero point and the
      // narrowing wraps (int8 state only; int16's zero point is 0). Later TFLM adds it first.
      h[f * s.memory_size + s.memory_size - 1] = static_cast<T>(acc + p.state_zero_point);
    }
    const T* wt = weights_time;
    int8_t* y = output + b * s.num_units;
    for (int32_t j = 0; j < s.num_units; ++j) {
      // bias + the unit's RANK filter sums, each TFLite's int32 sum, added modulo 2^32 as TFLite's.
      uint32_t start = bias != nullptr ? static_cast<uint32_t>(bias[j]) : 0u;
      if (p.time_offset != nullptr) start += static_cast<uint32_t>(p.time_offset[j]);
      int32_t acc = static_cast<int32_t>(start);
      for (int32_t r = 0; r < s.rank; ++r) {
        acc = dot(acc, wt, h, s.memory_size);
        wt += s.memory_size;
        h += s.memory_size;
      }
      int32_t v = MultiplyByQuantizedMultiplier(acc, p.time_multiplier, p.time_shift) + p.output_zero_point;
      v = v < -128 ? -128 : (v > 127 ? 127 : v);
      y[j] = static_cast<int8_t>(v);
    }
  }
}

}  // namespace

UTENSOR_NO_FP_CONTRACT
void svdf_f32(const SvdfF32Params& p, const float* input, const float* weights_feature,
              const float* weights_time, const float* bias, float* state, float* output,
              float* scratch) {
  const SvdfShape& s = p.shape;
  shift_state(state, s.batches * s.num_filters * s.memory_size);
  for (int32_t b = 0; b < s.batches; ++b) {
    const float* x = input + b * s.input_size;
    float* newest = state + b * s.num_filters * s.memory_size + (s.memory_size - 1);
    const float* w = weights_feature;
    for (int32_t f = 0; f < s.num_filters; ++f) {
      float acc = 0.0f;
      for (int32_t i = 0; i < s.input_size; ++i) acc += *w++ * x[i];
      newest[f * s.memory_size] = acc;
    }
  }
  for (int32_t b = 0; b < s.batches; ++b) {
    const float* h = state + b * s.num_filters * s.memory_size;
    const float* wt = weights_time;
    for (int32_t f = 0; f < s.num_filters; ++f) {
      float acc = 0.0f;
      for (int32_t m = 0; m < s.memory_size; ++m) acc += *wt++ * *h++;
      scratch[b * s.num_filters + f] = acc;
    }
  }
  for (int32_t b = 0; b < s.batches; ++b) {
    const float* t = scratch + b * s.num_filters;
    float* y = output + b * s.num_units;
    for (int32_t j = 0; j < s.num_units; ++j) {
      float acc = bias != nullptr ? bias[j] : 0.0f;
      for (int32_t r = 0; r < s.rank; ++r) acc += *t++;
      acc = acc < p.activation_min ? p.activation_min : acc;
      y[j] = acc > p.activation_max ? p.activation_max : acc;
    }
  }
}

void svdf_s8_s16(const SvdfS8Params& params, const int8_t* input, const int8_t* weights_feature,
                 const int16_t* weights_time, const int32_t* bias, int16_t* state, int8_t* output) {
  svdf_integer(params, input, weights_feature, weights_time, bias, state, output);
}

void svdf_s8_s8(const SvdfS8Params& params, const int8_t* input, const int8_t* weights_feature,
                const int8_t* weights_time, const int32_t* bias, int8_t* state, int8_t* output) {
  svdf_integer(params, input, weights_feature, weights_time, bias, state, output);
}

}  // namespace kernels
}  // namespace utensor
