// The runtime-parameter campaign firmware (scripts/utensor/bench/rt_campaign.py): one
// build per board holds the int8 and 16x8 kernels of the fast-path families; the host
// sends each draw's kernel call as the converter lowered it (the parameter struct field
// by field, the constant arrays in the converter's layouts, the planned arena offsets)
// and this firmware makes the same call the generated model would make, so no draw is
// compiled. Inputs come from a counter-based hash on both sides; the outputs go back as
// two 32-bit hashes per output (and on request as bytes, to name the first difference).
//
// Framing is the serial harness's (utensor/harness.hpp: sync, type, seq, length, payload,
// CRC-32) with campaign message types and payloads of up to kMaxData bytes:
//   HELLO  (0x01) ()                        -> version u16, dsp u8, mve u8, blob/pool/arena u32 x3
//   DATA   (0x20) offset u32, bytes         -> no reply (a damaged frame marks the blob damaged)
//   RUN    (0x21) length u32                -> code u8, status u8, cycles u32, outputs u8,
//                                              per output: crc32 u32, weighted sum u32
//   GET    (0x22) arena offset u32, n u16   -> n bytes of the arena (n <= 256)
//   BATCH  (0x23) draws u32, in-path str, out-path str
//                                           -> code u8, draws run u32
//     The bulk path under QEMU, whose UART moves ~22 KB/s (one byte per main-loop turn):
//     the draws are read from a host file through semihosting (records: length u32,
//     blob, CRC-32 of the blob), and per draw the firmware writes to the out file
//     code u8, status u8, cycles u32, outputs u8, per output: bytes u32 and the bytes.
//   BYE    (0x07) ()                        -> () and exit(0)
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "rt_params.hpp"
#include "rt_reader.hpp"
#include "utensor/harness.hpp"
#include "utensor/kernels/arch.hpp"
#include "utensor/kernels/conv2d.hpp"
#include "utensor/kernels/depthwise_conv2d.hpp"
#include "utensor/kernels/elementwise.hpp"
#include "utensor/kernels/fully_connected.hpp"
#include "utensor/kernels/pooling.hpp"
#include "utensor/kernels/row_stream.hpp"
#include "utensor/port.hpp"

namespace {

using utensor::harness::crc32;
using utensor::harness::encode_frame;
using utensor::harness::kHeaderBytes;
using utensor_rt::Reader;
namespace k = utensor::kernels;

const uint16_t kVersion = 1;
const uint8_t kHello = 0x01, kBye = 0x07, kData = 0x20, kRun = 0x21, kGet = 0x22, kBatch = 0x23;
const uint8_t kReplyFlag = 0x80;
const uint8_t kNack = 0x7F;
const size_t kMaxData = 4096;
const uint32_t kMagic = 0x43525455u;  // "UTRC"

enum Code : uint8_t { kRan = 0, kDamaged = 1, kMalformed = 2, kFingerprint = 3, kUnknownKind = 4 };
enum Kind : uint8_t {
  kConvS8Gemm = 1, kConvS8 = 2, kDwS8 = 3, kFcS8 = 4, kMaxPoolS8 = 5, kAvgPoolS8 = 6,
  kAddS8 = 7, kMulS8 = 8, kConvS16 = 9, kConvS16Acc32 = 10, kDwS16 = 11, kFcS16 = 12,
  kConvS8GemmFast = 13, kDwS8x3x3 = 14, kFcS8Groups4 = 15, kFcS8Rows = 16, kMaxPoolS8C4 = 17,
  kAvgPoolS8C4 = 18, kAddS8Tables = 19,
};

// Room for the largest draw (rt_campaign.py keeps every draw under these).
const size_t kBlobBytes = 1024 * 1024;
const size_t kPoolBytes = 1024 * 1024;
const size_t kArenaBytes = 1536 * 1024;
alignas(16) uint8_t g_blob[kBlobBytes];
alignas(16) uint8_t g_pool[kPoolBytes];
alignas(16) uint8_t g_arena[kArenaBytes];
uint8_t g_rx[kHeaderBytes + 4 + kMaxData + 4];
uint8_t g_tx[kHeaderBytes + 256 + 4];
uint32_t g_received = 0;  // blob bytes received since the last RUN
bool g_damaged = false;

uint32_t get_u32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}

