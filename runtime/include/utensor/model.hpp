#ifndef UTENSOR_MODEL_HPP
#define UTENSOR_MODEL_HPP

// The generic description every generated model exports, so one firmware (the serial
// harness, a test runner) can drive any model without knowing its class.

#include <stddef.h>
#include <stdint.h>

#include "utensor/core/status.hpp"
#include "utensor/core/types.hpp"
#include "utensor/lib/buffer_tensor.hpp"

namespace utensor {

static const uint8_t kMaxRank = 4;

struct TensorDescriptor {
  const char* name;        // the tensor's name in the source model
  DType dtype;
  uint8_t rank;
  int32_t dims[kMaxRank];  // unused trailing entries are 1
  float scale;             // 0 when not quantized
  int32_t zero_point;
  uint32_t bytes;          // rank product * dtype size
  uint8_t* data;           // fixed address inside the model's arena
};

struct ModelDescriptor {
  const char* name;          // C++ name of the model
  const char* source_sha256;  // sha256 of the model file it was generated from
  uint32_t runtime_version;   // UTENSOR_VERSION the code was generated for
  uint32_t arena_bytes;
  uint32_t weight_bytes;
  uint8_t num_inputs;
  uint8_t num_outputs;
  const TensorDescriptor* inputs;
  const TensorDescriptor* outputs;
  Status (*invoke)();         // runs the model once on the data behind `inputs`
  // Puts the model's state (variable tensors, kept across invoke() calls) back to its
  // initial values; a no-op for stateless models. nullptr in hand-written descriptors.
  void (*reset)();
  uint32_t state_bytes;       // of arena_bytes, the persistent state region (0: stateless)
};

// What a generated model's input(i) / output(i) return for an index out of range: its
// `empty` tensor (no elements, data reset to nullptr, so element access raises
// out_of_bounds), after raising a model_error event (out_of_bounds, detail = index).
BufferTensor& refuse_tensor_index(BufferTensor& empty, size_t index);

// `arena + offset`, or nullptr without an arena (a generated model's refused buffer).
// Out of line on purpose: it keeps the model constructors free of branches (GCC 12
// misjudges the length of Helium stores there and emits a CBZ that cannot reach).
uint8_t* arena_address(uint8_t* arena, size_t offset);

}  // namespace utensor

// All models of a firmware, in the order they were converted (written by the converter as
// utensor_models.cpp next to the generated models; one registry per firmware).
extern const utensor::ModelDescriptor* const utensor_model_registry[];
extern const size_t utensor_model_registry_size;

#endif  // UTENSOR_MODEL_HPP
