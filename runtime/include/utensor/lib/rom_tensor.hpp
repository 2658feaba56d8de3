#ifndef UTENSOR_LIB_ROM_TENSOR_HPP
#define UTENSOR_LIB_ROM_TENSOR_HPP

#include "utensor/core/tensor.hpp"

namespace utensor {

// A tensor over const data (weights in flash). Every write is refused: it raises an
// EventId::tensor_error event with Status::write_to_rom and leaves the data untouched.
class RomTensor : public TensorInterface {
 public:
  RomTensor(const TensorShape& shape, DType type, const void* data)
      : TensorInterface(shape, type), data_(data) {}

  // The const data.
  const void* data() const { return data_; }

  const void* read_ptr() const override { return data_; }
  // Always nullptr, with a write_to_rom event.
  void* write_ptr() override;
  // Always Status::write_to_rom, with an event.
  Status write_bytes(size_t offset, const void* src, size_t n) override;

 private:
  const void* data_;
};

}  // namespace utensor

#endif  // UTENSOR_LIB_ROM_TENSOR_HPP
