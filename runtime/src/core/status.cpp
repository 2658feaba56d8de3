#include "utensor/core/status.hpp"

#include "utensor/core/types.hpp"

namespace utensor {

const char* status_name(Status s) {
#ifdef UTENSOR_NO_LOG_STRINGS
  (void)s;
  return "";
#else
  // Expanded from the same list as the enum, so the table cannot drift from it.
  static const char* const kNames[] = {
#define UTENSOR_STATUS_NAME(name, text) text,
      UTENSOR_STATUS_LIST(UTENSOR_STATUS_NAME)
#undef UTENSOR_STATUS_NAME
  };
  const size_t i = static_cast<size_t>(s);
  return i < sizeof(kNames) / sizeof(kNames[0]) ? kNames[i] : "unknown status";
#endif
}

size_t dtype_size(DType t) {
  switch (t) {
    case DType::i8:
    case DType::u8:
    case DType::b8:
      return 1;
    case DType::i16:
    case DType::u16:
      return 2;
    case DType::i32:
    case DType::u32:
    case DType::f32:
      return 4;
    case DType::i64:
      return 8;
  }
  return 0;
}

}  // namespace utensor
