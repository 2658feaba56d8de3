// On-board test: the generated sine_int8 model gives, for every possible int8 input, the
// same output byte as TensorFlow Lite Micro (vectors.h, written by ../make_vectors.py).
#include "sine_int8.hpp"
#include "utensor_unit.h"
#include "vectors.h"

static SineInt8 model;

static void test_every_input_matches_tflite_micro(void) {
  for (int i = 0; i < kNumVectors; ++i) {
    model.input_x_data()[0] = kInputs[i];
    UT_ASSERT(model.invoke() == utensor::Status::ok);
    const int8_t got = model.output_0_data()[0];
    if (got != kExpected[i]) {
      UT_FAIL_AT("input %d: Act: %d Ref: %d", kInputs[i], got, kExpected[i]);
    }
  }
}

static void test_tensor_api_reads_what_invoke_wrote(void) {
  model.input()(0, 0) = static_cast<int8_t>(kInputs[200]);
  UT_ASSERT(model.invoke() == utensor::Status::ok);
  const int8_t via_tensor = model.output()(0, 0);
  UT_ASSERT_EQ_INT(kExpected[200], via_tensor);
}

static void test_descriptor_describes_the_model(void) {
  const utensor::ModelDescriptor& d = SineInt8::descriptor();
  UT_ASSERT_EQ_INT(1, d.num_inputs);
  UT_ASSERT_EQ_INT(1, d.num_outputs);
  UT_ASSERT_EQ_INT(static_cast<int>(utensor::DType::i8), static_cast<int>(d.inputs[0].dtype));
  UT_ASSERT_EQ_INT(1, d.inputs[0].bytes);
  UT_ASSERT(d.arena_bytes == SineInt8::kArenaBytes);
}

int main() {
  UT_BEGIN();
  UT_RUN(test_every_input_matches_tflite_micro);
  UT_RUN(test_tensor_api_reads_what_invoke_wrote);
  UT_RUN(test_descriptor_describes_the_model);
  int rc = UT_END();
  utensor_port_exit(rc);
  return rc;
}
