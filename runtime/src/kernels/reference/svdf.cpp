#include "utensor/kernels/svdf.hpp"

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

namespace utensor {
namespace kernels {

namespace {

// The history moves one step: element k + 1 to k over the whole buffer, so each filter's
// oldest entry takes the previous filter's newest, which the new column then overwrites.
template <typename T>
void shift_state(T* state, int32_t count) {
  for (int32_t k = 0; k + 1 < count; ++k) state[k] = state[k + 1];
}

template <typename T>
void svdf_integer(const SvdfS8Params& p, const int8_t* input, const int8_t* weights_feature,
                  const T* weights_time, const int32_t* bias, T* state, int8_t* output,
                  int32_t* scratch) {
  const SvdfShape& s = p.shape;
  const int32_t state_min = sizeof(T) == 1 ? -128 : -32768;
  const int32_t state_max = sizeof(T) == 1 ? 127 : 32767;
  int32_t* time_acc = scratch;                               // [BATCHES, FILTERS]
  int32_t* unit_acc = scratch + s.batches * s.num_filters;   // [BATCHES, UNITS]
  shift_state(state, s.batches * s.num_filters * s.memory_size);
  for (int32_t b = 0; b < s.batches; ++b) {
    const int8_t* x = input + b * s.input_size;
    T* newest = state + b * s.num_filters * s.memory_size + (s.memory_size - 1);
    const int8_t* w = weights_feature;
    for (int32_t f = 0; f < s.num_filters; ++f) {
      int32_t acc = 0;
      for (int32_t i = 0; i < s.input_size; ++i) {
        acc += static_cast<int32_t>(*w++) * (static_cast<int32_t>(x[i]) - p.input_zero_point);
      }
      acc = MultiplyByQuantizedMultiplier(acc, p.feature_multiplier, p.feature_shift) + p.state_zero_point;
      acc = acc < state_min ? state_min : (acc > state_max ? state_max : acc);
      newest[f * s.memory_size] = static_cast<T>(acc);
    }
  }
  for (int32_t b = 0; b < s.batches; ++b) {
    const T* h = state + b * s.num_filters * s.memory_size;
    const T* wt = weights_time;
    for (int32_t f = 0; f < s.num_filters; ++f) {
      // Wrapping sum: TFLite's int32 accumulator, without its overflow being undefined here.
      uint32_t acc = 0;
      for (int32_t m = 0; m < s.memory_size; ++m) {
        acc += static_cast<uint32_t>(static_cast<int32_t>(*wt++) * (static_cast<int32_t>(*h++) - p.state_zero_point));
      }
      time_acc[b * s.num_filters + f] = static_cast<int32_t>(acc);
    }
  }
  for (int32_t b = 0; b < s.batches; ++b) {
    const int32_t* t = time_acc + b * s.num_filters;
    int32_t* u = unit_acc + b * s.num_units;
    for (int32_t j = 0; j < s.num_units; ++j) {
      uint32_t acc = bias != nullptr ? static_cast<uint32_t>(bias[j]) : 0u;
      for (int32_t r = 0; r < s.rank; ++r) acc += static_cast<uint32_t>(*t++);
      u[j] = static_cast<int32_t>(acc);
    }
  }
  for (int32_t k = 0; k < s.batches * s.num_units; ++k) {
    int32_t v = MultiplyByQuantizedMultiplier(unit_acc[k], p.time_multiplier, p.time_shift) + p.output_zero_point;
    v = v < -128 ? -128 : (v > 127 ? 127 : v);
    output[k] = static_cast<int8_t>(v);
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
                 const int16_t* weights_time, const int32_t* bias, int16_t* state, int8_t* output,
                 int32_t* scratch) {
  svdf_integer(params, input, weights_feature, weights_time, bias, state, output, scratch);
}

void svdf_s8_s8(const SvdfS8Params& params, const int8_t* input, const int8_t* weights_feature,
                const int8_t* weights_time, const int32_t* bias, int8_t* state, int8_t* output,
                int32_t* scratch) {
  svdf_integer(params, input, weights_feature, weights_time, bias, state, output, scratch);
}

}  // namespace kernels
}  // namespace utensor
