#ifndef UTENSOR_LIB_LINEAR_ARENA_ALLOCATOR_HPP
#define UTENSOR_LIB_LINEAR_ARENA_ALLOCATOR_HPP

#include <stddef.h>
#include <stdint.h>

#include "utensor/core/allocator.hpp"

namespace utensor {

// A bump-pointer allocator over one static arena: the allocator for offline-planned
// models (one allocation holds the whole planned arena) and for tensor metadata that lives
// as long as the program. allocate() is O(1); deallocate() gives memory back only for the
// most recent block (LIFO of depth one), everything else comes back with reset(). Blocks
// never move, so bind() simply points the handle at the block and rebalance() is a no-op.
class LinearArenaAllocator : public AllocatorInterface {
 public:
  static const size_t kAlign = 8;

  // Manages `bytes` bytes at `buffer` (the start is rounded up to kAlign).
  LinearArenaAllocator(void* buffer, size_t bytes);

  void* allocate(size_t bytes) override;
  void deallocate(void* ptr) override;
  size_t available() const override;
  Status bind(void* ptr, Handle* h) override;
  Status unbind(Handle* h) override;
  bool is_bound(const void* ptr, const Handle* h) const override;
  Status rebalance() override;
  bool contains(const void* ptr) const override;

  // Frees every block at once.
  void reset() { top_ = last_ = 0; }
  // Bytes handed out (alignment padding included) and the most ever handed out.
  size_t used() const { return top_; }
  size_t high_water() const { return high_water_; }
  size_t capacity() const { return capacity_; }

 private:
  uint8_t* base_;
  size_t capacity_;
  size_t top_;
  size_t last_;  // offset of the most recent block, for the LIFO-of-one deallocate
  size_t high_water_;
};

// A LinearArenaAllocator with its arena inside the object (a static or stack object).
template <size_t N>
class LocalLinearArenaAllocator : public LinearArenaAllocator {
 public:
  LocalLinearArenaAllocator() : LinearArenaAllocator(storage_, N) {}

 private:
  alignas(LinearArenaAllocator::kAlign) uint8_t storage_[N];
};

}  // namespace utensor

#endif  // UTENSOR_LIB_LINEAR_ARENA_ALLOCATOR_HPP
