#include "utensor/core/tensor.hpp"

#include <string.h>

namespace utensor {

namespace {
// Storage of a `new`-ed tensor starts with the allocator it came from, so delete returns
// it there even if the context's metadata allocator changed meanwhile. 8 bytes keeps the
// object 8-byte aligned on every target.
union MetaPrefix {
  AllocatorInterface* allocator;
  uint64_t align;
};
static_assert(sizeof(MetaPrefix) == 8, "metadata prefix must stay 8 bytes");

// Constant-initialized, so no guard variable on bare metal.
const TensorShape kEmptyShape;

int32_t detail_of(size_t v) { return static_cast<int32_t>(v); }
}  // namespace

Status ConstElementRef::read_raw(void* dst, size_t n) const {
  if (offset_ == detail::kInvalidOffset || tensor_ == nullptr) return Status::out_of_bounds;
  return tensor_->read_bytes(offset_, dst, n);
}

Status ElementRef::write_raw(const void* src, size_t n) {
  if (offset_ == detail::kInvalidOffset || tensor_ == nullptr) return Status::out_of_bounds;
  return const_cast<TensorInterface*>(tensor_)->write_bytes(offset_, src, n);
}

ElementRef& ElementRef::operator=(const ConstElementRef& other) {
  // One element of this tensor's dtype; bounded so a wide source dtype cannot overflow.
  uint8_t bytes[8];
  size_t n = tensor_ ? dtype_size(tensor_->get_type()) : 0;
  if (n == 0 || n > sizeof(bytes)) return *this;
  if (other.read_raw(bytes, n) == Status::ok) write_raw(bytes, n);
  return *this;
}

Status TensorInterface::read_bytes(size_t offset, void* dst, size_t n) const {
  const void* p = read_ptr();
  if (p == nullptr) return raise_error(EventId::tensor_error, Status::not_bound, 0, this);
  const size_t size = num_bytes();
  if (offset > size || n > size - offset) {
    return raise_error(EventId::tensor_error, Status::out_of_bounds, detail_of(offset), this);
  }
  memcpy(dst, static_cast<const uint8_t*>(p) + offset, n);
  return Status::ok;
}

Status TensorInterface::write_bytes(size_t offset, const void* src, size_t n) {
  void* p = write_ptr();
  if (p == nullptr) return raise_error(EventId::tensor_error, Status::not_bound, 0, this);
  const size_t size = num_bytes();
  if (offset > size || n > size - offset) {
    return raise_error(EventId::tensor_error, Status::out_of_bounds, detail_of(offset), this);
  }
  memcpy(static_cast<uint8_t*>(p) + offset, src, n);
  return Status::ok;
}

size_t TensorInterface::byte_offset_of(const size_t* idx, size_t count) const {
  size_t linear = 0;
  if (count == 1) {
    linear = idx[0];
    if (linear >= num_elements()) {
      raise_error(EventId::tensor_error, Status::out_of_bounds, detail_of(linear), this);
      return detail::kInvalidOffset;
    }
  } else if (count == shape_.rank()) {
    for (size_t d = 0; d < count; ++d) {
      if (idx[d] >= shape_[d]) {
        raise_error(EventId::tensor_error, Status::out_of_bounds, detail_of(d), this);
        return detail::kInvalidOffset;
      }
      linear = linear * shape_[d] + idx[d];
    }
  } else {
    raise_error(EventId::tensor_error, Status::shape_mismatch, detail_of(count), this);
    return detail::kInvalidOffset;
  }
  return linear * dtype_size(type_);
}

bool TensorInterface::check_dtype(DType t) const {
  if (t == type_) return true;
  raise_error(EventId::tensor_error, Status::dtype_mismatch, static_cast<int32_t>(t), this);
  return false;
}

void* TensorInterface::operator new(size_t bytes) noexcept {
  AllocatorInterface* a = Context::get_default_context()->get_metadata_allocator();
  if (a == nullptr) {
    raise_error(EventId::allocator_error, Status::out_of_memory, detail_of(bytes), nullptr);
    return nullptr;
  }
  void* block = a->allocate(sizeof(MetaPrefix) + bytes);
  if (block == nullptr) return nullptr;  // the allocator raised the event
  MetaPrefix* prefix = static_cast<MetaPrefix*>(block);
  prefix->allocator = a;
  return prefix + 1;
}

void TensorInterface::operator delete(void* p) noexcept {
  if (p == nullptr) return;
  MetaPrefix* prefix = static_cast<MetaPrefix*>(p) - 1;
  prefix->allocator->deallocate(prefix);
}

Tensor& Tensor::operator=(Tensor&& o) {
  if (this != &o) {
    release();
    t_ = o.t_;
    owned_ = o.owned_;
    o.t_ = nullptr;
    o.owned_ = false;
  }
  return *this;
}

void Tensor::release() {
  if (owned_) delete t_;
  t_ = nullptr;
  owned_ = false;
}

const TensorShape& Tensor::get_shape() const {
  if (t_ == nullptr) {
    empty_access();
    return kEmptyShape;
  }
  return t_->get_shape();
}

DType Tensor::get_type() const {
  if (t_ == nullptr) {
    empty_access();
    return DType::i8;
  }
  return t_->get_type();
}

size_t Tensor::empty_access() {
  raise_error(EventId::tensor_error, Status::not_bound, 0, nullptr);
  return detail::kInvalidOffset;
}

}  // namespace utensor
