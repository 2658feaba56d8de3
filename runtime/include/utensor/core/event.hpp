#ifndef UTENSOR_CORE_EVENT_HPP
#define UTENSOR_CORE_EVENT_HPP

// Events and errors, identified by a numeric id (no RTTI, no allocation). An event is a
// small value copied into whatever error handler is installed; raising one never allocates.

#include <stdint.h>

#include "utensor/core/status.hpp"

namespace utensor {

// Built-in event ids. Ids from kUserEventBase up are free for applications and custom
// components (see runtime/tutorials/custom_error_handler.cpp).
enum class EventId : uint16_t {
  none = 0,
  // Notifications (status == ok).
  rebalance = 1,        // a circular arena compacted its live blocks; bound data moved
  // Errors (status != ok): the status says what went wrong, the id where.
  allocator_error = 16,  // allocate/deallocate/bind failed (status: out_of_memory, ...)
  tensor_error = 17,     // element access, write to ROM, dtype check (status says which)
  handler_error = 18,    // an error handler was misconfigured (e.g. capacity clamped)
  kernel_error = 19,     // a kernel refused its arguments
  model_error = 20,      // a generated model refused an argument (tensor index, arena)
};

static const uint16_t kUserEventBase = 0x100;

// The id of the n-th application-defined event.
inline EventId user_event(uint16_t n) { return static_cast<EventId>(kUserEventBase + n); }

struct Event {
  EventId id;
  Status status;       // Status::ok for notifications, the failure otherwise
  uint8_t reserved;
  int32_t detail;      // id-specific number (bytes requested, bytes moved, offset...)
  const void* source;  // the object that raised it (allocator, tensor), may be null

  // True when this event reports a failure.
  bool is_error() const { return status != Status::ok; }
};

// An event value; `detail` and `source` default to 0.
inline Event make_event(EventId id, Status status, int32_t detail = 0,
                        const void* source = nullptr) {
  Event e;
  e.id = id;
  e.status = status;
  e.reserved = 0;
  e.detail = detail;
  e.source = source;
  return e;
}

// Two events match when they have the same id and status (detail and source ignored).
inline bool operator==(const Event& a, const Event& b) {
  return a.id == b.id && a.status == b.status;
}
inline bool operator!=(const Event& a, const Event& b) { return !(a == b); }
// An event matches an id regardless of its status.
inline bool operator==(const Event& a, EventId id) { return a.id == id; }
inline bool operator!=(const Event& a, EventId id) { return a.id != id; }

}  // namespace utensor

#endif  // UTENSOR_CORE_EVENT_HPP
