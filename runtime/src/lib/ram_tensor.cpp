#include "utensor/lib/ram_tensor.hpp"

namespace utensor {

RamTensor::RamTensor(const TensorShape& shape, DType type)
    : TensorInterface(shape, type),
      allocator_(Context::get_default_context()->get_ram_data_allocator()) {
  if (allocator_ == nullptr) {
    raise_error(EventId::allocator_error, Status::out_of_memory,
                static_cast<int32_t>(num_bytes()), this);
    return;
  }
  void* p = allocator_->allocate(num_bytes());
  if (p == nullptr) return;  // the allocator raised out_of_memory
  if (allocator_->bind(p, &handle_) != Status::ok) {
    allocator_->deallocate(p);
    handle_.ptr = nullptr;
  }
}

RamTensor::~RamTensor() {
  if (handle_.ptr != nullptr) {
    allocator_->unbind(&handle_);
    allocator_->deallocate(handle_.ptr);
  }
}

}  // namespace utensor
