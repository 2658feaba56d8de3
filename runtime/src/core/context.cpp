#include "utensor/core/context.hpp"

namespace utensor {

namespace {
// Constant-initialized (constexpr constructor, trivial destructor): no static-init order
// problem, no guard variable, no exit-time destructor.
Context g_builtin_context;
Context* g_default_context = &g_builtin_context;
}  // namespace

Context* Context::get_default_context() { return g_default_context; }

void Context::set_default_context(Context* ctx) {
  g_default_context = ctx ? ctx : &g_builtin_context;
}

Status Context::throwError(const Event& e) {
  if (error_handler_) error_handler_->uThrow(e);
  return e.status;
}

void Context::notifyEvent(const Event& e) {
  if (error_handler_) error_handler_->notify(e);
}

Status raise_error(EventId id, Status status, int32_t detail, const void* source) {
  return Context::get_default_context()->throwError(make_event(id, status, detail, source));
}

void raise_notification(EventId id, int32_t detail, const void* source) {
  Context::get_default_context()->notifyEvent(make_event(id, Status::ok, detail, source));
}

}  // namespace utensor

#if defined(__arm__) && !defined(__linux__)
// A pure virtual call is a program bug. libsupc++'s version reaches std::terminate and the
// verbose terminate handler, which pulls in the demangler and malloc: on bare metal, stop
// here instead. Weak, so a framework's own definition wins.
extern "C" __attribute__((weak)) void __cxa_pure_virtual() {
  for (;;) {
  }
}
#endif
