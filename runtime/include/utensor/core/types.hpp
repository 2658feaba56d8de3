#ifndef UTENSOR_CORE_TYPES_HPP
#define UTENSOR_CORE_TYPES_HPP

#include <stddef.h>
#include <stdint.h>

namespace utensor {

// Element types. The numeric values are part of the serial protocol and the generated
// model descriptor: append only, never renumber.
enum class DType : uint8_t {
  i8 = 0,
  u8 = 1,
  i16 = 2,
  u16 = 3,
  i32 = 4,
  u32 = 5,
  f32 = 6,
  i64 = 7,
  b8 = 8,
};

// Bytes per element of `t` (0 for an unknown value).
size_t dtype_size(DType t);

}  // namespace utensor

#endif  // UTENSOR_CORE_TYPES_HPP
