"""The serial protocol between the host and the harness firmware: framing and messages.

Pure functions and one incremental decoder; no I/O. The firmware side is
`runtime/src/harness/` and must agree with every constant here.

Frame (all integers little-endian):

    sync  A5 5A | type u8 | seq u8 | length u16 | payload[length] | crc32 u32

The CRC is CRC-32/IEEE (zlib's) over type, seq, length and payload. Payloads are at most
`MAX_PAYLOAD` bytes so that a board with 16 KB of RAM can hold a request and its reply.

Requests and replies (a reply's type is the request's type | 0x80, same seq):

    HELLO        session u32                      -> protocol u16, runtime version u32,
                                                     max payload u16, models u16, counter unit str,
                                                     session u32 (the board's, after this HELLO)
    MODEL_INFO   model u8                         -> runtime version u32, arena u32, weights u32,
                                                     inputs u8, outputs u8, sha256 str, name str,
                                                     state u32 (bytes of the arena kept across
                                                     invokes; absent from older firmware: 0)
    TENSOR_INFO  model u8, is_output u8, index u8 -> dtype u8, rank u8, dims i32*rank, scale f32,
                                                     zero point i32, bytes u32, name str
    SET_INPUT    session u32, model u8, index u8, offset u32, data -> ()
    INVOKE       session u32, model u8            -> status u8, counter delta u32
    GET_OUTPUT   session u32, model u8, index u8, offset u32, length u16 -> data
    RESET        session u32, model u8            -> () the model's reset(): its state
                                                     (variable tensors) to initial values;
                                                     INVOKE carries the state over otherwise
    BYE          ()                               -> () and the firmware exits with code 0

Only the per-layer debug firmware (`utensor verify --layers`, built with
UTENSOR_HARNESS_LAYERS) serves these; the default firmware NACKs them as unknown types:

    LAYER_INFO   model u8, layer u16              -> layers u16, and for an existing layer:
                                                     step u16, op index u16, tensor index u32,
                                                     op type str, then the output as TENSOR_INFO
    INVOKE_LAYER session u32, model u8, layer u16 -> status u8, counter delta u32, captured u32
    GET_CAPTURE  session u32, offset u32, length u16 -> data (of the last INVOKE_LAYER's capture)

`str` is a u8 length and that many bytes (UTF-8, truncated by the firmware to 64 bytes).
Besides the replies, the firmware may send NACK (reason u8: the frame was damaged or of an
unknown type; the host retries the same request) or ERROR (code u8, message str: the request
was well-formed but cannot be served; retrying cannot help).

The firmware remembers the seq and CRC of the last request it served together with its
reply: a request that arrives again unchanged (the host retrying after a lost or damaged
reply) gets the stored reply, and is not executed twice. This matters for INVOKE, whose
model may overwrite its own inputs in the arena.

Sessions (protocol 2): the host picks a non-zero random session number per HELLO; the
firmware keeps it in RAM, where a reset puts it back to 0. SET_INPUT, INVOKE and GET_OUTPUT
start with the session and get ERROR `ERR_SESSION` when it is not the board's, so a board
reset between uploading inputs and reading outputs is detected (the host re-does HELLO and
the whole inference) and never yields the zeroed or stale arena as a result.
"""

import struct
import zlib
from dataclasses import dataclass
from typing import List, Optional, Tuple

PROTOCOL_VERSION = 2
SYNC = b"\xa5\x5a"
HEADER = struct.Struct("<BBH")  # type, seq, length (after the sync bytes)
CRC = struct.Struct("<I")
MAX_PAYLOAD = 256
OVERHEAD = len(SYNC) + HEADER.size + CRC.size
MAX_NAME = 64

HELLO = 0x01
MODEL_INFO = 0x02
TENSOR_INFO = 0x03
SET_INPUT = 0x04
INVOKE = 0x05
GET_OUTPUT = 0x06
BYE = 0x07
LAYER_INFO = 0x08
INVOKE_LAYER = 0x09
GET_CAPTURE = 0x0A
RESET = 0x0B
REPLY = 0x80
NACK = 0x7F
ERROR = 0x7E

