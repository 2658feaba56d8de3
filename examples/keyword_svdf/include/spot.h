// Feeds one feature frame of the stream to the spotter: shared by src/main.cpp and the
// pio test.
#ifndef KEYWORD_SPOT_H
#define KEYWORD_SPOT_H

#include <string.h>

#include "keyword_svdf.hpp"
#include "stream.h"

// Runs the model on frame `index` of kFrames, continuing from the state the previous call
// left; the kNumClasses int8 class scores, or nullptr if invoke fails.
static inline const int8_t* spot(KeywordSvdf& model, int index) {
  memcpy(model.input_0_data(), kFrames[index], kNumFeatures);
  if (model.invoke() != utensor::Status::ok) return nullptr;
  return model.output_0_data();
}

// The class with the largest score; ties go to the lower class, as numpy's argmax.
static inline int best_class(const int8_t* scores) {
  int best = 0;
  for (int c = 1; c < kNumClasses; ++c) {
    if (scores[c] > scores[best]) best = c;
  }
  return best;
}

#endif  // KEYWORD_SPOT_H
