#include <string.h>

#include "utensor/harness.hpp"
#ifdef UTENSOR_HARNESS_LAYERS
#include "utensor/layer_table.hpp"
#endif
#include "utensor/model.hpp"
#include "utensor/port.hpp"
#include "utensor/version.hpp"

namespace utensor {
namespace harness {
namespace {

const size_t kMaxName = 64;

// Little-endian writer over a reply payload; never writes past kMaxPayload.
class Writer {
 public:
  explicit Writer(uint8_t* p) : p_(p), n_(0) {}
  void u8(uint32_t v) {
    if (n_ < kMaxPayload) p_[n_++] = static_cast<uint8_t>(v);
  }
  void u16(uint32_t v) {
    u8(v);
    u8(v >> 8);
  }
  void u32(uint32_t v) {
    u16(v & 0xFFFFu);
    u16(v >> 16);
  }
  void f32(float v) {
    uint32_t bits;
    memcpy(&bits, &v, sizeof bits);
    u32(bits);
  }
  void str(const char* s) {
    size_t len = s ? strlen(s) : 0;
    if (len > kMaxName) len = kMaxName;
    u8(static_cast<uint32_t>(len));
    for (size_t i = 0; i < len; ++i) u8(static_cast<uint8_t>(s[i]));
  }
  uint8_t* tail() { return p_ + n_; }
  void skip(size_t k) { n_ += k; }
  size_t size() const { return n_; }

