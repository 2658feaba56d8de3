#include "utensor/lib/linear_arena_allocator.hpp"

#include "utensor/core/context.hpp"

namespace utensor {

const size_t LinearArenaAllocator::kAlign;

namespace {
size_t align_up(size_t v, size_t a) { return (v + a - 1) & ~(a - 1); }
}  // namespace

LinearArenaAllocator::LinearArenaAllocator(void* buffer, size_t bytes)
    : base_(nullptr), capacity_(0), top_(0), last_(0), high_water_(0) {
  const uintptr_t start = reinterpret_cast<uintptr_t>(buffer);
  const uintptr_t aligned = align_up(start, kAlign);
  if (buffer != nullptr && aligned - start <= bytes) {
    base_ = reinterpret_cast<uint8_t*>(aligned);
    capacity_ = bytes - (aligned - start);
  }
}

void* LinearArenaAllocator::allocate(size_t bytes) {
  const size_t size = align_up(bytes == 0 ? 1 : bytes, kAlign);
  if (size < bytes || size > capacity_ - top_) {
    raise_error(EventId::allocator_error, Status::out_of_memory, static_cast<int32_t>(bytes),
                this);
    return nullptr;
  }
  last_ = top_;
  top_ += size;
  if (top_ > high_water_) high_water_ = top_;
  return base_ + last_;
}

void LinearArenaAllocator::deallocate(void* ptr) {
  if (ptr == nullptr) return;
  if (!contains(ptr)) {
    raise_error(EventId::allocator_error, Status::invalid_argument, 0, this);
    return;
  }
  if (static_cast<uint8_t*>(ptr) == base_ + last_ && last_ < top_) top_ = last_;
}

size_t LinearArenaAllocator::available() const { return capacity_ - top_; }

Status LinearArenaAllocator::bind(void* ptr, Handle* h) {
  if (h == nullptr || !contains(ptr)) {
    return raise_error(EventId::allocator_error, Status::invalid_argument, 0, this);
  }
  h->ptr = ptr;
  return Status::ok;
}

Status LinearArenaAllocator::unbind(Handle* h) {
  return h == nullptr ? Status::invalid_argument : Status::ok;
}

bool LinearArenaAllocator::is_bound(const void* ptr, const Handle* h) const {
  return h != nullptr && h->ptr == ptr && contains(ptr);
}

Status LinearArenaAllocator::rebalance() { return Status::ok; }

bool LinearArenaAllocator::contains(const void* ptr) const {
  const uint8_t* p = static_cast<const uint8_t*>(ptr);
  return base_ != nullptr && p >= base_ && p < base_ + top_;
}

}  // namespace utensor
