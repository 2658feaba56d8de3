"""Framing, CRC and message codecs of the serial harness (scripts/utensor/harness/protocol.py)."""

import struct
import zlib

import pytest

from utensor.harness import protocol as p


def test_crc_is_crc32_ieee_check_value():
    # The catalogued check value of CRC-32/ISO-HDLC over "123456789".
    assert p.crc32(b"123456789") == 0xCBF43926


def test_frame_layout_is_sync_header_payload_crc():
    f = p.encode_frame(p.SET_INPUT, 0x1FF, b"\x01\x02\x03")
    assert f[:2] == b"\xa5\x5a"
    assert f[2:6] == bytes([p.SET_INPUT, 0xFF, 3, 0])  # seq wraps to one byte, length LE
    assert f[6:9] == b"\x01\x02\x03"
    assert struct.unpack("<I", f[9:])[0] == zlib.crc32(f[2:9])
    assert len(f) == p.OVERHEAD + 3


def test_payload_limit():
    assert len(p.encode_frame(p.GET_OUTPUT, 0, bytes(p.MAX_PAYLOAD))) == p.OVERHEAD + 256
    with pytest.raises(ValueError):
        p.encode_frame(p.GET_OUTPUT, 0, bytes(p.MAX_PAYLOAD + 1))


def test_round_trip_byte_by_byte():
    frames = [p.encode_frame(t, s, bytes(range(n))) for t, s, n in [(1, 0, 0), (0x86, 7, 256), (5, 255, 1)]]
    d = p.Decoder()
    events = []
    for byte in b"".join(frames):
        events += d.feed(bytes([byte]))
    assert [(e.type, e.seq, e.payload) for e in events] == [
        (1, 0, b""), (0x86, 7, bytes(range(256))), (5, 255, b"\x00")
    ]


def test_garbage_is_skipped_up_to_the_next_sync():
    good = p.encode_frame(p.HELLO | p.REPLY, 3, b"hi")
    garbage = b"\x00\xff\xa5\x00\x5a\xa5\xa5"  # includes lone sync bytes
    events = p.Decoder().feed(garbage + good + b"\x13\x37")
    assert len(events) == 1 and events[0].payload == b"hi" and events[0].seq == 3


def test_corrupt_byte_is_reported_and_next_frame_still_decoded():
    bad = bytearray(p.encode_frame(p.INVOKE | p.REPLY, 9, b"\x00\x10\x00\x00\x00"))
    bad[7] ^= 0x40
    good = p.encode_frame(p.INVOKE | p.REPLY, 10, b"\x00\x20\x00\x00\x00")
    events = p.Decoder().feed(bytes(bad) + good)
    assert isinstance(events[0], p.BadFrame) and events[0].reason == "bad CRC"
    assert isinstance(events[-1], p.Frame) and events[-1].seq == 10


def test_frame_starting_inside_a_truncated_one_is_found():
    # A frame whose tail was lost is followed by a complete one: the decoder must not
    # swallow the complete frame as the rest of the broken one forever.
    broken = p.encode_frame(p.GET_OUTPUT | p.REPLY, 1, bytes(20))[:-5]
    good = p.encode_frame(p.GET_OUTPUT | p.REPLY, 2, b"ok")
    d = p.Decoder()
    events = d.feed(broken + good + p.encode_frame(p.BYE | p.REPLY, 3))
    frames = [e for e in events if isinstance(e, p.Frame)]
    assert [f.seq for f in frames] == [2, 3]
    assert any(isinstance(e, p.BadFrame) for e in events)


def test_impossible_length_is_rejected_without_waiting():
    hdr = p.SYNC + p.HEADER.pack(p.HELLO, 1, p.MAX_PAYLOAD + 1)
    events = p.Decoder().feed(hdr + p.encode_frame(p.HELLO | p.REPLY, 1))
    assert isinstance(events[0], p.BadFrame) and events[0].reason == "payload too long"
    assert isinstance(events[-1], p.Frame)


