// Must NOT link: proves the no-heap link check of firmware_checks.cmake can fail.
#include <stdlib.h>

#include "utensor/utensor.hpp"

int main() {
  void* p = malloc(16);
  int* q = new int(3);
  int ok = p != nullptr && *q == 3;
  delete q;
  free(p);
  return ok ? 0 : 1;
}
