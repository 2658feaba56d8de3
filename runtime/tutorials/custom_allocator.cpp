// Tutorial: a custom allocator.
//
// Anything implementing utensor::AllocatorInterface can serve a Context as its metadata
// allocator (storage for `new SomeTensor(...)`) or RAM data allocator (RamTensor storage).
// Rules: never use the heap; return nullptr and raise an allocator_error event when out of
// memory; blocks aligned to 8 bytes; bind()/unbind()/is_bound() may be trivial when blocks
// never move; rebalance() may do nothing and return ok.
//
// Here: a pool of fixed-size blocks with a free bitmap. O(1)-ish, no fragmentation, a good
// fit for tensor metadata (all tensor objects are a few dozen bytes).
#include "tutorial_check.hpp"
#include "utensor/utensor.hpp"

template <size_t kBlockBytes, size_t kBlocks>
class PoolAllocator : public utensor::AllocatorInterface {
  static_assert(kBlockBytes % 8 == 0, "blocks must keep 8-byte alignment");
  static_assert(kBlocks <= 32, "one 32-bit bitmap");

 public:
  PoolAllocator() : used_(0) {}

  void* allocate(size_t bytes) override {
    if (bytes <= kBlockBytes) {
      for (size_t i = 0; i < kBlocks; ++i) {
        if (!(used_ & (1u << i))) {
          used_ |= 1u << i;
          return storage_ + i * kBlockBytes;
        }
      }
    }
    utensor::raise_error(utensor::EventId::allocator_error, utensor::Status::out_of_memory,
                         static_cast<int32_t>(bytes), this);
    return nullptr;
  }
  void deallocate(void* ptr) override {
    if (ptr == nullptr) return;
    if (!contains(ptr)) {
      utensor::raise_error(utensor::EventId::allocator_error,
                           utensor::Status::invalid_argument, 0, this);
      return;
    }
    used_ &= ~(1u << index_of(ptr));
  }
  size_t available() const override {
    for (size_t i = 0; i < kBlocks; ++i) {
      if (!(used_ & (1u << i))) return kBlockBytes;
    }
    return 0;
  }
  // Blocks never move: a handle simply points at its block.
  utensor::Status bind(void* ptr, utensor::Handle* h) override {
    if (h == nullptr || !contains(ptr)) return utensor::Status::invalid_argument;
    h->ptr = ptr;
    return utensor::Status::ok;
  }
  utensor::Status unbind(utensor::Handle*) override { return utensor::Status::ok; }
  bool is_bound(const void* ptr, const utensor::Handle* h) const override {
    return h != nullptr && h->ptr == ptr && contains(ptr);
  }
  utensor::Status rebalance() override { return utensor::Status::ok; }
  bool contains(const void* ptr) const override {
    const uint8_t* p = static_cast<const uint8_t*>(ptr);
    return p >= storage_ && p < storage_ + sizeof(storage_) &&
           (p - storage_) % kBlockBytes == 0;
  }

  size_t blocks_in_use() const {
    size_t n = 0;
    for (size_t i = 0; i < kBlocks; ++i) n += (used_ >> i) & 1u;
    return n;
  }

 private:
  size_t index_of(const void* ptr) const {
    return static_cast<size_t>(static_cast<const uint8_t*>(ptr) - storage_) / kBlockBytes;
  }
  alignas(8) uint8_t storage_[kBlockBytes * kBlocks];
  uint32_t used_;
};

int main() {
  using namespace utensor;
  // 64 bytes hold any built-in tensor object plus the 8-byte prefix `new` adds.
  static_assert(sizeof(RamTensor) + 8 <= 64, "pool blocks too small for tensor objects");
  static PoolAllocator<64, 4> pool;
  SimpleErrorHandler errors(8);
  Context::get_default_context()->set_metadata_allocator(&pool);
  Context::get_default_context()->set_ErrorHandler(&errors);

  uint8_t data[4] = {1, 2, 3, 4};
  {
    Tensor a = new BufferTensor({4}, DType::u8, data);
    Tensor b = new RomTensor({2}, DType::u8, data);
    CHECK(pool.blocks_in_use() == 2);
    CHECK(pool.contains(reinterpret_cast<uint8_t*>(a.get()) - 8));  // object after prefix
    uint8_t third = a(2);
    CHECK(third == 3);
    Tensor c = new BufferTensor({4}, DType::u8, data);
    Tensor d = new BufferTensor({4}, DType::u8, data);
    Tensor e = new BufferTensor({4}, DType::u8, data);  // a fifth: the pool is full
    CHECK(!e);
    CHECK(errors.count(EventId::allocator_error) == 1);
  }
  CHECK(pool.blocks_in_use() == 0);  // every handle gave its block back

  printf("custom_allocator: %s\n", tutorial_failures ? "FAILED" : "ok");
  return tutorial_failures;
}
