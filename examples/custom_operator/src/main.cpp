// custom_operator: runs models/dense_atan.tflite, whose "Atan" operator is this
// project's own code (my_op.cpp), and prints a few outputs.
#ifndef PIO_UNIT_TESTING  // pio test builds src/ for my_op.cpp and brings its own main()
#include <math.h>
#include <stdio.h>

#include "dense_atan.hpp"
#include "utensor/port.hpp"

int main() {
  utensor_port_init();
  DenseAtan model;
  printf("utensor custom_operator: arena %u bytes, weights %u bytes\n",
         static_cast<unsigned>(DenseAtan::kArenaBytes),
         static_cast<unsigned>(DenseAtan::kWeightBytes));
  for (int k = 0; k < 4; ++k) {
    float* x = model.input_x_data();
    for (int i = 0; i < 4; ++i) x[i] = 0.5f * (k - i);
    const utensor::Status status = model.invoke();
    if (status != utensor::Status::ok) {
      printf("invoke failed: %s\n", utensor::status_name(status));
      utensor_port_exit(1);
    }
    const float* y = model.output_0_data();
    // Thousandths as integers: newlib-nano's printf has no %f unless linked in.
    printf("x = %d/2 %d/2 %d/2 %d/2  ->  y = %ld %ld %ld (/1000)\n", k, k - 1, k - 2, k - 3,
           lroundf(y[0] * 1000), lroundf(y[1] * 1000), lroundf(y[2] * 1000));
  }
  utensor_port_exit(0);
  return 0;
}
#endif