void put_u32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
  p[2] = static_cast<uint8_t>(v >> 16);
  p[3] = static_cast<uint8_t>(v >> 24);
}

void reply(uint8_t type, uint8_t seq, size_t n) {
  utensor_port_write(g_tx, encode_frame(type, seq, g_tx + kHeaderBytes, n, g_tx));
}

// The inputs' bytes: murmur3's finalizer over a counter, so the host draws them with numpy.
uint32_t mix(uint32_t h) {
  h ^= h >> 16;
  h *= 0x85EBCA6Bu;
  h ^= h >> 13;
  h *= 0xC2B2AE35u;
  h ^= h >> 16;
  return h;
}

void fill(uint8_t* p, uint32_t n, uint32_t seed) {
  for (uint32_t i = 0; i < n; ++i) p[i] = static_cast<uint8_t>(mix(seed + i * 0x9E3779B9u) >> 24);
}

// A position-weighted sum beside the CRC: errors that cancel in one rarely cancel in both.
uint32_t weighted_sum(const uint8_t* p, uint32_t n) {
  uint32_t s = 0;
  for (uint32_t i = 0; i < n; ++i) s += (static_cast<uint32_t>(p[i]) + 1u) * (mix(i) | 1u);
  return s;
}

// An operand: nullptr, a constant array (into the pool) or a place in the arena.
const void* operand(Reader& r, uint8_t* arena, uint32_t arena_bytes) {
  const uint8_t tag = r.u8();
  if (tag == utensor_rt::kTagNull) return nullptr;
  if (tag == utensor_rt::kTagArray) return r.array_body<uint8_t>();
  const uint32_t offset = r.u32();
  if (tag != utensor_rt::kTagArena || offset > arena_bytes) {
    r.fail();
    return nullptr;
  }
  return arena + offset;
}

template <typename T>
const T* in(const void* p) {
  return static_cast<const T*>(p);
}
template <typename T>
T* out(const void* p) {
  return static_cast<T*>(const_cast<void*>(p));
}

// Reads the params struct P (checking the host's fingerprint of its table layout).
template <typename P>
bool params(Reader& r, uint32_t fingerprint, uint32_t expected, P* p, uint8_t* code) {
  if (fingerprint != expected) {
    *code = kFingerprint;
    return false;
  }
  read(r, p);
  return r.ok();
}

// The kernel call once, or once per output row through run_rows_in_place when the planner
// streams the layer in place (emitter.py _render_call does the same).
template <typename P, typename Call>
void call_rows(bool streamed, const P& params, const int8_t* input, int8_t* output, uint8_t* staging,
               int32_t staging_rows, int32_t out_row_elems, Call call) {
  if (streamed) {
    k::run_rows_in_place(params, input, output, staging, staging_rows, out_row_elems, call);
  } else {
    call(params, input, output);
  }
}

