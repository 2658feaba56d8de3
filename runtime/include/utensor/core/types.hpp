#ifndef UTENSOR_CORE_TYPES_HPP
#define UTENSOR_CORE_TYPES_HPP

#include <stddef.h>
#include <stdint.h>

#include <type_traits>

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

// The original uTensor's unqualified spellings: with `using namespace utensor;`,
// `new BufferTensor({2, 2}, u8, buf)` compiles as its documentation wrote it.
constexpr DType i8 = DType::i8;
constexpr DType u8 = DType::u8;
constexpr DType i16 = DType::i16;
constexpr DType u16 = DType::u16;
constexpr DType i32 = DType::i32;
constexpr DType u32 = DType::u32;
constexpr DType flt = DType::f32;

// The DType that stores a C++ type, for dtype-checked accessors: dtype_of<int8_t>::value.
template <typename T>
struct dtype_of;
template <> struct dtype_of<int8_t> : std::integral_constant<DType, DType::i8> {};
template <> struct dtype_of<uint8_t> : std::integral_constant<DType, DType::u8> {};
template <> struct dtype_of<int16_t> : std::integral_constant<DType, DType::i16> {};
template <> struct dtype_of<uint16_t> : std::integral_constant<DType, DType::u16> {};
template <> struct dtype_of<int32_t> : std::integral_constant<DType, DType::i32> {};
template <> struct dtype_of<uint32_t> : std::integral_constant<DType, DType::u32> {};
template <> struct dtype_of<float> : std::integral_constant<DType, DType::f32> {};
template <> struct dtype_of<int64_t> : std::integral_constant<DType, DType::i64> {};
template <> struct dtype_of<bool> : std::integral_constant<DType, DType::b8> {};

// Most dimensions a shape can have. Kept equal to kMaxRank of model.hpp.
static const uint8_t kMaxShapeRank = 4;

// A tensor shape of rank 0..4, row-major (last dimension varies fastest). Built from a
// braced list: TensorShape({1, 640}); a fifth dimension does not compile. The templated
// constructors accept any integer type so `{rows, cols}` with int variables is not a
// narrowing error.
class TensorShape {
 public:
  // A scalar: rank 0, one element.
  constexpr TensorShape() : dims_{1, 1, 1, 1}, rank_(0) {}
  template <typename A,
            typename = typename std::enable_if<std::is_integral<A>::value>::type>
  constexpr TensorShape(A d0) : dims_{u(d0), 1, 1, 1}, rank_(1) {}
  template <typename A, typename B>
  constexpr TensorShape(A d0, B d1) : dims_{u(d0), u(d1), 1, 1}, rank_(2) {}
  template <typename A, typename B, typename C>
  constexpr TensorShape(A d0, B d1, C d2) : dims_{u(d0), u(d1), u(d2), 1}, rank_(3) {}
  template <typename A, typename B, typename C, typename D>
  constexpr TensorShape(A d0, B d1, C d2, D d3) : dims_{u(d0), u(d1), u(d2), u(d3)}, rank_(4) {}

  // Number of dimensions (0..4).
  uint8_t rank() const { return rank_; }
  // Size of dimension i; 1 for i >= rank() so code can treat every shape as 4-D.
  uint32_t operator[](size_t i) const {
    return i < rank_ && i < kMaxShapeRank ? dims_[i] : 1u;
  }
  // Product of the dimensions (1 for a scalar).
  size_t num_elements() const {
    size_t n = 1;
    for (uint8_t i = 0; i < rank_; ++i) n *= dims_[i];
    return n;
  }
  bool operator==(const TensorShape& o) const {
    if (rank_ != o.rank_) return false;
    for (uint8_t i = 0; i < rank_; ++i) {
      if (dims_[i] != o.dims_[i]) return false;
    }
    return true;
  }
  bool operator!=(const TensorShape& o) const { return !(*this == o); }

 private:
  template <typename T>
  static constexpr uint32_t u(T v) { return static_cast<uint32_t>(v); }
  uint32_t dims_[kMaxShapeRank];
  uint8_t rank_;
};

}  // namespace utensor

#endif  // UTENSOR_CORE_TYPES_HPP
