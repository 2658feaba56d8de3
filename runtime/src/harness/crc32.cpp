#include "utensor/harness.hpp"

namespace utensor {
namespace harness {

// Nibble-wise table: 64 bytes of flash instead of 1 KB, fast enough for a UART.
static const uint32_t kCrcNibble[16] = {
    0x00000000u, 0x1DB71064u, 0x3B6E20C8u, 0x26D930ACu, 0x76DC4190u, 0x6B6B51F4u,
    0x4DB26158u, 0x5005713Cu, 0xEDB88320u, 0xF00F9344u, 0xD6D6A3E8u, 0xCB61B38Cu,
    0x9B64C2B0u, 0x86D3D2D4u, 0xA00AE278u, 0xBDBDF21Cu,
};

uint32_t crc32(const uint8_t* data, size_t n, uint32_t crc) {
  crc = ~crc;
  for (size_t i = 0; i < n; ++i) {
    crc ^= data[i];
    crc = (crc >> 4) ^ kCrcNibble[crc & 0x0Fu];
    crc = (crc >> 4) ^ kCrcNibble[crc & 0x0Fu];
  }
  return ~crc;
}

size_t encode_frame(uint8_t type, uint8_t seq, const uint8_t* payload, size_t n, uint8_t* out) {
  out[0] = kSync0;
  out[1] = kSync1;
  out[2] = type;
  out[3] = seq;
  out[4] = static_cast<uint8_t>(n & 0xFFu);
  out[5] = static_cast<uint8_t>(n >> 8);
  // The payload may already be in place (the server builds replies inside `out`).
  if (payload != out + kHeaderBytes) {
    for (size_t i = 0; i < n; ++i) out[kHeaderBytes + i] = payload[i];
  }
  uint32_t crc = crc32(out + 2, kHeaderBytes - 2 + n);
  uint8_t* tail = out + kHeaderBytes + n;
  tail[0] = static_cast<uint8_t>(crc);
  tail[1] = static_cast<uint8_t>(crc >> 8);
  tail[2] = static_cast<uint8_t>(crc >> 16);
  tail[3] = static_cast<uint8_t>(crc >> 24);
  return kHeaderBytes + n + 4;
}

}  // namespace harness
}  // namespace utensor