// Runs one draw's kernel call; returns the code, sets *n_out and the outputs' places.
uint8_t run_blob(uint32_t length, uint32_t* cycles, uint8_t* n_out, uint32_t* out_off, uint32_t* out_len) {
  Reader r(g_blob, length, g_pool, kPoolBytes);
  if (r.u32() != kMagic) return kMalformed;
  const uint8_t kind = r.u8();
  const uint32_t fp = r.u32();
  const uint32_t arena_bytes = r.u32();
  if (!r.ok() || arena_bytes > kArenaBytes) return kMalformed;
  r.set_arena(g_arena, arena_bytes);
  // A pattern, not zeros: an output element a kernel forgets to write shows.
  memset(g_arena, 0x5A, arena_bytes);
  uint8_t code = kRan;
  union {
    k::Conv2DS8Params conv;
    k::DepthwiseConv2DS8Params dw;
    k::FullyConnectedS8Params fc;
    k::PoolS8Params pool;
    k::AddS8Params add;
    k::MulS8Params mul;
    k::Conv2DS16Params conv16;
    k::DepthwiseConv2DS16Params dw16;
    k::FullyConnectedS16Params fc16;
  } p;
  bool ok;
  switch (kind) {
    case kConvS8Gemm:
    case kConvS8GemmFast:
    case kConvS8: ok = params(r, fp, utensor_rt::kFingerprintConv2DS8Params, &p.conv, &code); break;
    case kDwS8:
    case kDwS8x3x3: ok = params(r, fp, utensor_rt::kFingerprintDepthwiseConv2DS8Params, &p.dw, &code); break;
    case kFcS8:
    case kFcS8Groups4:
    case kFcS8Rows: ok = params(r, fp, utensor_rt::kFingerprintFullyConnectedS8Params, &p.fc, &code); break;
    case kMaxPoolS8:
    case kAvgPoolS8:
    case kMaxPoolS8C4:
    case kAvgPoolS8C4: ok = params(r, fp, utensor_rt::kFingerprintPoolS8Params, &p.pool, &code); break;
    case kAddS8:
    case kAddS8Tables: ok = params(r, fp, utensor_rt::kFingerprintAddS8Params, &p.add, &code); break;
    case kMulS8: ok = params(r, fp, utensor_rt::kFingerprintMulS8Params, &p.mul, &code); break;
    case kConvS16:
    case kConvS16Acc32: ok = params(r, fp, utensor_rt::kFingerprintConv2DS16Params, &p.conv16, &code); break;
    case kDwS16: ok = params(r, fp, utensor_rt::kFingerprintDepthwiseConv2DS16Params, &p.dw16, &code); break;
    case kFcS16: ok = params(r, fp, utensor_rt::kFingerprintFullyConnectedS16Params, &p.fc16, &code); break;
    default: return kUnknownKind;
  }
  if (!ok) return code == kRan ? static_cast<uint8_t>(kMalformed) : code;
  const void* a[6];
  const uint8_t n_operands = r.u8();
  if (n_operands > 6) return kMalformed;
  for (uint8_t i = 0; i < n_operands; ++i) a[i] = operand(r, g_arena, arena_bytes);
  const uint8_t n_inputs = r.u8();
  for (uint8_t i = 0; i < n_inputs && r.ok(); ++i) {
    const uint32_t off = r.u32(), n = r.u32(), seed = r.u32();
    if (off > arena_bytes || n > arena_bytes - off) return kMalformed;
    if (r.ok()) fill(g_arena + off, n, seed);
  }
  // The planner's in-place row streaming (templates/row_stream.j2), or none.
  const uint8_t streamed = r.u8();
  uint32_t staging_offset = 0;
  int32_t staging_rows = 0, out_row_elems = 0;
  if (streamed) {
    staging_offset = r.u32();
    r.scalar(&staging_rows);
    r.scalar(&out_row_elems);
    if (staging_offset > arena_bytes || staging_rows < 1) return kMalformed;
    if (kind != kConvS8Gemm && kind != kConvS8GemmFast && kind != kConvS8 && kind != kDwS8 &&
        kind != kDwS8x3x3) {
      return kMalformed;
    }
  }
  uint8_t* staging = g_arena + staging_offset;
  *n_out = r.u8();
  if (*n_out > 4) return kMalformed;
  for (uint8_t i = 0; i < *n_out; ++i) {
    out_off[i] = r.u32();
    out_len[i] = r.u32();
    if (out_off[i] > arena_bytes || out_len[i] > arena_bytes - out_off[i]) return kMalformed;
  }
  if (!r.ok()) return kMalformed;
  static const uint8_t kOperands[] = {0, 5, 5, 4, 6, 2, 2, 3, 3, 4, 4, 4, 4, 5, 4, 6, 6, 2, 2, 3};
  if (n_operands != kOperands[kind]) return kMalformed;
  const uint32_t t0 = utensor_port_cycles();
  switch (kind) {
    // The same calls as scripts/utensor/templates/ops/*.j2 render for these lowerings.
    // emitter.py _render_call: the same call once per output row, through run_rows_in_place.
    case kConvS8Gemm:
    case kConvS8GemmFast:
    case kConvS8: {
      const int8_t* filter = in<int8_t>(a[1]);
      const int32_t* bias = in<int32_t>(a[2]);
      int8_t* scratch = out<int8_t>(a[4]);
      const uint8_t which = kind;
      call_rows(streamed, p.conv, in<int8_t>(a[0]), out<int8_t>(a[3]), staging, staging_rows, out_row_elems,
                [=](const k::Conv2DS8Params& bp, const int8_t* bi, int8_t* bo) {
                  if (which == kConvS8Gemm) {
                    k::conv2d_s8_gemm(bp, bi, filter, bias, bo, scratch);
                  } else if (which == kConvS8GemmFast) {
                    k::conv2d_s8_gemm_fast(bp, bi, filter, bias, bo, scratch);
                  } else {
                    k::conv2d_s8(bp, bi, filter, bias, bo, scratch);
                  }
                });
      break;
    }
    case kDwS8:
    case kDwS8x3x3: {
      const int8_t* filter = in<int8_t>(a[1]);
      const int32_t* bias = in<int32_t>(a[2]);
      const bool three = kind == kDwS8x3x3;
      call_rows(streamed, p.dw, in<int8_t>(a[0]), out<int8_t>(a[3]), staging, staging_rows, out_row_elems,
                [=](const k::DepthwiseConv2DS8Params& bp, const int8_t* bi, int8_t* bo) {
                  if (three) {
                    k::depthwise_conv2d_s8_3x3(bp, bi, filter, bias, bo);
                  } else {
                    k::depthwise_conv2d_s8(bp, bi, filter, bias, bo);
                  }
                });
      break;
    }
    case kFcS8:
    case kFcS8Groups4:
    case kFcS8Rows: {
      // ops/fully_connected.j2: the interleaved weights (when the converter made them) on
      // DSP cores without Helium, the rows elsewhere; scratch only for the widening path;
      // the entry the lowering chose.
      const int8_t* filter = in<int8_t>(a[1]);
      p.fc.filter_layout = k::kFilterRows;
#if UTENSOR_KERNELS_DSP && !UTENSOR_KERNELS_MVE
      if (a[2] != nullptr) {
        filter = in<int8_t>(a[2]);
        p.fc.filter_layout = k::kFilterInterleaved4;
      }
#endif
      p.fc.scratch = out<uint8_t>(a[5]);
      if (kind == kFcS8Groups4) {
        k::fully_connected_s8_groups4(p.fc, in<int8_t>(a[0]), filter, in<int32_t>(a[3]), out<int8_t>(a[4]));
      } else if (kind == kFcS8Rows) {
        k::fully_connected_s8_rows(p.fc, in<int8_t>(a[0]), filter, in<int32_t>(a[3]), out<int8_t>(a[4]));
      } else {
        k::fully_connected_s8(p.fc, in<int8_t>(a[0]), filter, in<int32_t>(a[3]), out<int8_t>(a[4]));
      }
      break;
    }
    case kMaxPoolS8: k::max_pool2d_s8(p.pool, in<int8_t>(a[0]), out<int8_t>(a[1])); break;
    case kAvgPoolS8: k::average_pool2d_s8(p.pool, in<int8_t>(a[0]), out<int8_t>(a[1])); break;
    case kMaxPoolS8C4: k::max_pool2d_s8_c4(p.pool, in<int8_t>(a[0]), out<int8_t>(a[1])); break;
    case kAvgPoolS8C4: k::average_pool2d_s8_c4(p.pool, in<int8_t>(a[0]), out<int8_t>(a[1])); break;
    case kAddS8: k::add_s8(p.add, in<int8_t>(a[0]), in<int8_t>(a[1]), out<int8_t>(a[2])); break;
    case kAddS8Tables: k::add_s8_tables(p.add, in<int8_t>(a[0]), in<int8_t>(a[1]), out<int8_t>(a[2])); break;
    case kMulS8: k::mul_s8(p.mul, in<int8_t>(a[0]), in<int8_t>(a[1]), out<int8_t>(a[2])); break;
    case kConvS16:
      k::conv2d_s16(p.conv16, in<int16_t>(a[0]), in<int8_t>(a[1]), in<int64_t>(a[2]), out<int16_t>(a[3]));
      break;
    case kConvS16Acc32:
      k::conv2d_s16_acc32(p.conv16, in<int16_t>(a[0]), in<int8_t>(a[1]), in<int32_t>(a[2]),
                          out<int16_t>(a[3]));
      break;
    case kDwS16:
      k::depthwise_conv2d_s16(p.dw16, in<int16_t>(a[0]), in<int8_t>(a[1]), in<int64_t>(a[2]),
                              out<int16_t>(a[3]));
      break;
    case kFcS16:
      k::fully_connected_s16(p.fc16, in<int16_t>(a[0]), in<int8_t>(a[1]), in<int64_t>(a[2]),
                             out<int16_t>(a[3]));
      break;
    default: return kUnknownKind;
  }
  *cycles = utensor_port_cycles() - t0;
  return kRan;
}

