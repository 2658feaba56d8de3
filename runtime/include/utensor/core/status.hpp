#ifndef UTENSOR_CORE_STATUS_HPP
#define UTENSOR_CORE_STATUS_HPP

#include <stdint.h>

namespace utensor {

// X-macro: the enum and its name table are expanded from this one list so they cannot drift.
#define UTENSOR_STATUS_LIST(X)                                                  \
  X(ok, "ok")                                                                   \
  X(error, "error")                                                             \
  X(out_of_memory, "out of memory")                                             \
  X(out_of_bounds, "index out of bounds")                                       \
  X(write_to_rom, "write to read-only tensor")                                  \
  X(dtype_mismatch, "dtype mismatch")                                           \
  X(shape_mismatch, "shape mismatch")                                           \
  X(invalid_argument, "invalid argument")                                       \
  X(not_bound, "handle not bound")                                              \
  X(arena_corrupted, "arena canary overwritten")                                \
  X(unsupported, "unsupported")                                                 \
  X(version_mismatch, "runtime version mismatch")                               \
  X(timeout, "timeout")

enum class Status : uint8_t {
#define UTENSOR_STATUS_ENUM(name, text) name,
  UTENSOR_STATUS_LIST(UTENSOR_STATUS_ENUM)
#undef UTENSOR_STATUS_ENUM
};

// Human-readable name of a status; "" when UTENSOR_NO_LOG_STRINGS strips strings from flash.
const char* status_name(Status s);

}  // namespace utensor

#endif  // UTENSOR_CORE_STATUS_HPP
