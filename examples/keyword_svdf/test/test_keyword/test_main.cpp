// On-board test: the spotter's class scores for every frame of the stream equal
// TensorFlow Lite Micro's (include/stream.h, written by ../make_vectors.py), with the SVDF
// state carried from frame to frame and reset() at the start and in the middle.
#include "spot.h"
#include "utensor_unit.h"

static KeywordSvdf model;

// The first class whose score differs from expected[frame], -1 when all agree.
static int first_difference(const int8_t* got, const int8_t (*expected)[kNumClasses], int frame) {
  for (int c = 0; c < kNumClasses; ++c) {
    if (got[c] != expected[frame][c]) return c;
  }
  return -1;
}

// Invokes frames [begin, end) and checks each one's scores; UT_FAIL_AT returns from the test.
#define EXPECT_FRAMES(begin, end, expected, pass)                                        \
  for (int t = (begin); t < (end); ++t) {                                                \
    const int8_t* got = spot(model, t);                                                  \
    UT_ASSERT(got != nullptr);                                                           \
    const int c = first_difference(got, expected, t);                                    \
    if (c >= 0) {                                                                        \
      UT_FAIL_AT("pass %s frame %d class %d: Act: %d Ref: %d", pass, t, c, got[c],       \
                 expected[t][c]);                                                        \
    }                                                                                    \
  }

// Pass A: one stream from the reset state.
static void test_stream_matches_tflite_micro(void) {
  model.reset();
  EXPECT_FRAMES(0, kNumFrames, kScoresA, "A");
}

// Pass B: the first half again after reset() (equal to pass A: nothing of the stream
// survives reset), then reset() and the second half from the reset state.
static void test_reset_mid_stream_matches_tflite_micro(void) {
  model.reset();
  EXPECT_FRAMES(0, kResetAt, kScoresB, "B");
  model.reset();
  EXPECT_FRAMES(kResetAt, kNumFrames, kScoresB, "B");
}

static void test_state_is_carried(void) {
  // Right after the reset in pass B the scores differ from pass A's, which had the frames
  // before kResetAt in its state (SVDF memory is finite: later frames agree again).
  UT_ASSERT(memcmp(kScoresA[kResetAt], kScoresB[kResetAt], kNumClasses) != 0);
  UT_ASSERT(KeywordSvdf::kStateBytes > 0);
}

int main() {
  UT_BEGIN();
  UT_RUN(test_stream_matches_tflite_micro);
  UT_RUN(test_reset_mid_stream_matches_tflite_micro);
  UT_RUN(test_state_is_carried);
  int rc = UT_END();
  utensor_port_exit(rc);
  return rc;
}
