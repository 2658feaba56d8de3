// Tutorial: a custom error handler, and application-defined events.
//
// An ErrorHandler receives every event raised through the default Context: uThrow() for
// errors, notify() for notifications. It must not allocate and must return (the runtime
// also reports every failure as a Status). Events are small values identified by an id, no
// RTTI: built-in ids are utensor::EventId, applications take ids from user_event(n).
//
// Here: a handler that keeps the first error (the root cause, where a ring buffer keeps
// the last ones), counts errors per Status, and turns a chosen status into a "trap" - on a
// board that would be a breakpoint or a reset; here it sets a flag.
#include "tutorial_check.hpp"
#include "utensor/utensor.hpp"

class FirstErrorHandler : public utensor::ErrorHandler {
 public:
  explicit FirstErrorHandler(utensor::Status trap_on)
      : have_first_(false), trap_on_(trap_on), trapped_(false), notifications_(0) {
    for (size_t i = 0; i < kCounters; ++i) counts_[i] = 0;
  }

  void uThrow(const utensor::Event& e) override {
    if (!have_first_) {
      first_ = e;
      have_first_ = true;
    }
    const size_t s = static_cast<size_t>(e.status);
    if (s < kCounters) ++counts_[s];
    if (e.status == trap_on_) trapped_ = true;
  }
  void notify(const utensor::Event&) override { ++notifications_; }

  bool has_error() const { return have_first_; }
  const utensor::Event& first() const { return first_; }
  unsigned count(utensor::Status s) const { return counts_[static_cast<size_t>(s)]; }
  bool trapped() const { return trapped_; }
  unsigned notifications() const { return notifications_; }

 private:
  static const size_t kCounters = 32;
  utensor::Event first_;
  bool have_first_;
  utensor::Status trap_on_;
  bool trapped_;
  unsigned notifications_;
  unsigned counts_[kCounters];
};

// An application event: "sensor frame dropped", detail = frame number.
static const utensor::EventId kFrameDropped = utensor::user_event(1);

int main() {
  using namespace utensor;
  FirstErrorHandler handler(Status::write_to_rom);
  Context::get_default_context()->set_ErrorHandler(&handler);

  uint8_t buf[4] = {0};
  BufferTensor t({2, 2}, DType::u8, buf);
  uint8_t v = t(5, 0);  // first error: index out of bounds
  (void)v;
  static const uint8_t rom[2] = {1, 2};
  RomTensor r({2}, DType::u8, rom);
  r(0) = uint8_t(9);  // second error: write to ROM -> trap
  raise_error(kFrameDropped, Status::timeout, 42);
  raise_notification(EventId::rebalance);

  CHECK(handler.has_error());
  CHECK(handler.first().id == EventId::tensor_error);
  CHECK(handler.first().status == Status::out_of_bounds);
  CHECK(handler.first().source == &t);
  CHECK(handler.count(Status::write_to_rom) == 1);
  CHECK(handler.count(Status::timeout) == 1);
  CHECK(handler.trapped());
  CHECK(handler.notifications() == 1);
  CHECK(rom[0] == 1);

  // The same events in a SimpleErrorHandler, found by id.
  SimpleErrorHandler log(4);
  Context::get_default_context()->set_ErrorHandler(&log);
  raise_error(kFrameDropped, Status::timeout, 43);
  CHECK(log.count(kFrameDropped) == 1);
  CHECK(log.at(0).detail == 43);

  Context::get_default_context()->set_ErrorHandler(nullptr);
  printf("custom_error_handler: %s\n", tutorial_failures ? "FAILED" : "ok");
  return tutorial_failures;
}
