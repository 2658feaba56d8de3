// hello_world: y = sin(x) by a 1-16-16-1 network quantized to int8, run through the class
// utensor generated from models/sine_int8.tflite at build time.
#include <math.h>
#include <stdio.h>

#include "sine_int8.hpp"
#include "utensor/port.hpp"

int main() {
  utensor_port_init();
  SineInt8 model;
  const utensor::TensorDescriptor& in = SineInt8::descriptor().inputs[0];
  const utensor::TensorDescriptor& out = SineInt8::descriptor().outputs[0];

  printf("utensor hello_world: arena %u bytes, weights %u bytes\n",
         static_cast<unsigned>(SineInt8::kArenaBytes), static_cast<unsigned>(SineInt8::kWeightBytes));
  const float kStep = 6.2831853f / 8;
  for (int i = 0; i <= 8; ++i) {
    const float x = i * kStep;
    // Quantize x with the model's input parameters, run, dequantize y.
    long q = lroundf(x / in.scale) + in.zero_point;
    q = q < -128 ? -128 : (q > 127 ? 127 : q);
    model.input()(0, 0) = static_cast<int8_t>(q);
    const uint32_t start = utensor_port_cycles();
    if (model.invoke() != utensor::Status::ok) {
      printf("invoke failed\n");
      utensor_port_exit(1);
    }
    const uint32_t used = utensor_port_cycles() - start;
    const int8_t qy = model.output()(0, 0);
    const float y = (qy - out.zero_point) * out.scale;
    // Thousandths as integers: newlib-nano's printf has no %f unless linked in (+8 KB).
    printf("x = %5ld/1000  y = %5ld/1000  sin(x) = %5ld/1000  (%lu %s)\n", lroundf(x * 1000),
           lroundf(y * 1000), lroundf(sinf(x) * 1000), static_cast<unsigned long>(used),
           utensor_port_counter_unit());
  }
  utensor_port_exit(0);
  return 0;
}
