#ifndef UTENSOR_LIB_CIRCULAR_ARENA_ALLOCATOR_HPP
#define UTENSOR_LIB_CIRCULAR_ARENA_ALLOCATOR_HPP

#include <stddef.h>
#include <stdint.h>

#include "utensor/core/allocator.hpp"

namespace utensor {

// A general-purpose allocator over one arena, for tensors created and destroyed at run
// time (RamTensor data, tensor metadata). No heap, no fixed block table.
//
// Algorithm. Blocks sit back to back from the start of the arena, each behind a small
// header (size, in-use flag, bound handle); past the last block the arena is one free tail.
// allocate() takes the tail while it can (O(1)); when the tail is too short it wraps
// around to the start and reuses the first freed block that fits (first fit, split); when
// no free region fits but the free bytes in total would, it rebalances: every bound block
// (see bind()) slides down over the free gaps, its Handle is updated, unbound blocks stay
// pinned where they are, an EventId::rebalance notification is raised (detail = bytes
// moved), and the allocation is retried. Still no room: nullptr and an out_of_memory
// error event. deallocate() merges neighbouring free blocks and gives a free last block
// back to the tail.
//
// Consequence for users: a pointer obtained from a bound block is valid only until the next
// allocate() or rebalance(); hold the Handle, not the pointer (RamTensor does).
class CircularArenaAllocator : public AllocatorInterface {
 public:
  // Alignment of every block and size of a block header (8 on 32-bit targets).
  static const size_t kAlign = sizeof(void*) > 4 ? 16 : 8;
  static const size_t kBlockOverhead = kAlign;

  // Manages `bytes` bytes at `buffer` (the start is rounded up to kAlign).
  CircularArenaAllocator(void* buffer, size_t bytes);

  void* allocate(size_t bytes) override;
  void deallocate(void* ptr) override;
  size_t available() const override;
  Status bind(void* ptr, Handle* h) override;
  Status unbind(Handle* h) override;
  bool is_bound(const void* ptr, const Handle* h) const override;
  Status rebalance() override;
  bool contains(const void* ptr) const override;

  // Frees every block; bound handles are set to nullptr.
  void reset();
  // Bytes in live blocks, headers included.
  size_t used() const { return used_; }
  size_t capacity() const { return capacity_; }
  // Number of live blocks.
  size_t num_blocks() const;

 private:
  struct Header {
    Handle* handle;       // bound handle, or nullptr (pinned / free)
    uint32_t size_flags;  // block size including the header; bit 0 = in use
  };
  Header* header_at(size_t offset) const {
    return reinterpret_cast<Header*>(base_ + offset);
  }
  // Offset of the header of the live block whose payload is `ptr`, or capacity_.
  size_t find_block(const void* ptr) const;
  // Carves `need` bytes out of the free block at `offset`.
  void* take(size_t offset, size_t need);
  // Merges adjacent free blocks and returns a free last block to the tail.
  void coalesce();
  // Slides bound blocks over free gaps; returns the bytes moved.
  size_t compact();

  uint8_t* base_;
  size_t capacity_;
  size_t top_;   // end of the last block: [top_, capacity_) is the free tail
  size_t used_;
};

// A CircularArenaAllocator with its arena inside the object (a static or stack object).
template <size_t N>
class LocalCircularArenaAllocator : public CircularArenaAllocator {
 public:
  LocalCircularArenaAllocator() : CircularArenaAllocator(storage_, N) {}

 private:
  alignas(CircularArenaAllocator::kAlign) uint8_t storage_[N];
};

// The original uTensor's name.
template <size_t N>
using localCircularArenaAllocator = LocalCircularArenaAllocator<N>;

}  // namespace utensor

#endif  // UTENSOR_LIB_CIRCULAR_ARENA_ALLOCATOR_HPP