REQUEST_NAMES = {
    HELLO: "HELLO",
    MODEL_INFO: "MODEL_INFO",
    TENSOR_INFO: "TENSOR_INFO",
    SET_INPUT: "SET_INPUT",
    INVOKE: "INVOKE",
    GET_OUTPUT: "GET_OUTPUT",
    BYE: "BYE",
    LAYER_INFO: "LAYER_INFO",
    INVOKE_LAYER: "INVOKE_LAYER",
    GET_CAPTURE: "GET_CAPTURE",
    RESET: "RESET",
}

# NACK reasons.
NACK_BAD_CRC = 1
NACK_UNKNOWN_TYPE = 2
NACK_TOO_LONG = 3
NACK_TRUNCATED = 4
NACK_REASONS = {
    NACK_BAD_CRC: "bad CRC",
    NACK_UNKNOWN_TYPE: "unknown message type",
    NACK_TOO_LONG: "payload too long",
    NACK_TRUNCATED: "frame truncated (inter-byte timeout)",
}

# ERROR codes.
ERR_BAD_MODEL = 1
ERR_BAD_TENSOR = 2
ERR_BAD_RANGE = 3
ERR_BAD_PAYLOAD = 4
ERR_SESSION = 5
ERROR_CODES = {
    ERR_BAD_MODEL: "no such model",
    ERR_BAD_TENSOR: "no such tensor",
    ERR_BAD_RANGE: "offset/length outside the tensor",
    ERR_BAD_PAYLOAD: "malformed payload",
    ERR_SESSION: "session lost (the board was reset since HELLO)",
}

# Largest data chunk in one SET_INPUT request (the rest of the payload is its header).
SESSION = struct.Struct("<I")
SET_INPUT_HEADER = struct.Struct("<BBI")
GET_OUTPUT_REQUEST = struct.Struct("<BBIH")
INPUT_CHUNK = MAX_PAYLOAD - SESSION.size - SET_INPUT_HEADER.size
OUTPUT_CHUNK = MAX_PAYLOAD

# runtime DType enumerator value -> (IR dtype name, numpy dtype string). Append only.
DTYPES = {
    0: ("int8", "<i1"),
    1: ("uint8", "<u1"),
    2: ("int16", "<i2"),
    3: ("uint16", "<u2"),
    4: ("int32", "<i4"),
    5: ("uint32", "<u4"),
    6: ("float32", "<f4"),
    7: ("int64", "<i8"),
    8: ("bool", "<u1"),
}


class ProtocolError(Exception):
    """A payload does not decode as the message it claims to be (a firmware/host mismatch)."""


def crc32(data: bytes) -> int:
    return zlib.crc32(data) & 0xFFFFFFFF


def encode_frame(msg_type: int, seq: int, payload: bytes = b"") -> bytes:
    """One complete frame, sync to CRC."""
    if len(payload) > MAX_PAYLOAD:
        raise ValueError(f"payload of {len(payload)} bytes exceeds {MAX_PAYLOAD}")
    body = HEADER.pack(msg_type, seq & 0xFF, len(payload)) + payload
    return SYNC + body + CRC.pack(crc32(body))


@dataclass
class Frame:
    type: int
    seq: int
    payload: bytes


@dataclass
class BadFrame:
    """A frame-shaped byte run that failed its CRC or announced an impossible length."""

    reason: str
    seq: int


class Decoder:
    """Incremental frame parser: feed bytes, get frames and damage reports.

    Garbage between frames is skipped up to the next sync pattern. After a bad CRC the
    parser resumes searching one byte after the failed sync, so a frame that begins
    inside the damaged run is still found.
    """

    def __init__(self) -> None:
        self._buf = bytearray()

    def feed(self, data: bytes) -> List[object]:
        self._buf += data
        events: List[object] = []
        while True:
            start = self._buf.find(SYNC)
            if start < 0:
                # Keep a trailing first sync byte: its partner may come in the next read.
                keep = 1 if self._buf[-1:] == SYNC[:1] else 0
                del self._buf[: len(self._buf) - keep]
                return events
            del self._buf[:start]
            if len(self._buf) < len(SYNC) + HEADER.size:
                return events
            msg_type, seq, length = HEADER.unpack_from(self._buf, len(SYNC))
            if length > MAX_PAYLOAD:
                events.append(BadFrame("payload too long", seq))
                del self._buf[:1]
                continue
            total = OVERHEAD + length
            if len(self._buf) < total:
                return events
            body = bytes(self._buf[len(SYNC) : total - CRC.size])
            (crc,) = CRC.unpack_from(self._buf, total - CRC.size)
            if crc != crc32(body):
                events.append(BadFrame("bad CRC", seq))
                del self._buf[:1]
                continue
            events.append(Frame(msg_type, seq, body[HEADER.size :]))
            del self._buf[:total]

    def clear(self) -> None:
        self._buf.clear()

    def wanted(self) -> int:
        """Bytes that can be read without reading past the frame being received: lets a
        reader ask for whole frames (pyserial's socket:// reports readiness, not counts)."""
        head = len(SYNC) + HEADER.size
        if len(self._buf) < head:
            return head - len(self._buf)
        _, _, length = HEADER.unpack_from(self._buf, len(SYNC))
        total = OVERHEAD + min(length, MAX_PAYLOAD)
        return max(1, total - len(self._buf))

    @property
    def pending(self) -> bool:
        """True while part of a frame has been received."""
        return bool(self._buf)


