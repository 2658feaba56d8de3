#ifndef UTENSOR_CORE_TENSOR_HPP
#define UTENSOR_CORE_TENSOR_HPP

// Tensors: TensorInterface (what every tensor kind implements) and Tensor (a small,
// move-only handle). Kinds shipped in lib/: BufferTensor (user buffer, no copy), RomTensor
// (const data, writes refused), RamTensor (storage from the context's data allocator).
//
// Element access, as in the original uTensor:
//   uint8_t buf[4] = {0xde, 0xad, 0xbe, 0xef};
//   Tensor t = new BufferTensor({2, 2}, DType::u8, buf);
//   uint8_t a = t(0, 1);    // 0xad
//   uint16_t v = t(0, 0);   // 0xadde: reads sizeof(uint16_t) bytes at the element
//   t(1, 1) = uint8_t(7);   // writes sizeof(uint8_t) bytes at the element
// t(i, j, ...) names the element's address; the C++ type you convert to (or assign) says
// how many bytes are read (or written) there, whatever the tensor's dtype.
// Byte order: multi-byte values are little-endian in tensor memory (as TFLite stores them
// and Cortex-M loads them), on every host: the value above is 0xadde everywhere.
// Safety, unlike the original: an index outside the shape, or a read/write whose bytes
// would pass the end of the tensor, raises an EventId::tensor_error event (out_of_bounds)
// and touches nothing (reads give 0). For dtype-checked access use get<T>() / set<T>(),
// which refuse a T whose DType differs from the tensor's (Status::dtype_mismatch).
// A single index on a tensor of rank > 1 is a linear (row-major) element index.
//
// Memory contract: `new SomeTensorKind(...)` never touches the heap. TensorInterface has
// class-level operator new/delete that take storage from the default Context's metadata
// allocator (set_metadata_allocator); without one, or when it is full, `new` yields
// nullptr and raises an out_of_memory event. The owning Tensor handle deletes the object,
// returning the storage to the allocator it came from (remembered per object, so changing
// the context's allocator later is safe). Placement new works; array new does not compile.

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <type_traits>

#include "utensor/core/context.hpp"
#include "utensor/core/status.hpp"
#include "utensor/core/types.hpp"

namespace utensor {

class TensorInterface;

namespace detail {
static const size_t kInvalidOffset = static_cast<size_t>(-1);

// Copies n bytes between native memory and a little-endian byte image (identity on
// little-endian hosts, a reversal on big-endian ones).
inline void to_little_endian(void* dst, const void* src, size_t n) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
  const uint8_t* s = static_cast<const uint8_t*>(src);
  uint8_t* d = static_cast<uint8_t*>(dst);
  for (size_t i = 0; i < n; ++i) d[i] = s[n - 1 - i];
#else
  memcpy(dst, src, n);
#endif
}

// A value of type T from its little-endian byte image; bool is any non-zero byte, so a
// stray byte never becomes an invalid bool.
template <typename T>
inline T from_little_endian(const uint8_t* bytes) {
  T value;
  to_little_endian(&value, bytes, sizeof(T));
  return value;
}
template <>
inline bool from_little_endian<bool>(const uint8_t* bytes) {
  return bytes[0] != 0;
}
}  // namespace detail

// Read-only proxy for one element; converts to any arithmetic type by reading that many
// bytes at the element's address.
class ConstElementRef {
 public:
  // Element at `byte_offset` of `t` (detail::kInvalidOffset: an index error, reads give 0).
  ConstElementRef(const TensorInterface* t, size_t byte_offset)
      : tensor_(t), offset_(byte_offset) {}
  // Reads sizeof(T) bytes at the element (little-endian); T() when refused.
  template <typename T,
            typename = typename std::enable_if<std::is_arithmetic<T>::value>::type>
  operator T() const {
    uint8_t bytes[sizeof(T)];
    if (read_raw(bytes, sizeof(T)) != Status::ok) return T();
    return detail::from_little_endian<T>(bytes);
  }
  // Reads n bytes at the element; out_of_bounds (with an event) if they pass the end.
  Status read_raw(void* dst, size_t n) const;
  // Byte offset of the element inside the tensor (kInvalidOffset after an index error).
  size_t byte_offset() const { return offset_; }

