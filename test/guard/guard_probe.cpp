// Host driver for test/test_arena_guard.py: runs the first model of the registry once on
// the input bytes from stdin, optionally damaging one arena byte after a chosen layer
// through the emitter's layer hook (as a kernel writing past its buffer would), and prints
// what the guard reported: "status S events N detail D op T offset O", then the outputs
// as hex. Arguments: corrupt_after_layer (-1: none), arena byte offset, arena offset of
// input 0 (to find the arena's base from the descriptor).
#include <stdio.h>
#include <stdlib.h>

#include "utensor/core/context.hpp"
#include "utensor/guard.hpp"
#include "utensor/model.hpp"

namespace {

int g_corrupt_after = -1;
long g_corrupt_offset = 0;
uint8_t* g_arena = nullptr;

class Recorder : public utensor::ErrorHandler {
 public:
  void uThrow(const utensor::Event& e) override {
    ++count;
    last = e;
  }
  void notify(const utensor::Event&) override {}
  int count = 0;
  utensor::Event last = utensor::make_event(utensor::EventId::none, utensor::Status::ok);
};

}  // namespace

extern "C" void guard_probe_hook(int op_index) {
  if (op_index == g_corrupt_after) g_arena[g_corrupt_offset] ^= 0x40;
}

int main(int argc, char** argv) {
  if (argc != 4) return 2;
  g_corrupt_after = atoi(argv[1]);
  g_corrupt_offset = atol(argv[2]);
  const utensor::ModelDescriptor& m = *utensor_model_registry[0];
  g_arena = m.inputs[0].data - atol(argv[3]);
  for (uint8_t i = 0; i < m.num_inputs; ++i) {
    if (fread(m.inputs[i].data, 1, m.inputs[i].bytes, stdin) != m.inputs[i].bytes) return 2;
  }
  Recorder rec;
  utensor::Context::get_default_context()->set_ErrorHandler(&rec);
  utensor::Status s = m.invoke();
  const utensor::guard::Failure* f = static_cast<const utensor::guard::Failure*>(rec.last.source);
  printf("status %d events %d detail %d op %s offset %ld\n", static_cast<int>(s), rec.count,
         static_cast<int>(rec.last.detail), f ? f->op_type : "-",
         f ? static_cast<long>(f->canary_offset) : -1L);
  for (uint8_t i = 0; i < m.num_outputs; ++i) {
    for (uint32_t k = 0; k < m.outputs[i].bytes; ++k) printf("%02x", m.outputs[i].data[k]);
    printf("\n");
  }
  return 0;
}
