#ifndef UTENSOR_CUSTOM_OP_HPP
#define UTENSOR_CUSTOM_OP_HPP

// The user-operator extension point: run an operator utensor does not implement (a TF op
// exported as a TFLite custom op with `allow_custom_ops`, or a builtin utensor lacks) with
// code from your own project.
//
// Name the operator when converting:
//   platformio.ini:  custom_utensor_user_ops = Atan          (several: whitespace separated)
//   command line:    utensor convert model.tflite -o gen/ --user-op Atan
// The name is the custom code of a custom op (`CUSTOM:Atan` -> `Atan`) or the TFLite
// builtin name (`GELU`). Every occurrence of that operator in the model then becomes a call
//
//   utensor::Status utensor_user_op_Atan(const utensor::UserOpContext& ctx);
//
// which your project defines (any .cpp in src/), e.g.
//
//   #include "utensor/custom_op.hpp"
//   utensor::Status utensor_user_op_Atan(const utensor::UserOpContext& ctx) {
//     if (ctx.input(0).dtype != utensor::DType::f32) return utensor::Status::unsupported;
//     const float* x = ctx.input_data<float>(0);
//     float* y = ctx.output_data<float>(0);
//     for (uint32_t i = 0; i < ctx.input(0).num_elements(); ++i) y[i] = atanf(x[i]);
//     return utensor::Status::ok;
//   }
//
// A non-ok status stops invoke() and is returned by it. Inputs and outputs live in the
// model's arena (constant inputs in flash): read inputs, write outputs, keep no pointer
// past the call. An output may share memory with an input only if the converter says so
// (it never does for user operators). Without a definition the firmware fails to link,
// naming the function.

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "utensor/core/status.hpp"
#include "utensor/core/types.hpp"
#include "utensor/model.hpp"

namespace utensor {

// One input or output of a user operator, as the converter planned it.
struct UserOpTensor {
  const char* name;    // the tensor's name in the source model
  DType dtype;
  uint8_t rank;        // 0..kMaxRank
  int32_t dims[kMaxRank];  // unused trailing entries are 1
  float scale;         // 0 when not quantized (per-tensor parameters; per-channel: first)
  int32_t zero_point;
  uint32_t bytes;      // element count * dtype size
  const void* data;    // arena or flash address; outputs are writable through output_data()

  // Number of elements (product of the dimensions; 1 for a scalar).
  uint32_t num_elements() const {
    uint32_t n = 1;
    for (uint8_t i = 0; i < rank; ++i) n *= static_cast<uint32_t>(dims[i]);
    return n;
  }
};

// One option of the operator: a TFLite custom op's FlexBuffer map entries, or a builtin's
// options. Numbers are in both `i` (truncated) and `f`; enums and strings in `s` (else "").
struct UserOpParam {
  const char* key;
  int32_t i;
  float f;
  const char* s;
};

// Everything a user operator gets: its tensors, its options and its identity.
struct UserOpContext {
  const char* op_name;         // the name given to the converter, e.g. "Atan"
  uint32_t op_index;           // operator index in the source model (for messages)
  uint32_t num_inputs;
  uint32_t num_outputs;
  const UserOpTensor* inputs;  // num_inputs entries; omitted optional inputs have data == 0
  const UserOpTensor* outputs;
  uint32_t num_params;
  const UserOpParam* params;
  const uint8_t* custom_options;   // a custom op's raw option bytes (FlexBuffer), else 0
  uint32_t custom_options_bytes;

  // Input/output `i` (i < num_inputs / num_outputs).
  const UserOpTensor& input(uint32_t i) const { return inputs[i]; }
  const UserOpTensor& output(uint32_t i) const { return outputs[i]; }

  // Typed data of input/output `i`; the caller checks the dtype first.
  template <typename T>
  const T* input_data(uint32_t i) const { return static_cast<const T*>(inputs[i].data); }
  template <typename T>
  T* output_data(uint32_t i) const {
    // Outputs always point into the (mutable) arena; the const in UserOpTensor is for inputs.
    return static_cast<T*>(const_cast<void*>(outputs[i].data));
  }

  // The option named `key`, or 0 when the operator has none of that name.
  const UserOpParam* param(const char* key) const {
    for (uint32_t k = 0; k < num_params; ++k) {
      if (strcmp(params[k].key, key) == 0) return &params[k];
    }
    return 0;
  }
};

}  // namespace utensor

#endif  // UTENSOR_CUSTOM_OP_HPP