 protected:
  const TensorInterface* tensor_;
  size_t offset_;
};

// Read-write proxy for one element; assigning a value of type T writes sizeof(T) bytes.
class ElementRef : public ConstElementRef {
 public:
  // Element at `byte_offset` of `t`.
  ElementRef(TensorInterface* t, size_t byte_offset) : ConstElementRef(t, byte_offset) {}
  // Writes sizeof(T) bytes of `value` (little-endian) at the element, or nothing if refused.
  template <typename T,
            typename = typename std::enable_if<std::is_arithmetic<T>::value>::type>
  ElementRef& operator=(T value) {
    uint8_t bytes[sizeof(T)];
    detail::to_little_endian(bytes, &value, sizeof(T));
    write_raw(bytes, sizeof(T));
    return *this;
  }
  // Copies one element (dtype-sized) from another tensor element: t(0) = u(1).
  ElementRef& operator=(const ConstElementRef& other);
  // Same as above (an element copy, not a rebinding of the proxy).
  ElementRef& operator=(const ElementRef& other) {
    return *this = static_cast<const ConstElementRef&>(other);
  }
  ElementRef(const ElementRef&) = default;
  // Writes n bytes at the element; out_of_bounds / write_to_rom (with an event) on refusal.
  Status write_raw(const void* src, size_t n);
};

class TensorInterface {
 public:
  // A tensor of `shape` and `type`; storage is the kind's business.
  TensorInterface(const TensorShape& shape, DType type) : shape_(shape), type_(type) {}
  // Virtual so an owning Tensor handle destroys the right kind.
  virtual ~TensorInterface() {}

  // Shape and element type.
  const TensorShape& get_shape() const { return shape_; }
  DType get_type() const { return type_; }
  // Elements and bytes the tensor holds.
  size_t num_elements() const { return shape_.num_elements(); }
  size_t num_bytes() const { return shape_.num_elements() * dtype_size(type_); }

  // Contiguous row-major storage for kernels, or nullptr when this kind has none to give
  // (unallocated RamTensor; write_ptr() of a RomTensor, which also raises write_to_rom).
  virtual const void* read_ptr() const = 0;
  // Writable storage, or nullptr (see above).
  virtual void* write_ptr() = 0;

  // Copies n bytes from byte `offset`; refuses (out_of_bounds event) if offset + n passes
  // num_bytes(). The default goes through read_ptr(); kinds without storage override it.
  virtual Status read_bytes(size_t offset, void* dst, size_t n) const;
  // Copies n bytes to byte `offset`, same checks; the default goes through write_ptr().
  virtual Status write_bytes(size_t offset, const void* src, size_t n);

  // Element proxy: t(i, j, ...) with rank() indices, or one linear index; t() is element 0.
  ElementRef operator()() { return ElementRef(this, 0); }
  ConstElementRef operator()() const { return ConstElementRef(this, 0); }
  template <typename I0, typename... I>
  ElementRef operator()(I0 i0, I... rest) {
    const size_t idx[] = {static_cast<size_t>(i0), static_cast<size_t>(rest)...};
    return ElementRef(this, byte_offset_of(idx, 1 + sizeof...(rest)));
  }
  template <typename I0, typename... I>
  ConstElementRef operator()(I0 i0, I... rest) const {
    const size_t idx[] = {static_cast<size_t>(i0), static_cast<size_t>(rest)...};
    return ConstElementRef(this, byte_offset_of(idx, 1 + sizeof...(rest)));
  }

  // Dtype-checked read: T must be the C++ type of get_type(); otherwise (or out of
  // bounds) raises an event and returns T().
  template <typename T, typename... I>
  T get(I... idx) const {
    if (!check_dtype(dtype_of<T>::value)) return T();
    return static_cast<T>((*this)(idx...));
  }
  // Dtype-checked write; returns ok, dtype_mismatch, out_of_bounds or write_to_rom.
  template <typename T, typename... I>
  Status set(T value, I... idx) {
    if (!check_dtype(dtype_of<T>::value)) return Status::dtype_mismatch;
    uint8_t bytes[sizeof(T)];
    detail::to_little_endian(bytes, &value, sizeof(T));
    return (*this)(idx...).write_raw(bytes, sizeof(T));
  }

