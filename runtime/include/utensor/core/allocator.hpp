#ifndef UTENSOR_CORE_ALLOCATOR_HPP
#define UTENSOR_CORE_ALLOCATOR_HPP

// One interface for every allocator. Two implementations ship in lib/:
// LinearArenaAllocator (bump pointer over a static arena, for offline-planned models and
// tensor metadata) and CircularArenaAllocator (ring over an arena, with handles so blocks
// can move, and compaction). Neither ever touches the heap.

#include <stddef.h>
#include <stdint.h>

#include "utensor/core/status.hpp"

namespace utensor {

// A pointer the allocator owns and may update: after bind(p, &h), h.ptr follows the block
// when a rebalance moves it. Keep the Handle itself at a stable address while bound.
struct Handle {
  void* ptr;
  Handle() : ptr(nullptr) {}
};

class AllocatorInterface {
 public:
  // Returns `bytes` of storage aligned to at least 8 bytes, or nullptr (with an
  // EventId::allocator_error / out_of_memory event) when it cannot.
  virtual void* allocate(size_t bytes) = 0;
  // Returns a block from allocate(); nullptr is ignored; a foreign pointer raises an
  // invalid_argument event and is otherwise ignored.
  virtual void deallocate(void* ptr) = 0;
  // Bytes that a single allocate() could still obtain, at best (ignoring fragmentation).
  virtual size_t available() const = 0;
  // Lets the allocator move the block at `ptr` and keep `h->ptr` pointing at it.
  virtual Status bind(void* ptr, Handle* h) = 0;
  // Pins the block bound to `h` again: it will not move any more.
  virtual Status unbind(Handle* h) = 0;
  // True when `h` is bound to the block at `ptr`.
  virtual bool is_bound(const void* ptr, const Handle* h) const = 0;
  // Compacts live blocks if the allocator can; raises EventId::rebalance when it moved data.
  virtual Status rebalance() = 0;
  // True when `ptr` lies inside storage this allocator manages.
  virtual bool contains(const void* ptr) const = 0;

 protected:
  // Allocators are static or stack objects: never deleted through this interface, and a
  // trivial destructor keeps static instances free of exit-time registration.
  ~AllocatorInterface() = default;
};

}  // namespace utensor

#endif  // UTENSOR_CORE_ALLOCATOR_HPP
