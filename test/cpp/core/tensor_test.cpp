#include "utensor/core/tensor.hpp"

#include <gtest/gtest.h>

#include "scoped_context.hpp"
#include "utensor/lib/buffer_tensor.hpp"
#include "utensor/lib/linear_arena_allocator.hpp"
#include "utensor/lib/circular_arena_allocator.hpp"
#include "utensor/lib/ram_tensor.hpp"
#include "utensor/lib/rom_tensor.hpp"
#include "utensor/lib/simple_error_handler.hpp"

using namespace utensor;

namespace {

// Every test gets its own context with a metadata arena and an event log.
class TensorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ctx_->set_metadata_allocator(&meta_);
    ctx_->set_ErrorHandler(&errors_);
  }
  // Status of the newest event, or ok when nothing was raised.
  Status last_status() const {
    return errors_.size() ? errors_.at(errors_.size() - 1).status : Status::ok;
  }
  ScopedContext ctx_;
  LocalCircularArenaAllocator<1024> meta_;
  SimpleErrorHandler errors_;
};

}  // namespace

// The seed's tensor snippet: reading a wider type reads that many bytes, little-endian.
TEST_F(TensorTest, SeedSnippetReadsTwoBytesLittleEndian) {
  uint8_t buf[4] = {0xde, 0xad, 0xbe, 0xef};
  Tensor t = new BufferTensor({2, 2}, u8, buf);  // as the original wrote it
  ASSERT_TRUE(static_cast<bool>(t));
  EXPECT_EQ(t.get_type(), DType::u8);
  uint16_t v = t(0, 0);
  EXPECT_EQ(v, 0xadde);
  uint8_t a = t(0, 1);
  EXPECT_EQ(a, 0xad);
  uint32_t w = t(0, 0);
  EXPECT_EQ(w, 0xefbeadde);
  uint16_t second_row = t(1, 0);
  EXPECT_EQ(second_row, 0xefbe);
  EXPECT_EQ(errors_.size(), 0u);
}

TEST_F(TensorTest, WritesStoreSizeofTBytesInPlace) {
  uint8_t buf[4] = {0, 0, 0, 0};
  Tensor t = new BufferTensor({2, 2}, DType::u8, buf);
  t(1, 1) = uint8_t(7);
  EXPECT_EQ(buf[3], 7);
  t(0, 0) = uint16_t(0x1234);
  EXPECT_EQ(buf[0], 0x34);
  EXPECT_EQ(buf[1], 0x12);
  EXPECT_EQ(buf[2], 0);  // untouched
  EXPECT_EQ(errors_.size(), 0u);
}

TEST_F(TensorTest, GeneratedModelStyleBufferTensorOverArena) {
  alignas(16) static uint8_t arena[1024];
  BufferTensor in_(TensorShape({1, 640}), DType::i8, arena + 0);
  BufferTensor out_(TensorShape({1, 10}), DType::f32, arena + 640);
  EXPECT_EQ(in_.data(), arena);
  EXPECT_EQ(in_.num_bytes(), 640u);
  EXPECT_EQ(out_.num_bytes(), 40u);
  EXPECT_EQ(in_.get_shape()[1], 640u);
  EXPECT_EQ(in_.get_type(), DType::i8);
  in_(0, 639) = int8_t(-128);
  EXPECT_EQ(static_cast<int8_t>(arena[639]), -128);
  out_(0, 3) = 2.5f;
  float f = out_(0, 3);
  EXPECT_EQ(f, 2.5f);
  Tensor h = Tensor::view(out_);
  float g = h(0, 3);
  EXPECT_EQ(g, 2.5f);
  EXPECT_EQ(h.get_shape(), TensorShape({1, 10}));
  EXPECT_EQ(h.get_type(), DType::f32);
  EXPECT_EQ(h.num_elements(), 10u);
  EXPECT_EQ(h.num_bytes(), 40u);
}

TEST_F(TensorTest, LinearIndexAndRowMajorOrder) {
  int16_t buf[6] = {0, 1, 2, 3, 4, 5};
  BufferTensor t({2, 3}, DType::i16, buf);
  int16_t a = t(1, 2);
  int16_t b = t(5);
  int16_t c = t(1, 0);
  EXPECT_EQ(a, 5);
  EXPECT_EQ(b, 5);
  EXPECT_EQ(c, 3);
  int16_t first = t();
  EXPECT_EQ(first, 0);
}

TEST_F(TensorTest, OutOfBoundsIndexIsAnEventAndTouchesNothing) {
  uint8_t mem[8] = {1, 2, 3, 4, 0xAA, 0xAA, 0xAA, 0xAA};
  BufferTensor t({2, 2}, DType::u8, mem);
  uint8_t v = t(2, 0);
  EXPECT_EQ(v, 0);
  EXPECT_EQ(last_status(), Status::out_of_bounds);
  t(0, 2) = uint8_t(9);
  t(4) = uint8_t(9);
  t(-1) = uint8_t(9);
  EXPECT_EQ(errors_.count(EventId::tensor_error), 4u);
  for (int i = 4; i < 8; ++i) EXPECT_EQ(mem[i], 0xAA);
  EXPECT_EQ(mem[3], 4);
}