def test_hello_model_tensor_codecs_round_trip():
    h = p.Hello(2, 100, 256, 2, "instructions", 0xDEADBEEF)
    assert p.decode_hello(p.encode_hello(h)) == h
    # A protocol-1 firmware's HELLO (no session) still decodes, so the host can name the
    # version mismatch instead of reporting a malformed reply.
    old = p.encode_hello(p.Hello(1, 100, 256, 2, "instructions"))[:-4]
    assert p.decode_hello(old).protocol_version == 1
    m = p.ModelInfo(100, 12345, 270000, 1, 2, "ab" * 32, "ad01_int8")
    assert p.decode_model_info(p.encode_model_info(m)) == m
    t = p.TensorInfo(0, (1, 96, 96, 3), 0.5, -128, 27648, "input_1")
    got = p.decode_tensor_info(p.encode_tensor_info(t))
    assert got == t and got.dtype == "int8" and got.numpy_dtype == "<i1"
    scalar = p.TensorInfo(6, (), 0.0, 0, 4, "")
    assert p.decode_tensor_info(p.encode_tensor_info(scalar)).shape == ()


def test_truncated_or_padded_payloads_raise_protocol_error():
    payload = p.encode_hello(p.Hello(2, 100, 256, 1, "cycles", 7))
    with pytest.raises(p.ProtocolError):
        p.decode_hello(payload[:-1])
    with pytest.raises(p.ProtocolError):
        p.decode_hello(payload + b"\x00")
    with pytest.raises(p.ProtocolError):
        p.decode_tensor_info(bytes([99, 0]) + bytes(13))  # unknown dtype code


def test_names_are_truncated_to_the_firmware_limit():
    assert p.encode_string("x" * 100) == bytes([64]) + b"x" * 64


def test_chunking_covers_large_inputs_exactly():
    pieces = p.chunks(27648, p.INPUT_CHUNK)  # vww_96 input
    assert pieces[0] == (0, 246) and sum(n for _, n in pieces) == 27648
    assert all(off == i * 246 for i, (off, _) in enumerate(pieces))
    assert p.chunks(0, 246) == []
    req = p.encode_set_input(1, 2, 500, b"abc")
    assert req == bytes([1, 2]) + struct.pack("<I", 500) + b"abc"
    full = p.with_session(9, p.encode_set_input(0, 0, 0, bytes(p.INPUT_CHUNK)))
    assert full[:4] == struct.pack("<I", 9)
    assert len(p.encode_frame(p.SET_INPUT, 0, full)) == p.OVERHEAD + p.MAX_PAYLOAD


def test_reply_classification():
    seq = 0x105
    assert p.frame_for_reply(p.Frame(p.INVOKE | p.REPLY, 5, b""), p.INVOKE, seq) == "reply"
    assert p.frame_for_reply(p.Frame(p.INVOKE | p.REPLY, 4, b""), p.INVOKE, seq) is None  # stale
    assert p.frame_for_reply(p.Frame(p.HELLO | p.REPLY, 5, b""), p.INVOKE, seq) is None
    assert p.frame_for_reply(p.Frame(p.NACK, 77, b"\x01"), p.INVOKE, seq) == "nack"
    assert p.frame_for_reply(p.Frame(p.ERROR, 5, b"\x01\x00"), p.INVOKE, seq) == "error"


def test_wanted_never_reads_past_the_current_frame():
    d = p.Decoder()
    frame = p.encode_frame(p.GET_OUTPUT | p.REPLY, 1, bytes(40))
    assert d.wanted() == 6  # sync + header: no frame is shorter
    d.feed(frame[:3])
    assert d.wanted() == 3
    d.feed(frame[3:6])
    assert d.wanted() == len(frame) - 6
    assert d.pending
    events = d.feed(frame[6:])
    assert len(events) == 1 and not d.pending and d.wanted() == 6
