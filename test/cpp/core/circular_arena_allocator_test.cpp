#include "utensor/lib/circular_arena_allocator.hpp"

#include <gtest/gtest.h>
#include <string.h>

#include "scoped_context.hpp"
#include "utensor/lib/simple_error_handler.hpp"

using namespace utensor;

namespace {

const size_t kO = CircularArenaAllocator::kBlockOverhead;
const size_t kP = 64;            // payload used by most tests (a multiple of kAlign)
const size_t kBlock = kP + kO;  // bytes one such block takes

class CircularArenaTest : public ::testing::Test {
 protected:
  void SetUp() override { ctx_->set_ErrorHandler(&events_); }
  Status last_status() const {
    return events_.size() ? events_.at(events_.size() - 1).status : Status::ok;
  }
  ScopedContext ctx_;
  SimpleErrorHandler events_;
  alignas(16) uint8_t mem_[4 * 128 + 64];
};

bool aligned(const void* p) {
  return reinterpret_cast<uintptr_t>(p) % CircularArenaAllocator::kAlign == 0;
}

}  // namespace

TEST_F(CircularArenaTest, AllocatesAlignedBlocksFromTheTail) {
  CircularArenaAllocator a(mem_, 3 * kBlock);
  EXPECT_EQ(a.capacity(), 3 * kBlock);
  void* p = a.allocate(1);
  void* q = a.allocate(kP);
  ASSERT_NE(p, nullptr);
  ASSERT_NE(q, nullptr);
  EXPECT_TRUE(aligned(p));
  EXPECT_TRUE(aligned(q));
  EXPECT_EQ(static_cast<uint8_t*>(q) - static_cast<uint8_t*>(p),
            static_cast<ptrdiff_t>(CircularArenaAllocator::kAlign + kO));
  EXPECT_EQ(a.num_blocks(), 2u);
  EXPECT_EQ(a.used(), CircularArenaAllocator::kAlign + kO + kBlock);
  EXPECT_TRUE(a.contains(p));
  EXPECT_EQ(events_.size(), 0u);
}

TEST_F(CircularArenaTest, UnalignedBufferIsAlignedInside) {
  CircularArenaAllocator a(mem_ + 1, 3 * kBlock);
  void* p = a.allocate(8);
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(aligned(p));
  EXPECT_LT(a.capacity(), 3 * kBlock);
}

TEST_F(CircularArenaTest, WrapsAroundToAFreedBlockWithoutMoving) {
  CircularArenaAllocator a(mem_, 3 * kBlock);
  void* b0 = a.allocate(kP);
  void* b1 = a.allocate(kP);
  void* b2 = a.allocate(kP);
  ASSERT_NE(b2, nullptr);
  a.deallocate(b0);
  void* b3 = a.allocate(kP);
  EXPECT_EQ(b3, b0);
  EXPECT_EQ(events_.count(EventId::rebalance), 0u);
  (void)b1;
}

TEST_F(CircularArenaTest, FreeingTheLastBlockReturnsItToTheTail) {
  CircularArenaAllocator a(mem_, 3 * kBlock);
  void* b0 = a.allocate(kP);
  void* b1 = a.allocate(kP);
  a.deallocate(b1);
  void* big = a.allocate(2 * kP + kO);  // needs the two trailing blocks' room
  ASSERT_NE(big, nullptr);
  EXPECT_EQ(big, b1);
  (void)b0;
}

TEST_F(CircularArenaTest, FreedNeighboursMerge) {
  CircularArenaAllocator a(mem_, 4 * kBlock);
  void* b0 = a.allocate(kP);
  void* b1 = a.allocate(kP);
  void* b2 = a.allocate(kP);
  void* b3 = a.allocate(kP);
  ASSERT_NE(b3, nullptr);
  a.deallocate(b1);
  a.deallocate(b0);
  // b0 and b1 merged into one free block of 2 * kBlock at the start.
  void* big = a.allocate(2 * kP + kO);
  EXPECT_EQ(big, b0);
  EXPECT_EQ(events_.count(EventId::rebalance), 0u);
  (void)b2;
}

