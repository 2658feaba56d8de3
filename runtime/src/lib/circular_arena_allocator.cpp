#include "utensor/lib/circular_arena_allocator.hpp"

#include <string.h>

#include "utensor/core/context.hpp"

namespace utensor {

const size_t CircularArenaAllocator::kAlign;
const size_t CircularArenaAllocator::kBlockOverhead;

namespace {
const uint32_t kInUse = 1u;
size_t align_up(size_t v, size_t a) { return (v + a - 1) & ~(a - 1); }
}  // namespace

static_assert(sizeof(void*) * 2 <= CircularArenaAllocator::kBlockOverhead,
              "a block header must fit in kBlockOverhead bytes");

CircularArenaAllocator::CircularArenaAllocator(void* buffer, size_t bytes)
    : base_(nullptr), capacity_(0), top_(0), used_(0) {
  const uintptr_t start = reinterpret_cast<uintptr_t>(buffer);
  const uintptr_t aligned = align_up(start, kAlign);
  if (buffer != nullptr && aligned - start <= bytes) {
    base_ = reinterpret_cast<uint8_t*>(aligned);
    // Whole blocks only; sizes are stored in 32 bits.
    size_t cap = (bytes - (aligned - start)) & ~(kAlign - 1);
    capacity_ = cap > 0xFFFFFFF0u ? 0xFFFFFFF0u : cap;
  }
}

void* CircularArenaAllocator::take(size_t offset, size_t need) {
  Header* h = header_at(offset);
  const size_t size = h->size_flags & ~kInUse;
  if (size > need) {
    Header* rest = header_at(offset + need);
    rest->handle = nullptr;
    rest->size_flags = static_cast<uint32_t>(size - need);
  }
  h->handle = nullptr;
  h->size_flags = static_cast<uint32_t>(need) | kInUse;
  used_ += need;
  return base_ + offset + kBlockOverhead;
}

void* CircularArenaAllocator::allocate(size_t bytes) {
  const size_t payload = align_up(bytes == 0 ? 1 : bytes, kAlign);
  const size_t need = payload + kBlockOverhead;
  if (payload < bytes || need > capacity_) {
    raise_error(EventId::allocator_error, Status::out_of_memory, static_cast<int32_t>(bytes),
                this);
    return nullptr;
  }
  for (int attempt = 0; attempt < 2; ++attempt) {
    // The tail first: O(1) while the ring has not wrapped.
    if (capacity_ - top_ >= need) {
      const size_t offset = top_;
      header_at(offset)->size_flags = static_cast<uint32_t>(need);
      top_ += need;
      return take(offset, need);
    }
    // Wrapped: first free block that fits.
    for (size_t off = 0; off < top_;) {
      const Header* h = header_at(off);
      const size_t size = h->size_flags & ~kInUse;
      if (!(h->size_flags & kInUse) && size >= need) return take(off, need);
      off += size;
    }
    // Fragmented: compact once if that can make room.
    if (attempt == 0) {
      if (capacity_ - used_ < need) break;
      rebalance();
    }
  }
  raise_error(EventId::allocator_error, Status::out_of_memory, static_cast<int32_t>(bytes),
              this);
  return nullptr;
}

size_t CircularArenaAllocator::find_block(const void* ptr) const {
  const uint8_t* p = static_cast<const uint8_t*>(ptr);
  if (base_ == nullptr || p < base_ + kBlockOverhead || p >= base_ + top_) return capacity_;
  for (size_t off = 0; off < top_;) {
    const Header* h = header_at(off);
    if (base_ + off + kBlockOverhead == p) return (h->size_flags & kInUse) ? off : capacity_;
    off += h->size_flags & ~kInUse;
  }
  return capacity_;
}

void CircularArenaAllocator::deallocate(void* ptr) {
  if (ptr == nullptr) return;
  const size_t off = find_block(ptr);
  if (off == capacity_) {
    raise_error(EventId::allocator_error, Status::invalid_argument, 0, this);
    return;
  }
  Header* h = header_at(off);
  if (h->handle) h->handle->ptr = nullptr;
  h->handle = nullptr;
  h->size_flags &= ~kInUse;
  used_ -= h->size_flags;
  coalesce();
}

void CircularArenaAllocator::coalesce() {
  size_t last_free = capacity_;  // start of the free run ending at top_, if any
  for (size_t off = 0; off < top_;) {
    Header* h = header_at(off);
    size_t size = h->size_flags & ~kInUse;
    if (!(h->size_flags & kInUse)) {
      while (off + size < top_ && !(header_at(off + size)->size_flags & kInUse)) {
        size += header_at(off + size)->size_flags;
      }
      h->size_flags = static_cast<uint32_t>(size);
      if (off + size == top_) last_free = off;
    }
    off += size;
  }
  if (last_free != capacity_) top_ = last_free;
}

size_t CircularArenaAllocator::compact() {
  size_t moved = 0;
  size_t write = 0;
  for (size_t read = 0; read < top_;) {
    Header* h = header_at(read);
    const uint32_t flags = h->size_flags;
    const size_t size = flags & ~kInUse;
    if (flags & kInUse) {
      if (h->handle != nullptr) {
        if (write != read) {
          // Downward move: never overwrites a block not yet visited.
          memmove(base_ + write, base_ + read, size);
          Header* moved_h = header_at(write);
          moved_h->handle->ptr = base_ + write + kBlockOverhead;
          moved += size;
        }
        write += size;
      } else {
        // Pinned: whatever lies before it becomes one free block.
        if (write < read) {
          Header* gap = header_at(write);
          gap->handle = nullptr;
          gap->size_flags = static_cast<uint32_t>(read - write);
        }
        write = read + size;
      }
    }
    read += size;
  }
  top_ = write;
  return moved;
}

Status CircularArenaAllocator::rebalance() {
  const size_t moved = compact();
  raise_notification(EventId::rebalance, static_cast<int32_t>(moved), this);
  return Status::ok;
}

size_t CircularArenaAllocator::available() const {
  const size_t free_bytes = capacity_ - used_;
  return free_bytes > kBlockOverhead ? free_bytes - kBlockOverhead : 0;
}

Status CircularArenaAllocator::bind(void* ptr, Handle* h) {
  const size_t off = find_block(ptr);
  if (h == nullptr || off == capacity_) {
    return raise_error(EventId::allocator_error, Status::invalid_argument, 0, this);
  }
  header_at(off)->handle = h;
  h->ptr = ptr;
  return Status::ok;
}

Status CircularArenaAllocator::unbind(Handle* h) {
  if (h != nullptr) {
    for (size_t off = 0; off < top_;) {
      Header* hd = header_at(off);
      if ((hd->size_flags & kInUse) && hd->handle == h) {
        hd->handle = nullptr;
        return Status::ok;
      }
      off += hd->size_flags & ~kInUse;
    }
  }
  return raise_error(EventId::allocator_error, Status::not_bound, 0, this);
}

bool CircularArenaAllocator::is_bound(const void* ptr, const Handle* h) const {
  const size_t off = find_block(ptr);
  return h != nullptr && off != capacity_ && header_at(off)->handle == h && h->ptr == ptr;
}

bool CircularArenaAllocator::contains(const void* ptr) const {
  const uint8_t* p = static_cast<const uint8_t*>(ptr);
  return base_ != nullptr && p >= base_ && p < base_ + capacity_;
}

void CircularArenaAllocator::reset() {
  for (size_t off = 0; off < top_;) {
    Header* h = header_at(off);
    if ((h->size_flags & kInUse) && h->handle) h->handle->ptr = nullptr;
    off += h->size_flags & ~kInUse;
  }
  top_ = 0;
  used_ = 0;
}

size_t CircularArenaAllocator::num_blocks() const {
  size_t n = 0;
  for (size_t off = 0; off < top_;) {
    const Header* h = header_at(off);
    if (h->size_flags & kInUse) ++n;
    off += h->size_flags & ~kInUse;
  }
  return n;
}

}  // namespace utensor
