// digits_cnn: classifies the 360 held-out 8x8 digits with the int8 CNN utensor generated
// from models/digits_cnn.tflite, prints each prediction and the accuracy.
#include <stdio.h>

#include "classify.h"
#include "utensor/port.hpp"

int main() {
  utensor_port_init();
  DigitsCnn model;
  printf("utensor digits_cnn: arena %u bytes, weights %u bytes\n",
         static_cast<unsigned>(DigitsCnn::kArenaBytes),
         static_cast<unsigned>(DigitsCnn::kWeightBytes));
  int correct = 0;
  uint32_t cycles = 0;
  for (int i = 0; i < kNumHeldOut; ++i) {
    const uint32_t start = utensor_port_cycles();
    const int predicted = classify(model, i);
    cycles += utensor_port_cycles() - start;
    if (predicted < 0) {
      printf("invoke failed on image %d\n", i);
      utensor_port_exit(1);
    }
    correct += (predicted == kLabels[i]);
    printf("image %3d: label %d predicted %d%s\n", i, kLabels[i], predicted,
           predicted == kLabels[i] ? "" : "  (wrong)");
  }
  // Percent with one decimal in integers: newlib-nano's printf has no %f.
  const int tenths = (correct * 1000 + kNumHeldOut / 2) / kNumHeldOut;
  printf("accuracy: %d/%d = %d.%d%% (TFLite Micro: %d/%d); %lu %s per image\n", correct,
         kNumHeldOut, tenths / 10, tenths % 10, kReferenceCorrect, kNumHeldOut,
         static_cast<unsigned long>(cycles / kNumHeldOut), utensor_port_counter_unit());
  utensor_port_exit(0);
  return 0;
}
