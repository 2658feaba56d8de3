#include "utensor/lib/simple_error_handler.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "scoped_context.hpp"
#include "utensor/core/tensor.hpp"
#include "utensor/lib/circular_arena_allocator.hpp"
#include "utensor/lib/ram_tensor.hpp"

using namespace utensor;

namespace {
Event numbered(int32_t n, Status s = Status::out_of_bounds) {
  return make_event(EventId::tensor_error, s, n);
}
}  // namespace

// The seed's error-handler snippet: allocations that overflow the tail of a circular arena
// make it rebalance, and the rebalancing event is found in errH.
TEST(SimpleErrorHandler, SeedSnippetFindsTheRebalancingEvent) {
  ScopedContext scope;
  const size_t kO = CircularArenaAllocator::kBlockOverhead;
  LocalCircularArenaAllocator<1024> meta_allocator;
  LocalCircularArenaAllocator<3 * (96 + kO)> ram_allocator;  // room for 3 blocks of 96 B

  SimpleErrorHandler errH(50);
  Context::get_default_context()->set_ErrorHandler(&errH);
  Context::get_default_context()->set_metadata_allocator(&meta_allocator);
  Context::get_default_context()->set_ram_data_allocator(&ram_allocator);

  Tensor a = new RamTensor({96}, DType::u8);
  Tensor b = new RamTensor({96}, DType::u8);
  Tensor c = new RamTensor({96}, DType::u8);
  for (int i = 0; i < 96; ++i) b(i) = static_cast<uint8_t>(i);
  const void* b_before = b->read_ptr();
  a.release();
  c.release();
  // 192 B does not fit the free tail nor the freed first block: rebalance moves b.
  Tensor d = new RamTensor({192}, DType::u8);
  ASSERT_TRUE(static_cast<bool>(d));
  ASSERT_TRUE(static_cast<RamTensor*>(d.get())->ok());

  const RingErrorHandler::const_iterator found =
      std::find(errH.begin(), errH.end(), make_event(EventId::rebalance, Status::ok));
  ASSERT_NE(found, errH.end());
  EXPECT_EQ(found->source, &ram_allocator);
  EXPECT_EQ(found->detail, static_cast<int32_t>(96 + kO));
  EXPECT_NE(b->read_ptr(), b_before);  // b's data moved with its handle...
  for (int i = 0; i < 96; ++i) ASSERT_EQ(b.get<uint8_t>(i), i);  // ...intact
  // Overflow for real: more than the arena holds.
  Tensor e = new RamTensor({512}, DType::u8);
  EXPECT_FALSE(static_cast<RamTensor*>(e.get())->ok());
  EXPECT_NE(std::find(errH.begin(), errH.end(),
                      make_event(EventId::allocator_error, Status::out_of_memory)),
            errH.end());
}

TEST(SimpleErrorHandler, KeepsEventsInOrder) {
  SimpleErrorHandler h(4);
  EXPECT_EQ(h.capacity(), 4u);
  EXPECT_EQ(h.begin(), h.end());
  h.uThrow(numbered(1));
  h.notify(make_event(EventId::rebalance, Status::ok, 2));
  ASSERT_EQ(h.size(), 2u);
  int32_t expect = 1;
  for (RingErrorHandler::const_iterator it = h.begin(); it != h.end(); ++it) {
    EXPECT_EQ(it->detail, expect++);
  }
  EXPECT_EQ(h.count(EventId::rebalance), 1u);
  EXPECT_EQ(h.count(EventId::tensor_error), 1u);
}

TEST(SimpleErrorHandler, WrapsAroundKeepingTheNewest) {
  SimpleErrorHandler h(3);
  for (int32_t i = 1; i <= 7; ++i) h.uThrow(numbered(i));
  EXPECT_EQ(h.size(), 3u);
  EXPECT_EQ(h.total(), 7u);
  EXPECT_EQ(h.at(0).detail, 5);
  EXPECT_EQ(h.at(1).detail, 6);
  EXPECT_EQ(h.at(2).detail, 7);
  int32_t expect = 5;
  for (RingErrorHandler::const_iterator it = h.begin(); it != h.end(); it++) {
    EXPECT_EQ((*it).detail, expect++);
  }
  EXPECT_EQ(expect, 8);
  h.clear();
  EXPECT_EQ(h.size(), 0u);
  EXPECT_EQ(h.total(), 0u);
  h.uThrow(numbered(9));
  EXPECT_EQ(h.at(0).detail, 9);
}

TEST(SimpleErrorHandler, CapacityAboveTheMaximumIsClampedAndReported) {
  SimpleErrorHandler h(SimpleErrorHandler::kMaxEvents + 10);
  EXPECT_EQ(h.capacity(), SimpleErrorHandler::kMaxEvents);
  ASSERT_EQ(h.size(), 1u);
  EXPECT_EQ(h.at(0).id, EventId::handler_error);
  EXPECT_EQ(h.at(0).status, Status::invalid_argument);
  EXPECT_EQ(h.at(0).detail, static_cast<int32_t>(SimpleErrorHandler::kMaxEvents + 10));
}

TEST(SimpleErrorHandler, ZeroCapacityCountsButKeepsNothing) {
  SimpleErrorHandler h(0);
  h.uThrow(numbered(1));
  EXPECT_EQ(h.size(), 0u);
  EXPECT_EQ(h.total(), 1u);
  EXPECT_EQ(h.begin(), h.end());
}

namespace {
struct CallbackLog {
  int calls;
  Status last;
};
void on_error(const Event& e, void* user) {
  CallbackLog* log = static_cast<CallbackLog*>(user);
  ++log->calls;
  log->last = e.status;
}
}  // namespace

TEST(SimpleErrorHandler, CallbackRunsOnErrorsOnly) {
  SimpleErrorHandler h(8);
  CallbackLog log = {0, Status::ok};
  h.set_callback(&on_error, &log);
  h.notify(make_event(EventId::rebalance, Status::ok));
  EXPECT_EQ(log.calls, 0);
  h.uThrow(numbered(1, Status::write_to_rom));
  EXPECT_EQ(log.calls, 1);
  EXPECT_EQ(log.last, Status::write_to_rom);
  h.set_callback(nullptr);
  h.uThrow(numbered(2));
  EXPECT_EQ(log.calls, 1);
  EXPECT_EQ(h.size(), 3u);
}

TEST(RingErrorHandler, UsesCallerStorage) {
  Event storage[2];
  RingErrorHandler h(storage, 2);
  h.uThrow(numbered(1));
  h.uThrow(numbered(2));
  h.uThrow(numbered(3));
  EXPECT_EQ(storage[0].detail, 3);  // overwrote the oldest slot
  EXPECT_EQ(storage[1].detail, 2);
  EXPECT_EQ(h.at(0).detail, 2);
  EXPECT_EQ(h.at(1).detail, 3);
}