// Under QEMU's -icount a spinning guest's clock races ahead while the host is slow to feed
// the UART (a loaded machine): the harness's 250 ms would cut 4 KB frames. A byte lost on
// a real line still ends the frame, later.
const uint32_t kInterByteMs = 20000;

// ---- semihosting (QEMU -semihosting-config enable=on: the bulk path) ----

int semihost(int op, void* arg) {
  register int r0 __asm__("r0") = op;
  register void* r1 __asm__("r1") = arg;
  __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
  return r0;
}

const int kSysOpen = 0x01, kSysClose = 0x02, kSysWrite = 0x05, kSysRead = 0x06;

int sh_open(const char* path, uint32_t len, uint32_t mode) {
  uint32_t block[3] = {static_cast<uint32_t>(reinterpret_cast<uintptr_t>(path)), mode, len};
  return semihost(kSysOpen, block);
}

// True when all n bytes moved (the calls return the bytes NOT transferred).
bool sh_io(int op, int handle, const void* buf, uint32_t n) {
  uint32_t block[3] = {static_cast<uint32_t>(handle), static_cast<uint32_t>(reinterpret_cast<uintptr_t>(buf)), n};
  return n == 0 || semihost(op, block) == 0;
}

void sh_close(int handle) {
  uint32_t block[1] = {static_cast<uint32_t>(handle)};
  semihost(kSysClose, block);
}

