// What the size report measures: the runtime core a generated model relies on (Tensor
// handle, BufferTensor, Context, a static arena allocator, SimpleErrorHandler), exercised
// so nothing is optimized away. Also linked with the heap made unavailable.
#include "utensor/utensor.hpp"

namespace {
utensor::SimpleErrorHandler errH(8);
utensor::LocalLinearArenaAllocator<128> arena;  // tensor metadata and data
}  // namespace

int main() {
  utensor::Context* ctx = utensor::Context::get_default_context();
  ctx->set_ErrorHandler(&errH);
  ctx->set_metadata_allocator(&arena);
  void* data = arena.allocate(4);
  utensor::Tensor t = new utensor::BufferTensor({2, 2}, utensor::DType::u8, data);
  t(1, 1) = uint8_t(0xef);
  t(0, 0) = uint8_t(0xde);
  uint16_t v = t(0, 0);
  uint8_t out_of_bounds = t(2, 2);
  return (v == 0x00de && out_of_bounds == 0 && errH.size() == 1) ? 0 : 1;
}
