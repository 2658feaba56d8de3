// Runs the digits model on one held-out image: shared by src/main.cpp and the pio test.
#ifndef DIGITS_CLASSIFY_H
#define DIGITS_CLASSIFY_H

#include "digits_cnn.hpp"
#include "heldout.h"

// The class (0..9) the model predicts for held-out image `index`, or -1 if invoke fails.
static inline int classify(DigitsCnn& model, int index) {
  int8_t* input = static_cast<int8_t*>(model.input().data());  // tensor names vary with the exporter
  for (int i = 0; i < 64; ++i) input[i] = kPixelToInput[kPixels[index][i]];
  if (model.invoke() != utensor::Status::ok) return -1;
  // The largest int8 score wins; ties go to the lower class, as numpy's argmax.
  const int8_t* scores = static_cast<const int8_t*>(model.output().data());
  int best = 0;
  for (int c = 1; c < 10; ++c) {
    if (scores[c] > scores[best]) best = c;
  }
  return best;
}

#endif  // DIGITS_CLASSIFY_H
