// The generic harness firmware: every model of the registry, driven over the board port.
#include "utensor/harness.hpp"

int main() { return utensor::harness::serve(); }
