// The runtime-parameter campaign firmware's reader of one draw's blob (the encoding of
// scripts/utensor/bench/rt_codec.py). Arrays are copied into a bump pool, 16-byte
// aligned as the converter's constant arrays are; any overrun marks the reader failed
// instead of reading past the blob or the pool.
#ifndef UTENSOR_RT_READER_HPP
#define UTENSOR_RT_READER_HPP

#include <stddef.h>
#include <stdint.h>
#include <string.h>

namespace utensor_rt {

enum PointerTag : uint8_t { kTagNull = 0, kTagArray = 1, kTagArena = 2 };

class Reader {
 public:
  Reader(const uint8_t* data, size_t n, uint8_t* pool, size_t pool_bytes)
      : p_(data), end_(data + n), pool_(pool), pool_used_(0), pool_bytes_(pool_bytes),
        arena_(nullptr), arena_bytes_(0), ok_(true) {}

  void set_arena(uint8_t* arena, size_t bytes) {
    arena_ = arena;
    arena_bytes_ = bytes;
  }
  bool ok() const { return ok_; }
  void fail() { ok_ = false; }
  size_t pool_used() const { return pool_used_; }

  template <typename T>
  void scalar(T* v) {
    if (!take(sizeof(T))) {
      *v = T();
      return;
    }
    memcpy(v, p_ - sizeof(T), sizeof(T));
  }
  uint8_t u8() {
    uint8_t v;
    scalar(&v);
    return v;
  }
  uint32_t u32() {
    uint32_t v;
    scalar(&v);
    return v;
  }

  // Pool memory for n elements of T, or nullptr (and failed).
  template <typename T>
  T* alloc(uint32_t n) {
    const size_t start = (pool_used_ + 15u) & ~static_cast<size_t>(15u);
    const size_t bytes = static_cast<size_t>(n) * sizeof(T);
    if (n == 0 || start > pool_bytes_ || bytes > pool_bytes_ - start) {
      ok_ = false;
      return nullptr;
    }
    pool_used_ = start + bytes;
    return reinterpret_cast<T*>(pool_ + start);
  }

  // A const pointer field whose elements are scalars.
  template <typename T>
  const T* array() {
    const uint8_t tag = u8();
    if (tag == kTagNull) return nullptr;
    if (tag != kTagArray) {
      ok_ = false;
      return nullptr;
    }
    return array_body<T>();
  }

  // An array's count and elements (its tag already read).
  template <typename T>
  const T* array_body() {
    const uint32_t n = u32();
    T* a = alloc<T>(n);
    if (a == nullptr || !take(static_cast<size_t>(n) * sizeof(T))) {
      ok_ = false;
      return nullptr;
    }
    memcpy(a, p_ - static_cast<size_t>(n) * sizeof(T), static_cast<size_t>(n) * sizeof(T));
    return a;
  }

  // A const pointer field whose elements are table structs (read by the generated read()).
  template <typename T>
  const T* struct_array();

  // A non-const pointer field: a place in the arena (scratch), or nullptr.
  template <typename T>
  T* arena_pointer() {
    const uint8_t tag = u8();
    if (tag == kTagNull) return nullptr;
    const uint32_t offset = u32();
    if (tag != kTagArena || arena_ == nullptr || offset > arena_bytes_) {
      ok_ = false;
      return nullptr;
    }
    return reinterpret_cast<T*>(arena_ + offset);
  }

 private:
  bool take(size_t n) {
    if (!ok_ || static_cast<size_t>(end_ - p_) < n) {
      ok_ = false;
      return false;
    }
    p_ += n;
    return true;
  }

  const uint8_t* p_;
  const uint8_t* end_;
  uint8_t* pool_;
  size_t pool_used_;
  size_t pool_bytes_;
  uint8_t* arena_;
  size_t arena_bytes_;
  bool ok_;
};

}  // namespace utensor_rt

#endif  // UTENSOR_RT_READER_HPP
