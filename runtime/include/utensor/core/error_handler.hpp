#ifndef UTENSOR_CORE_ERROR_HANDLER_HPP
#define UTENSOR_CORE_ERROR_HANDLER_HPP

#include "utensor/core/event.hpp"

namespace utensor {

// Receives every event raised through a Context. Implementations must not allocate and
// must return: the runtime reports failures by Status as well, so a handler records,
// logs or traps, it does not repair. Example: runtime/tutorials/custom_error_handler.cpp.
class ErrorHandler {
 public:
  // Called for an error (e.status != ok).
  virtual void uThrow(const Event& e) = 0;
  // Called for a notification (e.status == ok), e.g. EventId::rebalance.
  virtual void notify(const Event& e) = 0;

 protected:
  // Not deletable through this interface: handlers are static or stack objects.
  ~ErrorHandler() = default;
};

}  // namespace utensor

#endif  // UTENSOR_CORE_ERROR_HANDLER_HPP
