// Host runner for generated models: the converter's tests compile models with this file
// and stream samples through one of them. For each sample it reads every input (in order,
// raw little-endian bytes as the descriptor sizes them) from stdin, invokes the model and
// writes every output to stdout. The model is the registry's first, or the one whose
// index is the first argument (one build serves a batch of models). It exits 0 at end of
// input, 2 on a short read, 3 when invoke() fails, 4 for an index out of range, 5 for an
// unknown command.
// Stateful models: by default every sample starts from the reset state (each sample alone,
// as the oracle runs it). With "seq" as the second argument, the stream is a sequence of
// commands instead: 'I' then the inputs (invoke, state carried over), or 'R' (reset()).
#include <stdio.h>
#include <stdlib.h>

#include "utensor/model.hpp"

namespace {

bool read_exactly(uint8_t* dst, size_t n, bool* eof_at_start) {
  size_t got = 0;
  while (got < n) {
    size_t r = fread(dst + got, 1, n - got, stdin);
    if (r == 0) {
      *eof_at_start = (got == 0);
      return false;
    }
    got += r;
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  const size_t index = argc > 1 ? static_cast<size_t>(strtoul(argv[1], nullptr, 10)) : 0;
  if (index >= utensor_model_registry_size) return 4;
  const utensor::ModelDescriptor& m = *utensor_model_registry[index];
  const bool sequence = argc > 2 && argv[2][0] == 's';
  for (;;) {
    if (sequence) {
      uint8_t command = 0;
      bool eof_at_start = false;
      if (!read_exactly(&command, 1, &eof_at_start)) return 0;
      if (command == 'R') {
        if (m.reset != nullptr) m.reset();
        continue;
      }
      if (command != 'I') return 5;
    } else if (m.reset != nullptr) {
      m.reset();
    }
    for (uint8_t i = 0; i < m.num_inputs; ++i) {
      bool eof_at_start = false;
      if (!read_exactly(m.inputs[i].data, m.inputs[i].bytes, &eof_at_start)) {
        return (i == 0 && eof_at_start) ? 0 : 2;
      }
    }
    utensor::Status s = m.invoke();
    if (s != utensor::Status::ok) {
      fprintf(stderr, "invoke failed: status %d\n", static_cast<int>(s));
      return 3;
    }
    for (uint8_t i = 0; i < m.num_outputs; ++i) {
      fwrite(m.outputs[i].data, 1, m.outputs[i].bytes, stdout);
    }
    fflush(stdout);
  }
}
