#include "utensor/lib/linear_arena_allocator.hpp"

#include <gtest/gtest.h>

#include "scoped_context.hpp"
#include "utensor/lib/simple_error_handler.hpp"

using namespace utensor;

namespace {
class LinearArenaTest : public ::testing::Test {
 protected:
  void SetUp() override { ctx_->set_ErrorHandler(&events_); }
  ScopedContext ctx_;
  SimpleErrorHandler events_;
  alignas(8) uint8_t mem_[128];
};
}  // namespace

TEST_F(LinearArenaTest, BumpsAlignedBlocksInOrder) {
  LinearArenaAllocator a(mem_, sizeof(mem_));
  uint8_t* p = static_cast<uint8_t*>(a.allocate(3));
  uint8_t* q = static_cast<uint8_t*>(a.allocate(16));
  EXPECT_EQ(p, mem_);
  EXPECT_EQ(q, mem_ + 8);
  EXPECT_EQ(a.used(), 24u);
  EXPECT_EQ(a.available(), 104u);
  EXPECT_TRUE(a.contains(q + 15));
  EXPECT_FALSE(a.contains(q + 16));
}

TEST_F(LinearArenaTest, UnalignedBufferIsAlignedInside) {
  LinearArenaAllocator a(mem_ + 3, 64);
  void* p = a.allocate(1);
  EXPECT_EQ(p, mem_ + 8);
  EXPECT_EQ(a.capacity(), 59u);
}

TEST_F(LinearArenaTest, OverflowIsOutOfMemoryEvent) {
  LinearArenaAllocator a(mem_, 64);
  EXPECT_NE(a.allocate(60), nullptr);
  EXPECT_EQ(a.allocate(8), nullptr);
  EXPECT_EQ(a.allocate(static_cast<size_t>(-1)), nullptr);
  ASSERT_EQ(events_.size(), 2u);
  EXPECT_EQ(events_.at(0).id, EventId::allocator_error);
  EXPECT_EQ(events_.at(0).status, Status::out_of_memory);
  EXPECT_EQ(events_.at(0).detail, 8);
  EXPECT_EQ(events_.at(0).source, &a);
}

TEST_F(LinearArenaTest, DeallocateGivesBackOnlyTheLastBlock) {
  LinearArenaAllocator a(mem_, sizeof(mem_));
  void* p = a.allocate(8);
  void* q = a.allocate(8);
  a.deallocate(p);  // not the last: kept until reset()
  EXPECT_EQ(a.used(), 16u);
  a.deallocate(q);
  EXPECT_EQ(a.used(), 8u);
  EXPECT_EQ(a.allocate(8), q);
  EXPECT_EQ(a.high_water(), 16u);
  a.reset();
  EXPECT_EQ(a.used(), 0u);
  EXPECT_EQ(a.high_water(), 16u);
  EXPECT_EQ(events_.size(), 0u);
}

TEST_F(LinearArenaTest, ForeignDeallocateIsAnEvent) {
  LinearArenaAllocator a(mem_, sizeof(mem_));
  int x = 0;
  a.deallocate(&x);
  a.deallocate(nullptr);
  ASSERT_EQ(events_.size(), 1u);
  EXPECT_EQ(events_.at(0).status, Status::invalid_argument);
}

TEST_F(LinearArenaTest, HandlesBindAndNothingMoves) {
  LinearArenaAllocator a(mem_, sizeof(mem_));
  Handle h;
  void* p = a.allocate(8);
  EXPECT_EQ(a.bind(p, &h), Status::ok);
  EXPECT_EQ(h.ptr, p);
  EXPECT_TRUE(a.is_bound(p, &h));
  EXPECT_EQ(a.rebalance(), Status::ok);
  EXPECT_EQ(h.ptr, p);
  EXPECT_EQ(a.unbind(&h), Status::ok);
  EXPECT_EQ(a.unbind(nullptr), Status::invalid_argument);
  int x = 0;
  EXPECT_EQ(a.bind(&x, &h), Status::invalid_argument);
  EXPECT_EQ(events_.count(EventId::rebalance), 0u);
}

TEST_F(LinearArenaTest, LocalVariantOwnsItsStorage) {
  LocalLinearArenaAllocator<64> a;
  EXPECT_EQ(a.capacity(), 64u);
  void* p = a.allocate(64);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(a.allocate(1), nullptr);
}

TEST_F(LinearArenaTest, NullBufferHasNoCapacity) {
  LinearArenaAllocator a(nullptr, 64);
  EXPECT_EQ(a.capacity(), 0u);
  EXPECT_EQ(a.allocate(1), nullptr);
}