 private:
  uint8_t* p_;
  size_t n_;
};

uint32_t get_u32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | (static_cast<uint32_t>(p[1]) << 8) |
         (static_cast<uint32_t>(p[2]) << 16) | (static_cast<uint32_t>(p[3]) << 24);
}

struct Request {
  uint8_t type;
  uint8_t seq;
  uint16_t length;
  uint32_t crc;
  const uint8_t* payload;
};

enum ReadResult { kFrameOk, kFrameNack };

// Static, not on the stack: small boards have small stacks.
uint8_t g_rx[kMaxFrame];
uint8_t g_tx[kMaxFrame];
uint8_t g_nack[kHeaderBytes + 1 + 4];
// The last served request and its reply (in g_tx) for replaying retries.
bool g_have_last = false;
uint8_t g_last_seq = 0;
uint32_t g_last_crc = 0;
size_t g_last_reply_size = 0;
// The session the host announced in its last HELLO; 0 (never valid) until then, and again
// after every reset, which is how the host learns that the board lost its state.
uint32_t g_session = 0;
const size_t kSessionBytes = 4;

void send_nack(uint8_t seq, uint8_t reason) {
  size_t n = encode_frame(kNack, seq, &reason, 1, g_nack);
  utensor_port_write(g_nack, n);
}

// Reads `n` bytes into `dst` with the inter-byte timeout; false if the line went quiet.
bool read_exact(uint8_t* dst, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    int b = utensor_port_read_byte(kInterByteTimeoutMs);
    if (b < 0) return false;
    dst[i] = static_cast<uint8_t>(b);
  }
  return true;
}

// Blocks until a frame with a valid CRC arrives; NACKs damaged ones on the way.
void read_frame(Request* req) {
  for (;;) {
    int b = utensor_port_read_byte(UTENSOR_PORT_WAIT_FOREVER);
    if (b != kSync0) continue;
    // A stray A5 in garbage may be followed by the real sync: re-check each byte.
    do {
      b = utensor_port_read_byte(kInterByteTimeoutMs);
    } while (b == kSync0);
    if (b != kSync1) continue;
    g_rx[0] = kSync0;
    g_rx[1] = kSync1;
    if (!read_exact(g_rx + 2, kHeaderBytes - 2)) {
      send_nack(0, kNackTruncated);
      continue;
    }
    uint8_t seq = g_rx[3];
    uint16_t length = static_cast<uint16_t>(g_rx[4] | (g_rx[5] << 8));
    if (length > kMaxPayload) {
      send_nack(seq, kNackTooLong);
      continue;
    }
    if (!read_exact(g_rx + kHeaderBytes, length + 4u)) {
      send_nack(seq, kNackTruncated);
      continue;
    }
    uint32_t crc = crc32(g_rx + 2, kHeaderBytes - 2 + length);
    if (crc != get_u32(g_rx + kHeaderBytes + length)) {
      send_nack(seq, kNackBadCrc);
      continue;
    }
    req->type = g_rx[2];
    req->seq = seq;
    req->length = length;
    req->crc = crc;
    req->payload = g_rx + kHeaderBytes;
    return;
  }
}

// Error replies: a well-formed request the firmware cannot serve (the host does not retry).
uint8_t error_reply(Writer* w, uint8_t code, const char* message) {
  w->u8(code);
  w->str(message);
  return kError;
}

const ModelDescriptor* find_model(const uint8_t* payload, uint16_t length) {
  if (length < 1 || payload[0] >= utensor_model_registry_size) return 0;
  return utensor_model_registry[payload[0]];
}

uint8_t do_hello(const Request& r, Writer* w) {
  if (r.length == kSessionBytes) g_session = get_u32(r.payload);
  w->u16(kProtocolVersion);
  w->u32(UTENSOR_VERSION);
  w->u16(kMaxPayload);
  w->u16(static_cast<uint32_t>(utensor_model_registry_size));
  w->str(utensor_port_counter_unit());
  w->u32(g_session);
  return kHello | kReplyFlag;
}

uint8_t do_model_info(const Request& r, Writer* w) {
  const ModelDescriptor* m = find_model(r.payload, r.length);
  if (!m) return error_reply(w, kErrBadModel, "model index");
  w->u32(m->runtime_version);
  w->u32(m->arena_bytes);
  w->u32(m->weight_bytes);
  w->u8(m->num_inputs);
  w->u8(m->num_outputs);
  w->str(m->source_sha256);
  w->str(m->name);
  w->u32(m->state_bytes);
  return kModelInfo | kReplyFlag;
}

// The tensor a request addresses (payload: model, is_output, index), or 0.
const TensorDescriptor* find_tensor(const ModelDescriptor* m, uint8_t is_output, uint8_t index) {
  if (is_output) return index < m->num_outputs ? &m->outputs[index] : 0;
  return index < m->num_inputs ? &m->inputs[index] : 0;
}

uint8_t do_tensor_info(const Request& r, Writer* w) {
  const ModelDescriptor* m = find_model(r.payload, r.length);
  if (!m) return error_reply(w, kErrBadModel, "model index");
  if (r.length != 3) return error_reply(w, kErrBadPayload, "TENSOR_INFO length");
  const TensorDescriptor* t = find_tensor(m, r.payload[1], r.payload[2]);
  if (!t) return error_reply(w, kErrBadTensor, "tensor index");
  uint8_t rank = t->rank <= kMaxRank ? t->rank : kMaxRank;
  w->u8(static_cast<uint8_t>(t->dtype));
  w->u8(rank);
  for (uint8_t i = 0; i < rank; ++i) w->u32(static_cast<uint32_t>(t->dims[i]));
  w->f32(t->scale);
  w->u32(static_cast<uint32_t>(t->zero_point));
  w->u32(t->bytes);
  w->str(t->name);
  return kTensorInfo | kReplyFlag;
}

uint8_t do_set_input(const Request& r, Writer* w) {
  const ModelDescriptor* m = find_model(r.payload, r.length);
  if (!m) return error_reply(w, kErrBadModel, "model index");
  if (r.length < 6) return error_reply(w, kErrBadPayload, "SET_INPUT length");
  const TensorDescriptor* t = find_tensor(m, 0, r.payload[1]);
  if (!t) return error_reply(w, kErrBadTensor, "input index");
  uint32_t offset = get_u32(r.payload + 2);
  uint32_t n = r.length - 6u;
  if (offset > t->bytes || n > t->bytes - offset) return error_reply(w, kErrBadRange, "SET_INPUT");
  memcpy(t->data + offset, r.payload + 6, n);
  return kSetInput | kReplyFlag;
}

uint8_t do_invoke(const Request& r, Writer* w) {
  const ModelDescriptor* m = find_model(r.payload, r.length);
  if (!m) return error_reply(w, kErrBadModel, "model index");
  uint32_t start = utensor_port_cycles();
  // Marks for QEMU's exact instruction counter: the host reads the count between them.
  UTENSOR_PORT_ICOUNT_MARK();
  Status s = m->invoke();
  UTENSOR_PORT_ICOUNT_MARK();
  uint32_t delta = utensor_port_cycles() - start;  // unsigned: correct across one wrap
  w->u8(static_cast<uint8_t>(s));
  w->u32(delta);
  return kInvoke | kReplyFlag;
}

// A stateful model's state back to its initial values; INVOKE otherwise carries it over.
uint8_t do_reset(const Request& r, Writer* w) {
  const ModelDescriptor* m = find_model(r.payload, r.length);
  if (!m) return error_reply(w, kErrBadModel, "model index");
  if (m->reset != nullptr) m->reset();
  return kReset | kReplyFlag;
}

uint8_t do_get_output(const Request& r, Writer* w) {
  const ModelDescriptor* m = find_model(r.payload, r.length);
  if (!m) return error_reply(w, kErrBadModel, "model index");
  if (r.length != 8) return error_reply(w, kErrBadPayload, "GET_OUTPUT length");
  const TensorDescriptor* t = find_tensor(m, 1, r.payload[1]);
  if (!t) return error_reply(w, kErrBadTensor, "output index");
  uint32_t offset = get_u32(r.payload + 2);
  uint32_t n = static_cast<uint32_t>(r.payload[6] | (r.payload[7] << 8));
  if (n > kMaxPayload || offset > t->bytes || n > t->bytes - offset) {
    return error_reply(w, kErrBadRange, "GET_OUTPUT");
  }
  memcpy(w->tail(), t->data + offset, n);
  w->skip(n);
  return kGetOutput | kReplyFlag;
}

#ifdef UTENSOR_HARNESS_LAYERS
// The capture armed by INVOKE_LAYER: the hook copies layer g_capture_layer's output when
// its step runs during that invoke; g_capture_size stays 0 if the step never ran.
const LayerDescriptor* g_capture_layer = 0;
uint32_t g_capture_size = 0;

uint16_t get_u16(const uint8_t* p) { return static_cast<uint16_t>(p[0] | (p[1] << 8)); }

// The layer a request addresses (payload: model u8, layer u16), or 0.
const LayerDescriptor* find_layer(const Request& r, uint16_t* count) {
  *count = 0;
  if (r.length != 3 || r.payload[0] >= utensor_layer_registry_size) return 0;
  const LayerTable* t = utensor_layer_registry[r.payload[0]];
  *count = t->num_layers;
  uint16_t k = get_u16(r.payload + 1);
  return k < t->num_layers ? &t->layers[k] : 0;
}

// Reply: layer count u16, then, for an existing layer, step u16, op index u16, tensor
// index u32, op type str and the output as in TENSOR_INFO.
uint8_t do_layer_info(const Request& r, Writer* w) {
  if (!find_model(r.payload, r.length)) return error_reply(w, kErrBadModel, "model index");
  if (r.length != 3) return error_reply(w, kErrBadPayload, "LAYER_INFO length");
  uint16_t count;
  const LayerDescriptor* l = find_layer(r, &count);
  w->u16(count);
  if (!l) return kLayerInfo | kReplyFlag;
  const TensorDescriptor& t = l->output;
  uint8_t rank = t.rank <= kMaxRank ? t.rank : kMaxRank;
  w->u16(l->step);
  w->u16(l->op_index);
  w->u32(l->tensor_index);
  w->str(l->op_type);
  w->u8(static_cast<uint8_t>(t.dtype));
  w->u8(rank);
  for (uint8_t i = 0; i < rank; ++i) w->u32(static_cast<uint32_t>(t.dims[i]));
  w->f32(t.scale);
  w->u32(static_cast<uint32_t>(t.zero_point));
  w->u32(t.bytes);
  w->str(t.name);
  return kLayerInfo | kReplyFlag;
}

// INVOKE that also captures one layer: reply as INVOKE plus the captured bytes u32.
uint8_t do_invoke_layer(const Request& r, Writer* w) {
  const ModelDescriptor* m = find_model(r.payload, r.length);
  if (!m) return error_reply(w, kErrBadModel, "model index");
  uint16_t count;
  const LayerDescriptor* l = find_layer(r, &count);
  if (!l) return error_reply(w, kErrBadTensor, "layer index");
  if (l->output.bytes > utensor_layer_capture_bytes) return error_reply(w, kErrBadRange, "capture buffer");
  g_capture_layer = l;
  g_capture_size = 0;
  uint32_t start = utensor_port_cycles();
  Status s = m->invoke();
  uint32_t delta = utensor_port_cycles() - start;
  g_capture_layer = 0;
  w->u8(static_cast<uint8_t>(s));
  w->u32(delta);
  w->u32(g_capture_size);
  return kInvokeLayer | kReplyFlag;
}

// GET_CAPTURE offset u32, length u16 -> that part of the last capture.
uint8_t do_get_capture(const Request& r, Writer* w) {
  if (r.length != 6) return error_reply(w, kErrBadPayload, "GET_CAPTURE length");
  uint32_t offset = get_u32(r.payload);
  uint32_t n = get_u16(r.payload + 4);
  if (n > kMaxPayload || offset > g_capture_size || n > g_capture_size - offset) {
    return error_reply(w, kErrBadRange, "GET_CAPTURE");
  }
  memcpy(w->tail(), utensor_layer_capture + offset, n);
  w->skip(n);
  return kGetCapture | kReplyFlag;
}
#endif  // UTENSOR_HARNESS_LAYERS

// Requests that touch the arena start with the session number: strips it from `r`, or
// returns false if it is not the current session.
bool take_session(Request* r) {
  if (r->length < kSessionBytes || g_session == 0 || get_u32(r->payload) != g_session) return false;
  r->payload += kSessionBytes;
  r->length = static_cast<uint16_t>(r->length - kSessionBytes);
  return true;
}

// Serves one request into `w`; returns the reply type, or 0 for an unknown request type.
uint8_t dispatch(const Request& req, Writer* w) {
  Request body = req;
  bool arena = req.type == kSetInput || req.type == kInvoke || req.type == kGetOutput || req.type == kReset;
#ifdef UTENSOR_HARNESS_LAYERS
  arena = arena || req.type == kInvokeLayer || req.type == kGetCapture;
#endif
  if (arena && !take_session(&body)) {
    return error_reply(w, kErrSession, "session lost: board reset since HELLO");
  }
  switch (req.type) {
    case kHello: return do_hello(req, w);
    case kModelInfo: return do_model_info(req, w);
    case kTensorInfo: return do_tensor_info(req, w);
    case kSetInput: return do_set_input(body, w);
    case kInvoke: return do_invoke(body, w);
    case kGetOutput: return do_get_output(body, w);
    case kReset: return do_reset(body, w);
#ifdef UTENSOR_HARNESS_LAYERS
    case kLayerInfo: return do_layer_info(req, w);
    case kInvokeLayer: return do_invoke_layer(body, w);
    case kGetCapture: return do_get_capture(body, w);
#endif
    case kBye: return kBye | kReplyFlag;
    default: return 0;
  }
}

}  // namespace

