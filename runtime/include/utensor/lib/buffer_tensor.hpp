#ifndef UTENSOR_LIB_BUFFER_TENSOR_HPP
#define UTENSOR_LIB_BUFFER_TENSOR_HPP

#include "utensor/core/tensor.hpp"

namespace utensor {

// A tensor over caller-owned memory (no copy, no allocation): generated models place
// every activation at a planned offset of one static arena with these.
//   alignas(16) static uint8_t arena[1024];
//   BufferTensor in(TensorShape({1, 640}), DType::i8, arena + 0);
// The buffer must hold num_bytes() bytes and outlive the tensor.
class BufferTensor : public TensorInterface {
 public:
  BufferTensor(const TensorShape& shape, DType type, void* data)
      : TensorInterface(shape, type), data_(data) {}

  // The caller's buffer.
  void* data() { return data_; }
  const void* data() const { return data_; }
  // Points the tensor at another buffer of the same size (e.g. double buffering).
  void set_data(void* data) { data_ = data; }

  const void* read_ptr() const override { return data_; }
  void* write_ptr() override { return data_; }

 private:
  void* data_;
};

}  // namespace utensor

#endif  // UTENSOR_LIB_BUFFER_TENSOR_HPP
