// Tutorial: a custom tensor kind.
//
// A tensor kind derives from utensor::TensorInterface and says where its bytes are:
//   - kinds with contiguous row-major storage return it from read_ptr()/write_ptr(); the
//     default read_bytes()/write_bytes() then do the bounds checks (BufferTensor, RamTensor);
//   - kinds without it return nullptr there and override read_bytes()/write_bytes(), which
//     receive byte offsets inside the tensor's row-major image (already meaningful for the
//     dtype) and must refuse anything past num_bytes() with an out_of_bounds event.
// Element access t(i, j), typed get<T>()/set<T>(), Tensor handles and `new` (from the
// metadata allocator) then work unchanged. Kernels need read_ptr(): copy a non-contiguous
// tensor into a BufferTensor before handing it to one.
//
// Here: a column view of a 2-D matrix (a strided view, no copy): element i of the view is
// element (i, column) of the parent.
#include <string.h>

#include "tutorial_check.hpp"
#include "utensor/utensor.hpp"

class ColumnView : public utensor::TensorInterface {
 public:
  ColumnView(utensor::BufferTensor& parent, uint32_t column)
      : TensorInterface(utensor::TensorShape({parent.get_shape()[0]}), parent.get_type()),
        parent_(parent), column_(column) {}

  // Not contiguous: no pointer for kernels.
  const void* read_ptr() const override { return nullptr; }
  void* write_ptr() override { return nullptr; }

  utensor::Status read_bytes(size_t offset, void* dst, size_t n) const override {
    uint8_t* out = static_cast<uint8_t*>(dst);
    for (size_t k = 0; k < n; ++k) {
      size_t at = 0;
      utensor::Status s = parent_offset(offset + k, &at);
      if (s != utensor::Status::ok) return s;
      out[k] = static_cast<const uint8_t*>(parent_.data())[at];
    }
    return utensor::Status::ok;
  }
  utensor::Status write_bytes(size_t offset, const void* src, size_t n) override {
    // Check the last byte first: a refused write must not be partial.
    if (n == 0) return utensor::Status::ok;
    size_t at = 0;
    utensor::Status s = parent_offset(offset + n - 1, &at);
    if (s != utensor::Status::ok) return s;
    for (size_t k = 0; k < n; ++k) {
      parent_offset(offset + k, &at);
      static_cast<uint8_t*>(parent_.data())[at] = static_cast<const uint8_t*>(src)[k];
    }
    return utensor::Status::ok;
  }

 private:
  // Maps byte `b` of this view's image to a byte offset in the parent.
  utensor::Status parent_offset(size_t b, size_t* at) const {
    if (b >= num_bytes()) {
      return utensor::raise_error(utensor::EventId::tensor_error,
                                  utensor::Status::out_of_bounds, static_cast<int32_t>(b),
                                  this);
    }
    const size_t es = utensor::dtype_size(type_);
    const size_t row = b / es;
    *at = (row * parent_.get_shape()[1] + column_) * es + b % es;
    return utensor::Status::ok;
  }
  utensor::BufferTensor& parent_;
  uint32_t column_;
};

int main() {
  using namespace utensor;
  SimpleErrorHandler errors(8);
  LocalCircularArenaAllocator<256> meta;
  Context::get_default_context()->set_ErrorHandler(&errors);
  Context::get_default_context()->set_metadata_allocator(&meta);

  int16_t m[3][4] = {{0, 1, 2, 3}, {10, 11, 12, 13}, {20, 21, 22, 23}};
  BufferTensor matrix({3, 4}, DType::i16, m);
  Tensor col = new ColumnView(matrix, 2);
  CHECK(col.get_shape() == TensorShape({3}));
  CHECK(col.get<int16_t>(0) == 2);
  CHECK(col.get<int16_t>(2) == 22);
  int16_t mid = col(1);
  CHECK(mid == 12);
  col(1) = int16_t(-5);  // writes through to the parent
  CHECK(m[1][2] == -5);
  CHECK(m[1][1] == 11 && m[1][3] == 13);

  // Bounds and dtype rules hold for the custom kind too.
  int16_t past = col(3);
  CHECK(past == 0);
  CHECK(col.set<int16_t>(1, 3) == Status::out_of_bounds);
  CHECK(col.set<int32_t>(1, 0) == Status::dtype_mismatch);
  uint32_t wide = col(2);  // 4 bytes from the last element: past the end
  CHECK(wide == 0);
  CHECK(errors.count(EventId::tensor_error) == 4);
  CHECK(m[2][2] == 22);

  col.release();
  CHECK(meta.num_blocks() == 0);
  printf("custom_tensor: %s\n", tutorial_failures ? "FAILED" : "ok");
  return tutorial_failures;
}
