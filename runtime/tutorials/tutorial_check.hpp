#ifndef UTENSOR_TUTORIAL_CHECK_HPP
#define UTENSOR_TUTORIAL_CHECK_HPP

// The tutorials are programs that check what they claim: CHECK prints and counts failures,
// main returns the count (CMake registers each tutorial as a test).
#include <stdio.h>

static int tutorial_failures = 0;

#define CHECK(cond)                                                    \
  do {                                                                 \
    if (!(cond)) {                                                     \
      printf("%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);  \
      ++tutorial_failures;                                             \
    }                                                                  \
  } while (0)

#endif  // UTENSOR_TUTORIAL_CHECK_HPP
