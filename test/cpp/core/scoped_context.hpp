#ifndef UTENSOR_TEST_SCOPED_CONTEXT_HPP
#define UTENSOR_TEST_SCOPED_CONTEXT_HPP

#include "utensor/core/context.hpp"

// Installs a fresh default Context for one test and restores the previous one after, so
// tests never see each other's allocators or handlers.
class ScopedContext {
 public:
  ScopedContext() : previous_(utensor::Context::get_default_context()) {
    utensor::Context::set_default_context(&ctx_);
  }
  ~ScopedContext() { utensor::Context::set_default_context(previous_); }
  utensor::Context* operator->() { return &ctx_; }

 private:
  utensor::Context ctx_;
  utensor::Context* previous_;
};

#endif  // UTENSOR_TEST_SCOPED_CONTEXT_HPP