// The acceptance: rebalance with bound handles moving.
TEST_F(CircularArenaTest, RebalanceMovesBoundBlocksAndUpdatesTheirHandles) {
  CircularArenaAllocator a(mem_, 3 * kBlock);
  Handle h0, h1, h2;
  void* b0 = a.allocate(kP);
  void* b1 = a.allocate(kP);
  void* b2 = a.allocate(kP);
  ASSERT_EQ(a.bind(b0, &h0), Status::ok);
  ASSERT_EQ(a.bind(b1, &h1), Status::ok);
  ASSERT_EQ(a.bind(b2, &h2), Status::ok);
  EXPECT_TRUE(a.is_bound(b1, &h1));
  memset(b1, 0x5A, kP);
  a.deallocate(b0);
  EXPECT_EQ(h0.ptr, nullptr);  // freeing a bound block clears its handle
  a.deallocate(b2);
  // Free: kBlock at the start, kBlock of tail. Neither fits 2 * kP + kO; together they do.
  void* big = a.allocate(2 * kP + kO);
  ASSERT_NE(big, nullptr);
  EXPECT_EQ(h1.ptr, b0);  // b1 slid down to the start
  EXPECT_TRUE(a.is_bound(h1.ptr, &h1));
  EXPECT_EQ(big, static_cast<uint8_t*>(b0) + kBlock);
  for (size_t i = 0; i < kP; ++i) ASSERT_EQ(static_cast<uint8_t*>(h1.ptr)[i], 0x5A);
  ASSERT_EQ(events_.count(EventId::rebalance), 1u);
  const Event& e = events_.at(events_.size() - 1);
  EXPECT_EQ(e.id, EventId::rebalance);
  EXPECT_EQ(e.status, Status::ok);
  EXPECT_EQ(e.detail, static_cast<int32_t>(kBlock));
  EXPECT_EQ(e.source, &a);
}

TEST_F(CircularArenaTest, UnboundBlocksArePinnedDuringRebalance) {
  CircularArenaAllocator a(mem_, 4 * kBlock);
  Handle h3;
  void* b0 = a.allocate(kP);
  void* pinned = a.allocate(kP);  // never bound: must not move
  void* b2 = a.allocate(kP);
  void* b3 = a.allocate(kP);
  a.bind(b3, &h3);
  memset(pinned, 0x11, kP);
  memset(b3, 0x33, kP);
  a.deallocate(b0);
  a.deallocate(b2);
  ASSERT_EQ(a.rebalance(), Status::ok);
  EXPECT_EQ(h3.ptr, b2);  // slid down next to the pinned block, not below it
  for (size_t i = 0; i < kP; ++i) ASSERT_EQ(static_cast<uint8_t*>(pinned)[i], 0x11);
  for (size_t i = 0; i < kP; ++i) ASSERT_EQ(static_cast<uint8_t*>(h3.ptr)[i], 0x33);
  // The tail is used first, then the gap left before the pinned block.
  EXPECT_EQ(a.allocate(kP), static_cast<uint8_t*>(b2) + kBlock);
  EXPECT_EQ(a.allocate(kP), b0);
  EXPECT_EQ(a.allocate(1), nullptr);
  EXPECT_EQ(last_status(), Status::out_of_memory);
}

TEST_F(CircularArenaTest, ExplicitRebalanceAlwaysRaisesTheEvent) {
  CircularArenaAllocator a(mem_, 2 * kBlock);
  EXPECT_EQ(a.rebalance(), Status::ok);
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_.at(0).id, EventId::rebalance);
  EXPECT_EQ(events_.at(0).detail, 0);
}

