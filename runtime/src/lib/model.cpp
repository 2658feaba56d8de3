#include "utensor/model.hpp"

#include "utensor/core/context.hpp"

namespace utensor {

BufferTensor& refuse_tensor_index(BufferTensor& empty, size_t index) {
  empty.set_data(nullptr);  // a caller's set_data() on it must not stick
  raise_error(EventId::model_error, Status::out_of_bounds, static_cast<int32_t>(index), &empty);
  return empty;
}

uint8_t* arena_address(uint8_t* arena, size_t offset) { return arena ? arena + offset : nullptr; }

}  // namespace utensor
