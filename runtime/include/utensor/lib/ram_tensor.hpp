#ifndef UTENSOR_LIB_RAM_TENSOR_HPP
#define UTENSOR_LIB_RAM_TENSOR_HPP

#include "utensor/core/tensor.hpp"

namespace utensor {

// A tensor whose storage comes from the default context's RAM data allocator. The storage
// is bound to a Handle, so an allocator that compacts (CircularArenaAllocator::rebalance)
// may move it: never keep read_ptr()/write_ptr() across an allocation. When allocation
// fails, ok() is false and every access raises not_bound. The object is neither copyable
// nor movable (the allocator holds the address of its handle).
class RamTensor : public TensorInterface {
 public:
  RamTensor(const TensorShape& shape, DType type);
  ~RamTensor() override;

  // True when the storage was obtained.
  bool ok() const { return handle_.ptr != nullptr; }

  const void* read_ptr() const override { return handle_.ptr; }
  void* write_ptr() override { return handle_.ptr; }

 private:
  AllocatorInterface* allocator_;
  Handle handle_;
};

}  // namespace utensor

#endif  // UTENSOR_LIB_RAM_TENSOR_HPP
