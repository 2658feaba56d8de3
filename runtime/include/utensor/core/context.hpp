#ifndef UTENSOR_CORE_CONTEXT_HPP
#define UTENSOR_CORE_CONTEXT_HPP

#include "utensor/core/allocator.hpp"
#include "utensor/core/error_handler.hpp"
#include "utensor/core/event.hpp"

namespace utensor {

// Where runtime objects find their allocators and error handler. One default context
// exists (constant-initialized: no constructor runs, no guard variable); an application
// may install its own with set_default_context(). None of the three is owned: they must
// outlive their use. Unset members are nullptr: events are then dropped (callers still get
// a Status) and allocation through a missing allocator fails with Status::out_of_memory.
// Not thread-safe: use the runtime from one thread (or one at a time) per context.
class Context {
 public:
  constexpr Context() : metadata_(nullptr), ram_data_(nullptr), error_handler_(nullptr) {}

  // The context the runtime uses (the built-in one unless replaced).
  static Context* get_default_context();
  // Makes `ctx` the default; nullptr restores the built-in context.
  static void set_default_context(Context* ctx);

  // Allocator for tensor objects created with `new` (TensorInterface::operator new).
  void set_metadata_allocator(AllocatorInterface* a) { metadata_ = a; }
  // Allocator for RamTensor element storage.
  void set_ram_data_allocator(AllocatorInterface* a) { ram_data_ = a; }
  // Receiver of events; nullptr drops them.
  void set_ErrorHandler(ErrorHandler* h) { error_handler_ = h; }

  // The metadata allocator, or nullptr.
  AllocatorInterface* get_metadata_allocator() const { return metadata_; }
  // The RAM data allocator, or nullptr.
  AllocatorInterface* get_ram_data_allocator() const { return ram_data_; }
  // The error handler, or nullptr.
  ErrorHandler* get_ErrorHandler() const { return error_handler_; }

  // Forwards an error event to the handler (if any); returns e.status for chaining.
  Status throwError(const Event& e);
  // Forwards a notification to the handler (if any).
  void notifyEvent(const Event& e);

 private:
  AllocatorInterface* metadata_;
  AllocatorInterface* ram_data_;
  ErrorHandler* error_handler_;
};

// Raises an error event on the default context; returns `status`.
Status raise_error(EventId id, Status status, int32_t detail = 0, const void* source = nullptr);
// Raises a notification on the default context.
void raise_notification(EventId id, int32_t detail = 0, const void* source = nullptr);

}  // namespace utensor

#endif  // UTENSOR_CORE_CONTEXT_HPP
