// cmake_mps2: the hello_world sine model, built by plain CMake. Prints y = sin(x) at
// nine points and the model's arena size, then exits through semihosting.
#include <math.h>
#include <stdio.h>

#include "sine_int8.hpp"
#include "utensor/port.hpp"

int main() {
  utensor_port_init();
  SineInt8 model;
  const utensor::TensorDescriptor& in = SineInt8::descriptor().inputs[0];
  const utensor::TensorDescriptor& out = SineInt8::descriptor().outputs[0];
  printf("utensor cmake_mps2: arena %u bytes\n", static_cast<unsigned>(SineInt8::kArenaBytes));
  for (int i = 0; i <= 8; ++i) {
    const float x = i * (6.2831853f / 8);
    long q = lroundf(x / in.scale) + in.zero_point;
    q = q < -128 ? -128 : (q > 127 ? 127 : q);
    model.input()(0, 0) = static_cast<int8_t>(q);
    if (model.invoke() != utensor::Status::ok) {
      printf("invoke failed\n");
      return 1;
    }
    const int8_t qy = model.output()(0, 0);
    // Integers only: newlib-nano's printf has no %f.
    printf("q_in = %4ld  q_out = %4d  y = %5ld/1000\n", q, qy,
           lroundf((qy - out.zero_point) * out.scale * 1000));
  }
  return 0;
}