char g_path_in[256];
char g_path_out[256];

// Runs `count` draws from the in file, writing each one's result to the out file; returns
// the code (kRan: all ran) and the draws run.
uint8_t run_batch(uint32_t count, uint32_t* done) {
  *done = 0;
  const int fin = sh_open(g_path_in, static_cast<uint32_t>(strlen(g_path_in)), 1 /* rb */);
  if (fin < 0) return kMalformed;
  const int fout = sh_open(g_path_out, static_cast<uint32_t>(strlen(g_path_out)), 5 /* wb */);
  if (fout < 0) {
    sh_close(fin);
    return kMalformed;
  }
  uint8_t code = kRan;
  for (uint32_t d = 0; d < count; ++d) {
    uint8_t head[4], tail[4];
    if (!sh_io(kSysRead, fin, head, 4)) {
      code = kMalformed;
      break;
    }
    const uint32_t n = get_u32(head);
    if (n > kBlobBytes || !sh_io(kSysRead, fin, g_blob, n) || !sh_io(kSysRead, fin, tail, 4)) {
      code = kMalformed;
      break;
    }
    uint32_t cycles = 0, off[4], len[4];
    uint8_t n_out = 0;
    uint8_t c = crc32(g_blob, n) == get_u32(tail) ? run_blob(n, &cycles, &n_out, off, len)
                                                  : static_cast<uint8_t>(kDamaged);
    if (c != kRan) n_out = 0;
    uint8_t rec[7];
    rec[0] = c;
    rec[1] = 0;
    put_u32(rec + 2, cycles);
    rec[6] = n_out;
    bool ok = sh_io(kSysWrite, fout, rec, 7);
    for (uint8_t i = 0; i < n_out && ok; ++i) {
      uint8_t nb[4];
      put_u32(nb, len[i]);
      ok = sh_io(kSysWrite, fout, nb, 4) && sh_io(kSysWrite, fout, g_arena + off[i], len[i]);
    }
    if (!ok) {
      code = kMalformed;
      break;
    }
    *done = d + 1;
  }
  sh_close(fin);
  sh_close(fout);
  return code;
}

bool read_exact(uint8_t* dst, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    const int b = utensor_port_read_byte(kInterByteMs);
    if (b < 0) return false;
    dst[i] = static_cast<uint8_t>(b);
  }
  return true;
}

void send_nack(uint8_t seq) {
  g_tx[kHeaderBytes] = 1;
  reply(kNack, seq, 1);
}

}  // namespace

