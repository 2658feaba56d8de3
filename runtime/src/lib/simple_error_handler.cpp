#include "utensor/lib/simple_error_handler.hpp"

namespace utensor {

const size_t SimpleErrorHandler::kMaxEvents;

void RingErrorHandler::record(const Event& e) {
  ++total_;
  if (capacity_ == 0) return;
  storage_[next_] = e;
  next_ = next_ + 1 == capacity_ ? 0 : next_ + 1;
  if (size_ < capacity_) ++size_;
}

void RingErrorHandler::uThrow(const Event& e) {
  record(e);
  if (callback_) callback_(e, user_);
}

void RingErrorHandler::notify(const Event& e) { record(e); }

const Event& RingErrorHandler::at(size_t i) const {
  // The oldest kept event sits at next_ once the ring is full, at 0 before.
  size_t oldest = size_ < capacity_ ? 0 : next_;
  size_t j = oldest + i;
  if (j >= capacity_) j -= capacity_;
  return storage_[j];
}

size_t RingErrorHandler::count(EventId id) const {
  size_t n = 0;
  for (const_iterator it = begin(); it != end(); ++it) {
    if (it->id == id) ++n;
  }
  return n;
}

SimpleErrorHandler::SimpleErrorHandler(size_t capacity)
    : RingErrorHandler(events_, capacity < kMaxEvents ? capacity : kMaxEvents) {
  if (capacity > kMaxEvents) {
    uThrow(make_event(EventId::handler_error, Status::invalid_argument,
                      static_cast<int32_t>(capacity), this));
  }
}

}  // namespace utensor
