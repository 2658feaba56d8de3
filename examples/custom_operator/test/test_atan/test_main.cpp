// On-board test: the model with the project's Atan operator gives the outputs computed
// by make_model.py in numpy (vectors.h), within 1e-5 relative, for every test input; a
// failing user operator stops invoke() with its status.
#include <math.h>

#include "dense_atan.hpp"
#include "utensor_unit.h"
#include "vectors.h"

static DenseAtan model;

static bool close_enough(float got, float want) {
  const float tol = 1e-5f * (fabsf(want) > 1e-1f ? fabsf(want) : 1e-1f);
  return fabsf(got - want) <= tol;
}

static void test_outputs_match_numpy_reference(void) {
  for (int v = 0; v < kNumVectors; ++v) {
    for (int i = 0; i < 4; ++i) model.input_x_data()[i] = kInputs[v][i];
    UT_ASSERT(model.invoke() == utensor::Status::ok);
    for (int j = 0; j < 3; ++j) {
      const float got = model.output_0_data()[j];
      if (!close_enough(got, kExpected[v][j])) {
        UT_FAIL_AT("vector %d output %d: Act: %ld Ref: %ld (x1e6)", v, j,
                   lroundf(got * 1e6f), lroundf(kExpected[v][j] * 1e6f));
      }
    }
  }
}

static void test_nan_propagates_through_user_op(void) {
  model.input_x_data()[0] = NAN;  // my_op.cpp computes atanf(NAN) = NAN: still ok
  UT_ASSERT(model.invoke() == utensor::Status::ok);
  UT_ASSERT(model.output_0_data()[0] != model.output_0_data()[0]);  // NaN propagates
}

int main() {
  UT_BEGIN();
  UT_RUN(test_outputs_match_numpy_reference);
  UT_RUN(test_nan_propagates_through_user_op);
  int rc = UT_END();
  utensor_port_exit(rc);
  return rc;
}
