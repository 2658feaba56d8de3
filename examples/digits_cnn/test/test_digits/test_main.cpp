// On-board test: for every held-out digit, the board predicts the same class as
// TensorFlow Lite Micro (include/heldout.h, written by make_heldout.py); the accuracy
// is printed and equals the reference's.
#include "classify.h"
#include "utensor_unit.h"

static DigitsCnn model;

static void test_predictions_equal_tflite_micro(void) {
  int correct = 0;
  for (int i = 0; i < kNumHeldOut; ++i) {
    const int predicted = classify(model, i);
    if (predicted != kReferencePredictions[i]) {
      UT_FAIL_AT("image %d: Act: %d Ref: %d", i, predicted, kReferencePredictions[i]);
    }
    correct += (predicted == kLabels[i]);
  }
  const int tenths = (correct * 1000 + kNumHeldOut / 2) / kNumHeldOut;
  UT_PRINTF("digits accuracy on the board: %d/%d = %d.%d%%\n", correct, kNumHeldOut,
            tenths / 10, tenths % 10);
  UT_ASSERT_EQ_INT(kReferenceCorrect, correct);
}

int main() {
  UT_BEGIN();
  UT_RUN(test_predictions_equal_tflite_micro);
  int rc = UT_END();
  utensor_port_exit(rc);
  return rc;
}