  // Byte offset of the element at `idx` (count indices, or one linear index), or
  // detail::kInvalidOffset after raising an out_of_bounds / shape_mismatch event.
  size_t byte_offset_of(const size_t* idx, size_t count) const;
  // True when `t` is this tensor's dtype; raises dtype_mismatch otherwise.
  bool check_dtype(DType t) const;

  // Storage from the default context's metadata allocator (see the contract above).
  static void* operator new(size_t bytes) noexcept;
  // Returns the storage to the allocator it came from.
  static void operator delete(void* p) noexcept;
  // Placement new: constructs at `where`, allocates nothing.
  static void* operator new(size_t, void* where) noexcept { return where; }
  static void operator delete(void*, void*) noexcept {}
  // Arrays of tensors would need the heap: they do not compile.
  static void* operator new[](size_t) = delete;
  static void operator delete[](void*) = delete;

  TensorInterface(const TensorInterface&) = delete;
  TensorInterface& operator=(const TensorInterface&) = delete;

 protected:
  TensorShape shape_;
  DType type_;
};

// A small move-only handle. Built from `new Kind(...)` it owns the object and deletes it
// (returning its storage to the metadata allocator); Tensor::view(obj) only refers to an
// object owned elsewhere (e.g. a generated model's BufferTensor members). Every call on an
// empty handle raises a not_bound event and does nothing.
class Tensor {
 public:
  // An empty handle.
  Tensor() : t_(nullptr), owned_(false) {}
  // Takes ownership: `Tensor t = new BufferTensor(...)`. nullptr gives an empty handle.
  Tensor(TensorInterface* t) : t_(t), owned_(t != nullptr) {}
  // A non-owning handle to `t`.
  static Tensor view(TensorInterface& t) {
    Tensor h;
    h.t_ = &t;
    return h;
  }
  // Moves the reference (and ownership); `o` becomes empty.
  Tensor(Tensor&& o) : t_(o.t_), owned_(o.owned_) {
    o.t_ = nullptr;
    o.owned_ = false;
  }
  // Releases the current object, then moves `o` in.
  Tensor& operator=(Tensor&& o);
  Tensor(const Tensor&) = delete;
  Tensor& operator=(const Tensor&) = delete;
  ~Tensor() { release(); }

  // Deletes the object if owned; the handle becomes empty.
  void release();
  // The tensor object (nullptr when empty).
  TensorInterface* get() const { return t_; }
  // Member access; the handle must not be empty.
  TensorInterface* operator->() const { return t_; }
  TensorInterface& operator*() const { return *t_; }
  // True when the handle refers to a tensor.
  explicit operator bool() const { return t_ != nullptr; }

  // Forwarders; on an empty handle: not_bound event, empty shape / DType::i8 / 0.
  const TensorShape& get_shape() const;
  DType get_type() const;
  size_t num_elements() const { return t_ ? t_->num_elements() : (empty_access(), 0); }
  size_t num_bytes() const { return t_ ? t_->num_bytes() : (empty_access(), 0); }

  template <typename... I>
  ElementRef operator()(I... idx) {
    if (!t_) return ElementRef(nullptr, empty_access());
    return (*t_)(idx...);
  }
  template <typename... I>
  ConstElementRef operator()(I... idx) const {
    if (!t_) return ConstElementRef(nullptr, empty_access());
    return static_cast<const TensorInterface&>(*t_)(idx...);
  }
  template <typename T, typename... I>
  T get(I... idx) const {
    if (!t_) {
      empty_access();
      return T();
    }
    return static_cast<const TensorInterface&>(*t_).get<T>(idx...);
  }
  template <typename T, typename... I>
  Status set(T value, I... idx) {
    if (!t_) {
      empty_access();
      return Status::not_bound;
    }
    return t_->set<T>(value, idx...);
  }

 private:
  // Raises the not_bound event; returns detail::kInvalidOffset.
  static size_t empty_access();
  TensorInterface* t_;
  bool owned_;
};

}  // namespace utensor

#endif  // UTENSOR_CORE_TENSOR_HPP