TEST_F(TensorTest, WideAccessPastTheEndIsRefusedWhole) {
  uint8_t mem[8] = {1, 2, 3, 4, 0xAA, 0xAA, 0xAA, 0xAA};
  BufferTensor t({2, 2}, DType::u8, mem);
  uint32_t v = t(1, 1);  // 4 bytes from the last element: 3 past the end
  EXPECT_EQ(v, 0u);
  EXPECT_EQ(last_status(), Status::out_of_bounds);
  t(1, 0) = uint32_t(0xFFFFFFFF);
  EXPECT_EQ(mem[2], 3);  // no partial write either
  EXPECT_EQ(mem[3], 4);
  EXPECT_EQ(mem[4], 0xAA);
  uint16_t ok = t(1, 0);  // exactly the last two bytes
  EXPECT_EQ(ok, 0x0403);
}

TEST_F(TensorTest, WrongNumberOfIndicesIsShapeMismatch) {
  uint8_t mem[8] = {};
  BufferTensor t({2, 2, 2}, DType::u8, mem);
  uint8_t v = t(1, 1);
  EXPECT_EQ(v, 0);
  EXPECT_EQ(last_status(), Status::shape_mismatch);
  EXPECT_EQ(errors_.size(), 1u);  // one event, not a second out_of_bounds
}

TEST_F(TensorTest, TypedAccessorsCheckTheDtype) {
  int8_t mem[4] = {-1, 2, -3, 4};
  Tensor t = new BufferTensor({4}, DType::i8, mem);
  EXPECT_EQ(t.get<int8_t>(2), -3);
  EXPECT_EQ(t.set<int8_t>(100, 3), Status::ok);
  EXPECT_EQ(mem[3], 100);
  EXPECT_EQ(errors_.size(), 0u);
  EXPECT_EQ(t.get<int32_t>(0), 0);
  EXPECT_EQ(last_status(), Status::dtype_mismatch);
  EXPECT_EQ(t.set<float>(1.0f, 0), Status::dtype_mismatch);
  EXPECT_EQ(mem[0], -1);
  EXPECT_EQ(t.set<int8_t>(1, 9), Status::out_of_bounds);
}

TEST_F(TensorTest, ElementToElementCopyUsesTheDestinationDtype) {
  int8_t a[2] = {5, 6};
  int8_t b[2] = {0, 0};
  BufferTensor ta({2}, DType::i8, a);
  BufferTensor tb({2}, DType::i8, b);
  tb(1) = ta(0);
  EXPECT_EQ(b[1], 5);
  EXPECT_EQ(b[0], 0);
  tb(0) = tb(1);
  EXPECT_EQ(b[0], 5);
}

TEST_F(TensorTest, RomTensorRefusesWritesWithAnEvent) {
  static const int8_t weights[4] = {1, 2, 3, 4};
  Tensor t = new RomTensor({2, 2}, DType::i8, weights);
  int8_t v = t(1, 0);
  EXPECT_EQ(v, 3);
  t(1, 0) = int8_t(42);
  EXPECT_EQ(last_status(), Status::write_to_rom);
  EXPECT_EQ(t.set<int8_t>(42, 0), Status::write_to_rom);
  EXPECT_EQ(t->write_ptr(), nullptr);
  EXPECT_EQ(t->read_ptr(), weights);
  EXPECT_EQ(errors_.count(EventId::tensor_error), 3u);
  int8_t after = t(1, 0);
  EXPECT_EQ(after, 3);
}

TEST_F(TensorTest, RamTensorTakesStorageFromTheDataAllocator) {
  LocalCircularArenaAllocator<256> ram;
  ctx_->set_ram_data_allocator(&ram);
  {
    Tensor t = new RamTensor({4, 4}, DType::i16);
    EXPECT_TRUE(ram.contains(t->read_ptr()));
    EXPECT_EQ(ram.num_blocks(), 1u);
    t(3, 3) = int16_t(-1234);
    int16_t v = t(3, 3);
    EXPECT_EQ(v, -1234);
  }
  EXPECT_EQ(ram.num_blocks(), 0u);  // the handle's destructor gave the data back
  EXPECT_EQ(ram.used(), 0u);
}

TEST_F(TensorTest, RamTensorWithoutRoomIsNotOkAndRefusesAccess) {
  LocalCircularArenaAllocator<64> ram;
  ctx_->set_ram_data_allocator(&ram);
  RamTensor big({100}, DType::f32);
  EXPECT_FALSE(big.ok());
  EXPECT_EQ(last_status(), Status::out_of_memory);
  big(0) = 1.0f;
  EXPECT_EQ(last_status(), Status::not_bound);
}

