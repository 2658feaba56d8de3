#ifndef UTENSOR_LIB_SIMPLE_ERROR_HANDLER_HPP
#define UTENSOR_LIB_SIMPLE_ERROR_HANDLER_HPP

#include <stddef.h>
#include <stdint.h>

#include <iterator>

#include "utensor/core/error_handler.hpp"
#include "utensor/core/event.hpp"

// Most events a SimpleErrorHandler can keep (its storage is inside the object).
#ifndef UTENSOR_SIMPLE_ERROR_HANDLER_MAX_EVENTS
#define UTENSOR_SIMPLE_ERROR_HANDLER_MAX_EVENTS 64
#endif

namespace utensor {

// Keeps the last `capacity` events (errors and notifications) in a ring over caller
// storage; the oldest is overwritten first. Iterate oldest to newest with begin()/end().
// An optional callback runs on every error (not on notifications). Never allocates.
class RingErrorHandler : public ErrorHandler {
 public:
  typedef void (*Callback)(const Event& e, void* user);

  class const_iterator {
   public:
    typedef std::forward_iterator_tag iterator_category;
    typedef Event value_type;
    typedef ptrdiff_t difference_type;
    typedef const Event* pointer;
    typedef const Event& reference;

    const_iterator(const RingErrorHandler* h, size_t i) : h_(h), i_(i) {}
    reference operator*() const { return h_->at(i_); }
    pointer operator->() const { return &h_->at(i_); }
    const_iterator& operator++() {
      ++i_;
      return *this;
    }
    const_iterator operator++(int) {
      const_iterator old = *this;
      ++i_;
      return old;
    }
    bool operator==(const const_iterator& o) const { return h_ == o.h_ && i_ == o.i_; }
    bool operator!=(const const_iterator& o) const { return !(*this == o); }

   private:
    const RingErrorHandler* h_;
    size_t i_;
  };

  // Records into storage[0..capacity); capacity 0 records nothing (callback still runs).
  RingErrorHandler(Event* storage, size_t capacity)
      : storage_(storage), capacity_(capacity), next_(0), size_(0), total_(0),
        callback_(nullptr), user_(nullptr) {}

  void uThrow(const Event& e) override;
  void notify(const Event& e) override;

  // Oldest to newest.
  const_iterator begin() const { return const_iterator(this, 0); }
  const_iterator end() const { return const_iterator(this, size_); }
  // The i-th kept event, oldest first (i < size()).
  const Event& at(size_t i) const;
  // Events kept now, the most it keeps, and all events ever received.
  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }
  uint32_t total() const { return total_; }
  // Number of kept events with id `id`.
  size_t count(EventId id) const;
  // Forgets every kept event (total() too).
  void clear() { next_ = size_ = 0, total_ = 0; }
  // Calls cb(e, user) on every error; nullptr disables.
  void set_callback(Callback cb, void* user = nullptr) {
    callback_ = cb;
    user_ = user;
  }

 protected:
  void record(const Event& e);

 private:
  Event* storage_;
  size_t capacity_;
  size_t next_;
  size_t size_;
  uint32_t total_;
  Callback callback_;
  void* user_;
};

// The original uTensor's handler: SimpleErrorHandler errH(50) keeps the last 50 events.
// Storage for UTENSOR_SIMPLE_ERROR_HANDLER_MAX_EVENTS events is inside the object; asking
// for more keeps that many and records an EventId::handler_error (invalid_argument,
// detail = the requested count) as its first event.
class SimpleErrorHandler : public RingErrorHandler {
 public:
  static const size_t kMaxEvents = UTENSOR_SIMPLE_ERROR_HANDLER_MAX_EVENTS;
  explicit SimpleErrorHandler(size_t capacity = kMaxEvents);

 private:
  Event events_[kMaxEvents];
};

}  // namespace utensor

#endif  // UTENSOR_LIB_SIMPLE_ERROR_HANDLER_HPP
