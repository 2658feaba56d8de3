#ifndef UTENSOR_HARNESS_HPP
#define UTENSOR_HARNESS_HPP

// The serial harness firmware: lets a host (`utensor run`, `utensor verify`) describe,
// feed, run and read every model of `utensor_model_registry[]` over the board's UART.
//
// Protocol (the host side, scripts/utensor/harness/protocol.py, documents every message):
//   frame = A5 5A | type u8 | seq u8 | length u16 LE | payload | CRC-32 LE
// with the CRC (IEEE, as zlib) over type..payload and payloads of at most kMaxPayload
// bytes, so a 16 KB-RAM board can hold a request and a reply. Damaged frames and unknown
// types are NACKed, garbage is skipped up to the next sync, and a request that arrives
// again with the seq and CRC of the last served one gets the stored reply without being
// executed again (an INVOKE must not run twice: models may overwrite their inputs).
// HELLO carries a host-chosen session number that the firmware keeps in RAM (zero after
// boot); SET_INPUT, INVOKE and GET_OUTPUT repeat it and get kErrSession if it differs, so
// a board that was reset mid-exchange (its inputs and outputs gone) is detected instead of
// its stale or zeroed arena being read as a fresh result.
//
// Usage, a whole firmware:
//   #include "utensor/harness.hpp"
//   int main() { return utensor::harness::serve(); }

#include <stddef.h>
#include <stdint.h>

namespace utensor {
namespace harness {

static const uint16_t kProtocolVersion = 2;
static const uint16_t kMaxPayload = 256;
static const uint8_t kSync0 = 0xA5;
static const uint8_t kSync1 = 0x5A;
static const size_t kHeaderBytes = 6;  // sync x2, type, seq, length u16
static const size_t kMaxFrame = kHeaderBytes + kMaxPayload + 4;
// A frame stalled this long mid-way is dropped and NACKed (a byte was lost on the wire).
// Overridable at build time (fault-injection tests shorten it to run more exchanges).
#ifndef UTENSOR_HARNESS_INTERBYTE_MS
#define UTENSOR_HARNESS_INTERBYTE_MS 250
#endif
static const uint32_t kInterByteTimeoutMs = UTENSOR_HARNESS_INTERBYTE_MS;

enum MessageType : uint8_t {
  kHello = 0x01,
  kModelInfo = 0x02,
  kTensorInfo = 0x03,
  kSetInput = 0x04,
  kInvoke = 0x05,
  kGetOutput = 0x06,
  kBye = 0x07,
  kReset = 0x0B,  // session u32, model u8 -> (): the model's reset() (stateful models)
  // Only in the per-layer debug firmware (UTENSOR_HARNESS_LAYERS); NACKed elsewhere.
  kLayerInfo = 0x08,
  kInvokeLayer = 0x09,
  kGetCapture = 0x0A,
  kReplyFlag = 0x80,
  kError = 0x7E,
  kNack = 0x7F,
};

enum NackReason : uint8_t { kNackBadCrc = 1, kNackUnknownType = 2, kNackTooLong = 3, kNackTruncated = 4 };

enum ErrorCode : uint8_t {
  kErrBadModel = 1,
  kErrBadTensor = 2,
  kErrBadRange = 3,
  kErrBadPayload = 4,
  kErrSession = 5,  // the request's session is not the board's: it was reset since HELLO
};

// CRC-32/IEEE of `n` bytes continuing from `crc` (start with 0), equal to zlib.crc32.
uint32_t crc32(const uint8_t* data, size_t n, uint32_t crc = 0);

// Writes a complete frame into `out` (at least kHeaderBytes + n + 4 bytes); returns its size.
size_t encode_frame(uint8_t type, uint8_t seq, const uint8_t* payload, size_t n, uint8_t* out);

// Serves harness requests over the board port until BYE; then exits through
// utensor_port_exit(0) and returns 0 only where that returns (host builds).
int serve();

}  // namespace harness
}  // namespace utensor

#ifdef UTENSOR_HARNESS_LAYERS
// The per-layer debug firmware's UTENSOR_LAYER_HOOK: copies the layer INVOKE_LAYER selected
// into utensor_layer_capture[] once operator `step` of the invoked model has run.
extern "C" void utensor_harness_layer_done(int step);
#endif

#endif  // UTENSOR_HARNESS_HPP
