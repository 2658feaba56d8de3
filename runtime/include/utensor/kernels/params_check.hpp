#ifndef UTENSOR_KERNELS_PARAMS_CHECK_HPP
#define UTENSOR_KERNELS_PARAMS_CHECK_HPP

// Compile-time checks that a kernel parameter struct is laid out as the converter's table
// (scripts/utensor/kernel_params.py) describes it. Generated code initializes the structs
// by position, so for every struct a model initializes its .cpp states, field by field in
// the table's order:
//   UTENSOR_PARAMS_FIRST(S, f0, T0);      f0 has type T0 and sits at offset 0
//   UTENSOR_PARAMS_NEXT(S, f0, f1, T1);   f1 has type T1 and sits right after f0
//   ...
//   UTENSOR_PARAMS_END(S, fn);            nothing follows fn but padding
// Together: the struct has exactly the table's fields, types and order, on any target
// (offsets are derived from sizeof/alignof, not written down). A struct edited by hand,
// reordered, or from another utensor version fails the build with the fix in the message
// instead of computing garbage.

#include <stddef.h>

namespace utensor {
namespace params_check {

template <typename A, typename B>
struct Same {
  static const bool value = false;
};
template <typename A>
struct Same<A, A> {
  static const bool value = true;
};

/// The offset a member of alignment `align` gets after `end` bytes of members.
constexpr size_t after(size_t end, size_t align) { return (end + align - 1) / align * align; }

}  // namespace params_check
}  // namespace utensor

#define UTENSOR_PARAMS_MESSAGE(S, f)                                                          \
  "utensor: " #S "::" #f " is not laid out as the converter's parameter table says: the "    \
  "struct was edited by hand or this runtime and the converter come from different "         \
  "versions. Change the table (scripts/utensor/kernel_params.py) and run `python -m "        \
  "utensor.kernel_params --write`, or convert with the converter of this runtime."

#define UTENSOR_PARAMS_FIRST(S, f, T)                                                     \
  static_assert(::utensor::params_check::Same<decltype(S::f), T>::value &&               \
                    offsetof(S, f) == 0,                                                  \
                UTENSOR_PARAMS_MESSAGE(S, f))

#define UTENSOR_PARAMS_NEXT(S, prev, f, T)                                                \
  static_assert(::utensor::params_check::Same<decltype(S::f), T>::value &&               \
                    offsetof(S, f) == ::utensor::params_check::after(                      \
                                          offsetof(S, prev) + sizeof(S::prev), alignof(T)), \
                UTENSOR_PARAMS_MESSAGE(S, f))

#define UTENSOR_PARAMS_END(S, last)                                                          \
  static_assert(sizeof(S) == ::utensor::params_check::after(                                 \
                                 offsetof(S, last) + sizeof(S::last), alignof(S)),           \
                UTENSOR_PARAMS_MESSAGE(S, last))

#endif  // UTENSOR_KERNELS_PARAMS_CHECK_HPP