int main() {
  utensor_port_init();
  for (;;) {
    int b = utensor_port_read_byte(UTENSOR_PORT_WAIT_FOREVER);
    if (b != utensor::harness::kSync0) continue;
    do {
      b = utensor_port_read_byte(kInterByteMs);
    } while (b == utensor::harness::kSync0);
    if (b != utensor::harness::kSync1) continue;
    if (!read_exact(g_rx + 2, kHeaderBytes - 2)) {
      g_damaged = true;
      continue;
    }
    const uint8_t type = g_rx[2], seq = g_rx[3];
    const size_t length = static_cast<size_t>(g_rx[4] | (g_rx[5] << 8));
    if (length > 4 + kMaxData || !read_exact(g_rx + kHeaderBytes, length + 4)) {
      g_damaged = true;
      send_nack(seq);
      continue;
    }
    const uint8_t* payload = g_rx + kHeaderBytes;
    if (crc32(g_rx + 2, kHeaderBytes - 2 + length) != get_u32(payload + length)) {
      g_damaged = true;
      send_nack(seq);
      continue;
    }
    uint8_t* w = g_tx + kHeaderBytes;
    switch (type) {
      case kHello:
        w[0] = static_cast<uint8_t>(kVersion);
        w[1] = static_cast<uint8_t>(kVersion >> 8);
        w[2] = UTENSOR_KERNELS_DSP;
        w[3] = UTENSOR_KERNELS_MVE;
        put_u32(w + 4, kBlobBytes);
        put_u32(w + 8, kPoolBytes);
        put_u32(w + 12, kArenaBytes);
        g_received = 0;
        g_damaged = false;
        reply(type | kReplyFlag, seq, 16);
        break;
      case kData: {
        const uint32_t off = get_u32(payload);
        const size_t n = length - 4;
        if (length < 4 || off > kBlobBytes || n > kBlobBytes - off) {
          g_damaged = true;
          break;
        }
        memcpy(g_blob + off, payload + 4, n);
        g_received += static_cast<uint32_t>(n);
        break;
      }
      case kRun: {
        const uint32_t n = get_u32(payload);
        uint32_t cycles = 0, off[4], len[4];
        uint8_t n_out = 0, code;
        if (g_damaged || g_received != n || n > kBlobBytes) {
          code = kDamaged;
        } else {
          code = run_blob(n, &cycles, &n_out, off, len);
        }
        g_received = 0;
        g_damaged = false;
        w[0] = code;
        w[1] = 0;
        put_u32(w + 2, cycles);
        if (code != kRan) n_out = 0;
        w[6] = n_out;
        for (uint8_t i = 0; i < n_out; ++i) {
          put_u32(w + 7 + 8 * i, crc32(g_arena + off[i], len[i]));
          put_u32(w + 11 + 8 * i, weighted_sum(g_arena + off[i], len[i]));
        }
        reply(type | kReplyFlag, seq, 7 + 8u * n_out);
        break;
      }
      case kGet: {
        const uint32_t off = get_u32(payload);
        const size_t n = static_cast<size_t>(payload[4] | (payload[5] << 8));
        if (n > 256 || off > kArenaBytes || n > kArenaBytes - off) {
          send_nack(seq);
          break;
        }
        memcpy(w, g_arena + off, n);
        reply(type | kReplyFlag, seq, n);
        break;
      }
      case kBatch: {
        // draws u32, then two strings (length u8 + bytes).
        const uint32_t count = get_u32(payload);
        size_t at = 4;
        char* paths[2] = {g_path_in, g_path_out};
        bool ok = length >= 6;
        for (int i = 0; i < 2 && ok; ++i) {
          const size_t n = at < length ? payload[at] : 256;
          ok = n < 256 && at + 1 + n <= length;
          if (ok) {
            memcpy(paths[i], payload + at + 1, n);
            paths[i][n] = '\0';
            at += 1 + n;
          }
        }
        uint32_t done = 0;
        w[0] = ok ? run_batch(count, &done) : static_cast<uint8_t>(kMalformed);
        put_u32(w + 1, done);
        reply(type | kReplyFlag, seq, 5);
        break;
      }
      case kBye:
        reply(type | kReplyFlag, seq, 0);
        utensor_port_exit(0);
        return 0;
      default:
        send_nack(seq);
    }
  }
}
