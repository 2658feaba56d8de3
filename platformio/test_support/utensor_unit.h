/* Minimal on-board unit testing for utensor firmware tests, header only.
 *
 * Prints Unity's line format, which PlatformIO's `pio test` parser (and utensor's
 * custom test runner) understands, through utensor_port_write(): no Unity library, no
 * heap, the same on QEMU and silicon.
 *
 *   static void test_add(void) { UT_ASSERT_EQ_INT(4, 2 + 2); }
 *   int main(void) {
 *     UT_BEGIN();
 *     UT_RUN(test_add);          // -> test/test_x/main.c:7:test_add:PASS
 *     return UT_END();           // -> "1 Tests 0 Failures 0 Ignored", exit code 0
 *   }
 *
 * The custom test runner adds this folder to the include path of `pio test` builds. */
#ifndef UTENSOR_UNIT_H
#define UTENSOR_UNIT_H

#include <stdio.h>
#include <string.h>

#include "utensor/port.hpp"

static int ut_tests_run, ut_tests_failed, ut_current_failed;

/* Writes a formatted line to the board UART without touching stdio's heap buffers. */
#define UT_PRINTF(...)                                          \
  do {                                                          \
    char ut_line_[192];                                         \
    int ut_n_ = snprintf(ut_line_, sizeof ut_line_, __VA_ARGS__); \
    if (ut_n_ > (int)sizeof ut_line_ - 1) ut_n_ = (int)sizeof ut_line_ - 1; \
    if (ut_n_ > 0) utensor_port_write((const uint8_t*)ut_line_, (size_t)ut_n_); \
  } while (0)

#define UT_BEGIN()       \
  do {                   \
    utensor_port_init(); \
    ut_tests_run = 0;    \
    ut_tests_failed = 0; \
  } while (0)

#define UT_RUN(fn)                                                \
  do {                                                            \
    ut_current_failed = 0;                                        \
    fn();                                                         \
    ut_tests_run++;                                               \
    if (!ut_current_failed) {                                     \
      UT_PRINTF("%s:%d:%s:PASS\n", __FILE__, __LINE__, #fn);      \
    } else {                                                      \
      ut_tests_failed++;                                          \
    }                                                             \
  } while (0)

#define UT_FAIL_AT(msg_fmt, ...)                                                     \
  do {                                                                               \
    ut_current_failed = 1;                                                           \
    UT_PRINTF("%s:%d:%s:FAIL: " msg_fmt "\n", __FILE__, __LINE__, __func__, __VA_ARGS__); \
    return;                                                                          \
  } while (0)

#define UT_ASSERT(cond) \
  do { if (!(cond)) UT_FAIL_AT("%s", "Expression Evaluated To FALSE: " #cond); } while (0)

#define UT_ASSERT_EQ_INT(expected, actual)                                          \
  do {                                                                              \
    long ut_e_ = (long)(expected), ut_a_ = (long)(actual);                           \
    if (ut_e_ != ut_a_) UT_FAIL_AT("Expected %ld Was %ld", ut_e_, ut_a_);             \
  } while (0)

/* Prints the summary line; returns the exit code (0 when every test passed). */
static inline int ut_end(void) {
  UT_PRINTF("\n-----------------------\n%d Tests %d Failures 0 Ignored\n%s\n", ut_tests_run,
            ut_tests_failed, ut_tests_failed ? "FAIL" : "OK");
  return ut_tests_failed ? 1 : 0;
}
#define UT_END() ut_end()

#endif /* UTENSOR_UNIT_H */