TEST_F(TensorTest, RamTensorWithoutAllocatorIsOutOfMemory) {
  RamTensor t({4}, DType::u8);
  EXPECT_FALSE(t.ok());
  EXPECT_EQ(last_status(), Status::out_of_memory);
}

TEST_F(TensorTest, NewTakesMetadataFromTheContextAndDeleteReturnsIt) {
  uint8_t buf[4];
  const size_t before = meta_.used();
  {
    Tensor t = new BufferTensor({4}, DType::u8, buf);
    EXPECT_TRUE(meta_.contains(t.get()));
    EXPECT_GT(meta_.used(), before);
  }
  EXPECT_EQ(meta_.used(), before);
}

TEST_F(TensorTest, DeleteGoesBackToTheOriginalAllocator) {
  LocalLinearArenaAllocator<256> other;
  uint8_t buf[4];
  Tensor t = new BufferTensor({4}, DType::u8, buf);
  ctx_->set_metadata_allocator(&other);
  t.release();
  EXPECT_EQ(meta_.used(), 0u);
  EXPECT_FALSE(static_cast<bool>(t));
}

TEST_F(TensorTest, NewWithoutMetadataAllocatorYieldsEmptyHandle) {
  ctx_->set_metadata_allocator(nullptr);
  uint8_t buf[4];
  Tensor t = new BufferTensor({4}, DType::u8, buf);
  EXPECT_FALSE(static_cast<bool>(t));
  EXPECT_EQ(last_status(), Status::out_of_memory);
}

TEST_F(TensorTest, NewWhenMetadataIsFullYieldsEmptyHandle) {
  LocalLinearArenaAllocator<32> tiny;
  ctx_->set_metadata_allocator(&tiny);
  uint8_t buf[4];
  Tensor t = new BufferTensor({4}, DType::u8, buf);
  EXPECT_FALSE(static_cast<bool>(t));
  EXPECT_EQ(last_status(), Status::out_of_memory);
}

TEST_F(TensorTest, EmptyHandleRaisesNotBound) {
  Tensor t;
  uint8_t v = t(0);
  EXPECT_EQ(v, 0);
  EXPECT_EQ(last_status(), Status::not_bound);
  EXPECT_EQ(t.get_shape().rank(), 0);
  EXPECT_EQ(t.set<uint8_t>(1, 0), Status::not_bound);
  EXPECT_EQ(t.get<uint8_t>(0), 0);
  EXPECT_EQ(t.num_bytes(), 0u);
  EXPECT_EQ(errors_.count(EventId::tensor_error), 5u);
}

TEST_F(TensorTest, HandleIsMoveOnlyAndMovesOwnership) {
  static_assert(!std::is_copy_constructible<Tensor>::value, "Tensor must be move-only");
  static_assert(!std::is_copy_assignable<Tensor>::value, "Tensor must be move-only");
  uint8_t buf[4] = {9, 8, 7, 6};
  Tensor a = new BufferTensor({4}, DType::u8, buf);
  TensorInterface* obj = a.get();
  Tensor b(std::move(a));
  EXPECT_FALSE(static_cast<bool>(a));
  EXPECT_EQ(b.get(), obj);
  Tensor c;
  c = std::move(b);
  EXPECT_EQ(c.get(), obj);
  uint8_t v = c(2);
  EXPECT_EQ(v, 7);
  const size_t used = meta_.used();
  c = new BufferTensor({2}, DType::u8, buf);  // the old object is freed first
  EXPECT_LE(meta_.used(), used);
}

TEST_F(TensorTest, ViewDoesNotDelete) {
  uint8_t buf[4] = {};
  BufferTensor owned({4}, DType::u8, buf);
  {
    Tensor v = Tensor::view(owned);
    v(0) = uint8_t(3);
  }
  EXPECT_EQ(buf[0], 3);
  EXPECT_EQ(meta_.used(), 0u);
}

TEST_F(TensorTest, PlacementNewDoesNotUseTheAllocator) {
  alignas(8) uint8_t storage[sizeof(BufferTensor)];
  uint8_t buf[4] = {};
  BufferTensor* t = new (storage) BufferTensor({4}, DType::u8, buf);
  EXPECT_EQ(static_cast<void*>(t), static_cast<void*>(storage));
  EXPECT_EQ(meta_.used(), 0u);
  t->~BufferTensor();
}

TEST_F(TensorTest, ConstTensorReads) {
  const uint8_t buf[2] = {0x01, 0x02};
  RomTensor rom({2}, DType::u8, buf);
  const TensorInterface& c = rom;
  uint16_t v = c(0);
  EXPECT_EQ(v, 0x0201);
  EXPECT_EQ(c.get<uint8_t>(1), 2);
}

TEST_F(TensorTest, BoolReadsAnyNonZeroByteAsTrue) {
  uint8_t buf[2] = {2, 0};
  BufferTensor t({2}, DType::b8, buf);
  bool a = t(0);
  bool b = t(1);
  EXPECT_TRUE(a);
  EXPECT_FALSE(b);
  t(1) = true;
  EXPECT_EQ(buf[1], 1);
}