TEST_F(CircularArenaTest, OverflowIsOutOfMemoryWithoutRebalancing) {
  CircularArenaAllocator a(mem_, 2 * kBlock);
  void* b0 = a.allocate(kP);
  ASSERT_NE(b0, nullptr);
  EXPECT_EQ(a.allocate(2 * kP), nullptr);
  EXPECT_EQ(a.allocate(10 * kBlock), nullptr);
  EXPECT_EQ(a.allocate(static_cast<size_t>(-1)), nullptr);
  EXPECT_EQ(events_.count(EventId::allocator_error), 3u);
  EXPECT_EQ(events_.count(EventId::rebalance), 0u);
  EXPECT_EQ(last_status(), Status::out_of_memory);
  EXPECT_EQ(events_.at(0).detail, static_cast<int32_t>(2 * kP));
  EXPECT_EQ(a.num_blocks(), 1u);
}

TEST_F(CircularArenaTest, AvailableTracksFreeBytes) {
  CircularArenaAllocator a(mem_, 3 * kBlock);
  EXPECT_EQ(a.available(), 3 * kBlock - kO);
  void* b0 = a.allocate(kP);
  EXPECT_EQ(a.available(), 2 * kBlock - kO);
  a.deallocate(b0);
  EXPECT_EQ(a.available(), 3 * kBlock - kO);
}

TEST_F(CircularArenaTest, ForeignAndDoubleFreesAreEventsAndIgnored) {
  CircularArenaAllocator a(mem_, 3 * kBlock);
  void* b0 = a.allocate(kP);
  void* b1 = a.allocate(kP);
  int outside = 0;
  a.deallocate(&outside);
  a.deallocate(static_cast<uint8_t*>(b0) + 8);  // inside a block, not its start
  a.deallocate(b0);
  a.deallocate(b0);  // double free
  a.deallocate(nullptr);  // ignored silently
  EXPECT_EQ(events_.count(EventId::allocator_error), 3u);
  EXPECT_EQ(last_status(), Status::invalid_argument);
  EXPECT_EQ(a.num_blocks(), 1u);
  (void)b1;
}

TEST_F(CircularArenaTest, BindUnbindAndIsBound) {
  CircularArenaAllocator a(mem_, 3 * kBlock);
  Handle h, other;
  void* b0 = a.allocate(kP);
  EXPECT_FALSE(a.is_bound(b0, &h));
  EXPECT_EQ(a.bind(b0, &h), Status::ok);
  EXPECT_EQ(h.ptr, b0);
  EXPECT_TRUE(a.is_bound(b0, &h));
  EXPECT_FALSE(a.is_bound(b0, &other));
  EXPECT_EQ(a.unbind(&h), Status::ok);
  EXPECT_FALSE(a.is_bound(b0, &h));
  EXPECT_EQ(a.unbind(&h), Status::not_bound);
  int outside = 0;
  EXPECT_EQ(a.bind(&outside, &other), Status::invalid_argument);
  EXPECT_EQ(a.bind(b0, nullptr), Status::invalid_argument);
}

TEST_F(CircularArenaTest, ResetFreesEverythingAndClearsHandles) {
  CircularArenaAllocator a(mem_, 3 * kBlock);
  Handle h;
  a.bind(a.allocate(kP), &h);
  a.allocate(kP);
  a.reset();
  EXPECT_EQ(h.ptr, nullptr);
  EXPECT_EQ(a.used(), 0u);
  EXPECT_EQ(a.num_blocks(), 0u);
  EXPECT_NE(a.allocate(3 * kP + 2 * kO), nullptr);
}

TEST_F(CircularArenaTest, LocalVariantOwnsItsStorage) {
  LocalCircularArenaAllocator<256> a;
  localCircularArenaAllocator<256>* same_type = &a;  // the original's spelling
  void* p = same_type->allocate(100);
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(a.contains(p));
  EXPECT_TRUE(reinterpret_cast<uint8_t*>(p) >= reinterpret_cast<uint8_t*>(&a) &&
              reinterpret_cast<uint8_t*>(p) < reinterpret_cast<uint8_t*>(&a) + sizeof(a));
}