# ---- payload codecs -------------------------------------------------------------------


class _Reader:
    def __init__(self, data: bytes, what: str):
        self.data, self.pos, self.what = data, 0, what

    def take(self, fmt: str):
        s = struct.Struct("<" + fmt)
        if self.pos + s.size > len(self.data):
            raise ProtocolError(f"{self.what} reply is truncated ({len(self.data)} bytes)")
        values = s.unpack_from(self.data, self.pos)
        self.pos += s.size
        return values if len(values) > 1 else values[0]

    def string(self) -> str:
        n = self.take("B")
        if self.pos + n > len(self.data):
            raise ProtocolError(f"{self.what} reply has a truncated string")
        s = self.data[self.pos : self.pos + n].decode("utf-8", errors="replace")
        self.pos += n
        return s

    def done(self) -> None:
        if self.pos != len(self.data):
            raise ProtocolError(
                f"{self.what} reply has {len(self.data) - self.pos} unexpected trailing bytes"
            )


def encode_string(s: str) -> bytes:
    b = s.encode("utf-8")[:MAX_NAME]
    return bytes([len(b)]) + b


@dataclass
class Hello:
    protocol_version: int
    runtime_version: int
    max_payload: int
    num_models: int
    counter_unit: str
    session: int = 0


def encode_hello(h: Hello) -> bytes:
    return (
        struct.pack("<HIHH", h.protocol_version, h.runtime_version, h.max_payload, h.num_models)
        + encode_string(h.counter_unit)
        + SESSION.pack(h.session)
    )


def decode_hello(payload: bytes) -> Hello:
    r = _Reader(payload, "HELLO")
    proto, runtime, max_payload, models = r.take("HIHH")
    unit = r.string()
    if proto != PROTOCOL_VERSION and r.pos == len(payload):
        return Hello(proto, runtime, max_payload, models, unit)  # protocol 1: no session
    session = r.take("I")
    r.done()
    return Hello(proto, runtime, max_payload, models, unit, session)


def with_session(session: int, payload: bytes) -> bytes:
    """A SET_INPUT, INVOKE or GET_OUTPUT payload prefixed with its session number."""
    return SESSION.pack(session) + payload


@dataclass
class ModelInfo:
    runtime_version: int
    arena_bytes: int
    weight_bytes: int
    num_inputs: int
    num_outputs: int
    sha256: str
    name: str
    state_bytes: int = 0


def encode_model_info(m: ModelInfo) -> bytes:
    return (
        struct.pack(
            "<IIIBB", m.runtime_version, m.arena_bytes, m.weight_bytes, m.num_inputs, m.num_outputs
        )
        + encode_string(m.sha256)
        + encode_string(m.name)
        + struct.pack("<I", m.state_bytes)
    )


def decode_model_info(payload: bytes) -> ModelInfo:
    r = _Reader(payload, "MODEL_INFO")
    runtime, arena, weights, n_in, n_out = r.take("IIIBB")
    sha, name = r.string(), r.string()
    state = r.take("I") if r.pos < len(r.data) else 0
    r.done()
    return ModelInfo(runtime, arena, weights, n_in, n_out, sha, name, state)


@dataclass
class TensorInfo:
    dtype_code: int
    shape: Tuple[int, ...]
    scale: float
    zero_point: int
    bytes: int
    name: str

    @property
    def dtype(self) -> str:
        """IR dtype name ("int8", "float32", ...)."""
        return DTYPES[self.dtype_code][0]

    @property
    def numpy_dtype(self) -> str:
        return DTYPES[self.dtype_code][1]


