// keyword_svdf: streams kNumFrames feature frames (include/stream.h) through the int8 SVDF
// keyword spotter utensor generated from models/keyword_svdf.tflite, one frame per
// invoke(), and prints what it hears. The words in the stream are printed beside it.
#include <stdio.h>

#include "spot.h"
#include "utensor/port.hpp"

int main() {
  utensor_port_init();
  KeywordSvdf model;  // starts from the reset state
  printf("utensor keyword_svdf: arena %u bytes (state %u), weights %u bytes\n",
         static_cast<unsigned>(KeywordSvdf::kArenaBytes),
         static_cast<unsigned>(KeywordSvdf::kStateBytes),
         static_cast<unsigned>(KeywordSvdf::kWeightBytes));
  uint32_t cycles = 0;
  int word = 0;
  for (int t = 0; t < kNumFrames; ++t) {
    const uint32_t start = utensor_port_cycles();
    const int8_t* scores = spot(model, t);
    cycles += utensor_port_cycles() - start;
    if (scores == nullptr) {
      printf("invoke failed on frame %d\n", t);
      utensor_port_exit(1);
    }
    const int heard = best_class(scores);
    const bool said = word < kNumWords && kWordEnds[word][0] == t;
    printf("frame %2d: %-7s", t, heard ? kClassNames[heard] : ".");
    if (said) printf("  <- \"%s\" ends here", kClassNames[kWordEnds[word++][1]]);
    printf("\n");
  }
  printf("%d frames, %lu %s per frame\n", kNumFrames,
         static_cast<unsigned long>(cycles / kNumFrames), utensor_port_counter_unit());
  utensor_port_exit(0);
  return 0;
}
