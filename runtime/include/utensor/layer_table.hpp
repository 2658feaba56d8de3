#ifndef UTENSOR_LAYER_TABLE_HPP
#define UTENSOR_LAYER_TABLE_HPP

// Per-layer debugging (`utensor verify --layers`): a model converted with its layer table
// lists every operator output; the debug harness firmware, built with
// -DUTENSOR_HARNESS_LAYERS -DUTENSOR_LAYER_HOOK=utensor_harness_layer_done, copies one
// selected output into utensor_layer_capture[] right after its operator ran (the arena is
// reused by later operators, so that is the only moment the output is intact).
// Nothing here exists in a default build: the converter emits these symbols only with
// the layer table, and the default harness firmware never references them.

#include <stddef.h>
#include <stdint.h>

#include "utensor/model.hpp"

namespace utensor {

struct LayerDescriptor {
  uint16_t step;          // position in the generated run(): the UTENSOR_LAYER_HOOK argument
  uint16_t op_index;      // the operator's index in the source model
  uint32_t tensor_index;  // the output tensor's index in the source model
  const char* op_type;    // TFLite operator name, e.g. "CONV_2D"
  TensorDescriptor output;  // rank above 4 folded into the first dimension
};

struct LayerTable {
  uint16_t num_layers;
  const LayerDescriptor* layers;
};

}  // namespace utensor

// The layer tables of every model of the firmware, in registry order, and one buffer as
// large as the largest layer output (written by `utensor verify --layers` next to the
// generated models).
extern const utensor::LayerTable* const utensor_layer_registry[];
extern const size_t utensor_layer_registry_size;
extern uint8_t utensor_layer_capture[];
extern const uint32_t utensor_layer_capture_bytes;

#endif  // UTENSOR_LAYER_TABLE_HPP
