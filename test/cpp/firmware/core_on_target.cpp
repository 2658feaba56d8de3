// The seed snippets and the runtime's safety rules, run on a Cortex-M under QEMU, so target
// and host are shown to agree (byte order, bounds, events). Prints one line per check and a
// sentinel; exits non-zero through semihosting on any failure.
#include <string.h>

#include "utensor/utensor.hpp"

extern "C" void fw_puts(const char* s);

using namespace utensor;

namespace {
int g_failures = 0;

void check(bool ok, const char* what) {
  fw_puts(ok ? "PASS " : "FAIL ");
  fw_puts(what);
  fw_puts("\n");
  if (!ok) ++g_failures;
}

bool has_event(const SimpleErrorHandler& h, EventId id, Status s) {
  for (RingErrorHandler::const_iterator it = h.begin(); it != h.end(); ++it) {
    if (it->id == id && it->status == s) return true;
  }
  return false;
}

LocalCircularArenaAllocator<1024> meta_allocator;
LocalCircularArenaAllocator<3 * (96 + CircularArenaAllocator::kBlockOverhead)> ram_allocator;
}  // namespace

int main() {
  SimpleErrorHandler errH(50);
  Context::get_default_context()->set_ErrorHandler(&errH);
  Context::get_default_context()->set_metadata_allocator(&meta_allocator);
  Context::get_default_context()->set_ram_data_allocator(&ram_allocator);

  {
    uint8_t buf[4] = {0xde, 0xad, 0xbe, 0xef};
    Tensor t = new BufferTensor({2, 2}, DType::u8, buf);
    uint16_t v = t(0, 0);
    check(v == 0xadde, "seed tensor snippet: uint16_t v = t(0,0) == 0xadde");
    uint32_t w = t(0, 0);
    check(w == 0xefbeadde, "uint32_t read of 4 bytes is little-endian");
    t(1, 0) = uint16_t(0x1234);
    check(buf[2] == 0x34 && buf[3] == 0x12, "uint16_t write stores little-endian");
    errH.clear();
    uint32_t past = t(1, 1);
    t(1, 1) = uint32_t(0);
    check(past == 0 && buf[3] == 0x12 && errH.count(EventId::tensor_error) == 2,
          "access past the end is refused with an event");
    check(t.get<int32_t>(0) == 0 && has_event(errH, EventId::tensor_error,
                                               Status::dtype_mismatch),
          "typed accessor checks the dtype");
  }
  {
    static const float weights[2] = {1.5f, -2.25f};
    Tensor t = new RomTensor({2}, DType::f32, weights);
    errH.clear();
    t(1) = 3.0f;
    float f = t(1);
    check(f == -2.25f && has_event(errH, EventId::tensor_error, Status::write_to_rom),
          "RomTensor refuses writes with an event");
  }
  {
    errH.clear();
    Tensor a = new RamTensor({96}, DType::u8);
    Tensor b = new RamTensor({96}, DType::u8);
    Tensor c = new RamTensor({96}, DType::u8);
    for (int i = 0; i < 96; ++i) b(i) = static_cast<uint8_t>(i);
    a.release();
    c.release();
    Tensor d = new RamTensor({192}, DType::u8);
    bool intact = true;
    for (int i = 0; i < 96; ++i) intact = intact && b.get<uint8_t>(i) == i;
    check(has_event(errH, EventId::rebalance, Status::ok) && intact &&
              static_cast<RamTensor*>(d.get())->ok(),
          "seed error snippet: rebalancing event found, moved data intact");
  }
  check(meta_allocator.num_blocks() == 0, "handles returned all tensor metadata");
#ifndef UTENSOR_NO_LOG_STRINGS
  check(strcmp(status_name(Status::write_to_rom), "write to read-only tensor") == 0,
        "status names");
#endif
  fw_puts(g_failures == 0 ? "~~~ALL TESTS PASSED~~~\n" : "~~~TESTS FAILED~~~\n");
  return g_failures;
}
