#include "utensor/lib/rom_tensor.hpp"

namespace utensor {

void* RomTensor::write_ptr() {
  raise_error(EventId::tensor_error, Status::write_to_rom, 0, this);
  return nullptr;
}

Status RomTensor::write_bytes(size_t offset, const void*, size_t) {
  return raise_error(EventId::tensor_error, Status::write_to_rom, static_cast<int32_t>(offset),
                     this);
}

}  // namespace utensor