int serve() {
  utensor_port_init();
  Request req;
  for (;;) {
    read_frame(&req);
    if (g_have_last && req.seq == g_last_seq && req.crc == g_last_crc) {
      // A retry of the request just served: its reply was lost or damaged on the way.
      utensor_port_write(g_tx, g_last_reply_size);
      continue;
    }
    Writer w(g_tx + kHeaderBytes);
    uint8_t type = dispatch(req, &w);
    if (type == 0) {
      send_nack(req.seq, kNackUnknownType);
      continue;
    }
    g_last_reply_size = encode_frame(type, req.seq, g_tx + kHeaderBytes, w.size(), g_tx);
    g_have_last = true;
    g_last_seq = req.seq;
    g_last_crc = req.crc;
    utensor_port_write(g_tx, g_last_reply_size);
    if (req.type == kBye) {
      utensor_port_exit(0);
      return 0;
    }
  }
}

}  // namespace harness
}  // namespace utensor

#ifdef UTENSOR_HARNESS_LAYERS
extern "C" void utensor_harness_layer_done(int step) {
  const utensor::LayerDescriptor* l = utensor::harness::g_capture_layer;
  if (!l || step != l->step) return;
  memcpy(utensor_layer_capture, l->output.data, l->output.bytes);
  utensor::harness::g_capture_size = l->output.bytes;
}
#endif