def encode_tensor_info(t: TensorInfo) -> bytes:
    return (
        struct.pack("<BB", t.dtype_code, len(t.shape))
        + struct.pack(f"<{len(t.shape)}i", *t.shape)
        + struct.pack("<fiI", t.scale, t.zero_point, t.bytes)
        + encode_string(t.name)
    )


def decode_tensor_info(payload: bytes) -> TensorInfo:
    r = _Reader(payload, "TENSOR_INFO")
    dtype, rank = r.take("BB")
    if dtype not in DTYPES:
        raise ProtocolError(f"TENSOR_INFO reports unknown dtype code {dtype}")
    dims = tuple(r.take("i") for _ in range(rank))
    scale, zero_point, nbytes = r.take("fiI")
    name = r.string()
    r.done()
    return TensorInfo(dtype, dims, scale, zero_point, nbytes, name)


def encode_set_input(model: int, index: int, offset: int, data: bytes) -> bytes:
    return SET_INPUT_HEADER.pack(model, index, offset) + data


def encode_get_output(model: int, index: int, offset: int, length: int) -> bytes:
    return GET_OUTPUT_REQUEST.pack(model, index, offset, length)


def decode_invoke(payload: bytes) -> Tuple[int, int]:
    """(status code, counter delta)."""
    r = _Reader(payload, "INVOKE")
    status, delta = r.take("BI")
    r.done()
    return status, delta


@dataclass
class LayerInfo:
    step: int
    op_index: int
    tensor_index: int
    op_type: str
    output: TensorInfo


def encode_layer_info(count: int, layer: Optional[LayerInfo]) -> bytes:
    head = struct.pack("<H", count)
    if layer is None:
        return head
    return (head + struct.pack("<HHI", layer.step, layer.op_index, layer.tensor_index)
            + encode_string(layer.op_type) + encode_tensor_info(layer.output))


def decode_layer_info(payload: bytes) -> Tuple[int, Optional[LayerInfo]]:
    """(number of layers, the asked layer or None past the end)."""
    r = _Reader(payload, "LAYER_INFO")
    count = r.take("H")
    if r.pos == len(payload):
        return count, None
    step, op_index, tensor_index = r.take("HHI")
    op_type = r.string()
    output = decode_tensor_info(payload[r.pos:])
    return count, LayerInfo(step, op_index, tensor_index, op_type, output)


def encode_layer_request(model: int, layer: int) -> bytes:
    """The payload of LAYER_INFO, and of INVOKE_LAYER after its session."""
    return struct.pack("<BH", model, layer)


def decode_invoke_layer(payload: bytes) -> Tuple[int, int, int]:
    """(status code, counter delta, captured bytes)."""
    r = _Reader(payload, "INVOKE_LAYER")
    status, delta, captured = r.take("BII")
    r.done()
    return status, delta, captured


def encode_get_capture(offset: int, length: int) -> bytes:
    return struct.pack("<IH", offset, length)


def decode_error(payload: bytes) -> Tuple[int, str]:
    r = _Reader(payload, "ERROR")
    code = r.take("B")
    message = r.string()
    return code, message


def chunks(total: int, size: int) -> List[Tuple[int, int]]:
    """(offset, length) pieces covering `total` bytes; one empty piece never occurs."""
    return [(off, min(size, total - off)) for off in range(0, total, size)]


def describe_nack(payload: bytes) -> str:
    reason = payload[0] if payload else 0
    return NACK_REASONS.get(reason, f"reason {reason}")


def request_name(msg_type: int) -> str:
    return REQUEST_NAMES.get(msg_type, f"0x{msg_type:02x}")


def frame_for_reply(frame: Frame, request_type: int, seq: int) -> Optional[str]:
    """Classify a received frame against the pending request.

    Returns "reply", "nack", "error", or None for a frame to ignore (a stale reply to an
    earlier request, or a reply of the wrong type).
    """
    if frame.type == NACK:
        return "nack"
    if frame.seq != (seq & 0xFF):
        return None
    if frame.type == ERROR:
        return "error"
    if frame.type == (request_type | REPLY):
        return "reply"
    return None
