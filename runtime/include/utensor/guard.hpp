#ifndef UTENSOR_GUARD_HPP
#define UTENSOR_GUARD_HPP

// Arena canaries for models converted with `utensor convert --guard`
// (`custom_utensor_guard = yes`) and built with -DUTENSOR_ARENA_GUARD.
//
// The converter plans kCanaryBytes after every activation and scratch buffer that no other
// buffer uses while that one is live. The generated run() paints a buffer's canary just
// before the operator that writes the buffer (graph inputs: at the start) and, after every
// operator, checks the canaries of all buffers live at that step. The first overwritten
// canary raises EventId::kernel_error with Status::arena_corrupted through the default
// Context's error handler (detail: the operator index; source: a `const guard::Failure*`
// naming the operator type and the canary's arena offset), and invoke() returns
// Status::arena_corrupted. A debugging aid: it catches a kernel writing past its buffer.
//
// Usage sketch, in an error handler:
//   void uThrow(const utensor::Event& e) {
//     if (e.status == utensor::Status::arena_corrupted) {
//       const utensor::guard::Failure* f = static_cast<const utensor::guard::Failure*>(e.source);
//       printf("layer %d (%s) wrote past a buffer\n", f->op_index, f->op_type);
//     }
//   }

#include <stddef.h>
#include <stdint.h>

#include "utensor/core/context.hpp"
#include "utensor/core/event.hpp"
#include "utensor/core/status.hpp"

namespace utensor {
namespace guard {

// Canary length; a multiple of the planner's 16-byte alignment so buffers stay aligned.
static const uint32_t kCanaryBytes = 16;

// What a failed check reports (the event's `source`).
struct Failure {
  int32_t op_index;        // operator position in the generated run()
  const char* op_type;     // TFLite operator name, e.g. "CONV_2D"
  uint32_t canary_offset;  // arena offset of the overwritten canary
};

// Byte i of a canary: varies with i, so neither a memset nor a shifted copy keeps it intact.
inline uint8_t pattern(uint32_t i) { return static_cast<uint8_t>(0xA5u ^ (i * 0x3Du)); }

// Writes the canary pattern over the kCanaryBytes at `p`.
inline void paint(uint8_t* p) {
  for (uint32_t i = 0; i < kCanaryBytes; ++i) p[i] = pattern(i);
}

// Returns true when the kCanaryBytes at `p` still hold the pattern.
inline bool intact(const uint8_t* p) {
  uint8_t diff = 0;
  for (uint32_t i = 0; i < kCanaryBytes; ++i) diff |= static_cast<uint8_t>(p[i] ^ pattern(i));
  return diff == 0;
}

// Checks the canaries at arena + offsets[0..n); on the first broken one fills `f`, raises
// the event described above and returns Status::arena_corrupted; else Status::ok.
inline Status check(const uint8_t* arena, const uint32_t* offsets, size_t n, int32_t op_index,
                    const char* op_type, Failure* f) {
  for (size_t i = 0; i < n; ++i) {
    if (!intact(arena + offsets[i])) {
      f->op_index = op_index;
      f->op_type = op_type;
      f->canary_offset = offsets[i];
      return raise_error(EventId::kernel_error, Status::arena_corrupted, op_index, f);
    }
  }
  return Status::ok;
}

}  // namespace guard
}  // namespace utensor

#endif  // UTENSOR_GUARD_HPP
