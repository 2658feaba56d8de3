// Runs every generated model linked in (utensor_model_registry) once on a fixed input and
// prints its outputs, for the build matrix (test/test_build_matrix.py): each build of the
// runtime and the model, whatever its core, optimization level, LTO or C++ standard, must
// print the same bytes, those of the reference interpreter on the same input.
//   input element i of an int8 tensor: its zero point + (i * 131 + 7) mod 8 - 4 (small
//   noise around zero keeps a classifier's outputs away from saturation, so they show
//   differences); byte i of any other input: (i * 131 + 7) mod 256
//   output lines: "OUT <model> <tensor index> <bytes as lowercase hex>", then "DONE <status>"
#include <stddef.h>
#include <stdint.h>

#include "utensor/core/types.hpp"
#include "utensor/model.hpp"

extern "C" void fw_puts(const char* s);

namespace {

void put_hex(const uint8_t* data, uint32_t n) {
  static const char kDigits[] = "0123456789abcdef";
  char chunk[65];
  uint32_t used = 0;
  for (uint32_t i = 0; i < n; ++i) {
    chunk[used++] = kDigits[data[i] >> 4];
    chunk[used++] = kDigits[data[i] & 15];
    if (used == 64 || i + 1 == n) {
      chunk[used] = '\0';
      fw_puts(chunk);
      used = 0;
    }
  }
}

void put_uint(uint32_t v) {
  char text[11];
  int i = 10;
  text[i] = '\0';
  do {
    text[--i] = static_cast<char>('0' + v % 10);
    v /= 10;
  } while (v != 0);
  fw_puts(text + i);
}

}  // namespace

int main() {
  int failures = 0;
  for (size_t m = 0; m < utensor_model_registry_size; ++m) {
    const utensor::ModelDescriptor& model = *utensor_model_registry[m];
    for (uint8_t t = 0; t < model.num_inputs; ++t) {
      const utensor::TensorDescriptor& in = model.inputs[t];
      for (uint32_t i = 0; i < in.bytes; ++i) {
        if (in.dtype == utensor::DType::i8) {
          int32_t v = in.zero_point + static_cast<int32_t>((i * 131u + 7u) % 8u) - 4;
          v = v < -128 ? -128 : v > 127 ? 127 : v;
          in.data[i] = static_cast<uint8_t>(v);
        } else {
          in.data[i] = static_cast<uint8_t>(i * 131u + 7u);
        }
      }
    }
    const utensor::Status status = model.invoke();
    if (status != utensor::Status::ok) ++failures;
    for (uint8_t t = 0; t < model.num_outputs; ++t) {
      fw_puts("OUT ");
      fw_puts(model.name);
      fw_puts(" ");
      put_uint(t);
      fw_puts(" ");
      put_hex(model.outputs[t].data, model.outputs[t].bytes);
      fw_puts("\n");
    }
  }
  fw_puts(failures == 0 ? "DONE ok\n" : "DONE failed\n");
  return failures;
}
