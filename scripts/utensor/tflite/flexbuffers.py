"""A reader for FlexBuffers, the schema-less format of custom operators' options
(`custom_options` with `custom_options_format` FLEXBUFFERS, e.g. TFLite_Detection_PostProcess).

Standard library only, like the rest of the reader, so the converter runs in PlatformIO's
Python without the flatbuffers package. Reads scalars, strings, keys, maps and vectors (typed
and untyped); a malformed buffer raises FlexBufferError, never IndexError from deep inside.
Format: https://flatbuffers.dev/flexbuffers (the root is at the end: value, packed type,
byte width).
"""

import struct
from typing import Any

# Types (FlexBuffers' `Type` enum) this reader handles.
NULL, INT, UINT, FLOAT, KEY, STRING = 0, 1, 2, 3, 4, 5
INDIRECT_INT, INDIRECT_UINT, INDIRECT_FLOAT = 6, 7, 8
MAP, VECTOR, VECTOR_INT, VECTOR_UINT, VECTOR_FLOAT, VECTOR_KEY = 9, 10, 11, 12, 13, 14
VECTOR_INT2, VECTOR_FLOAT4 = 16, 24
BLOB, BOOL, VECTOR_BOOL = 25, 26, 36

_TYPED_ELEMENT = {VECTOR_INT: INT, VECTOR_UINT: UINT, VECTOR_FLOAT: FLOAT, VECTOR_KEY: KEY,
                  VECTOR_BOOL: BOOL}


class FlexBufferError(ValueError):
    pass


class _Reader:
    def __init__(self, data: bytes):
        self.data = bytes(data)

    def _bytes(self, pos: int, n: int) -> bytes:
        if pos < 0 or n < 0 or pos + n > len(self.data):
            raise FlexBufferError(f"reads {n} bytes at {pos}, past the end of a {len(self.data)}-byte buffer")
        return self.data[pos:pos + n]

    def uint(self, pos: int, width: int) -> int:
        if width not in (1, 2, 4, 8):
            raise FlexBufferError(f"byte width {width}")
        return int.from_bytes(self._bytes(pos, width), "little", signed=False)

    def int(self, pos: int, width: int) -> int:
        if width not in (1, 2, 4, 8):
            raise FlexBufferError(f"byte width {width}")
        return int.from_bytes(self._bytes(pos, width), "little", signed=True)

    def float(self, pos: int, width: int) -> float:
        if width == 4:
            return struct.unpack("<f", self._bytes(pos, 4))[0]
        if width == 8:
            return struct.unpack("<d", self._bytes(pos, 8))[0]
        raise FlexBufferError(f"float of {width} bytes")

    def indirect(self, pos: int, width: int) -> int:
        # Offsets point strictly backwards, so reading always ends (no cycles).
        offset = self.uint(pos, width)
        if offset == 0:
            raise FlexBufferError(f"zero offset at {pos}")
        return pos - offset

    def cstring(self, pos: int) -> str:
        end = self.data.find(b"\0", pos)
        if pos < 0 or end < 0:
            raise FlexBufferError(f"unterminated key at {pos}")
        return self.data[pos:end].decode("utf-8", "replace")

    def value(self, pos: int, parent_width: int, packed: int) -> Any:
        """The value stored at `pos` (a slot `parent_width` bytes wide) of packed type `packed`."""
        kind, width = packed >> 2, 1 << (packed & 3)
        if kind == NULL:
            return None
        if kind == INT:
            return self.int(pos, parent_width)
        if kind in (UINT,):
            return self.uint(pos, parent_width)
        if kind == BOOL:
            return bool(self.uint(pos, parent_width))
        if kind == FLOAT:
            return self.float(pos, parent_width)
        target = self.indirect(pos, parent_width)
        if kind == INDIRECT_INT:
            return self.int(target, width)
        if kind == INDIRECT_UINT:
            return self.uint(target, width)
        if kind == INDIRECT_FLOAT:
            return self.float(target, width)
        if kind == KEY:
            return self.cstring(target)
        if kind in (STRING, BLOB):
            size = self.uint(target - width, width)
            raw = self._bytes(target, size)
            return raw.decode("utf-8", "replace") if kind == STRING else raw
        if kind == MAP:
            return self.map(target, width)
        if kind == VECTOR:
            size = self.uint(target - width, width)
            types = target + size * width
            return [self.value(target + i * width, width, self.uint(types + i, 1)) for i in range(size)]
        if kind in _TYPED_ELEMENT:
            size = self.uint(target - width, width)
            element = _TYPED_ELEMENT[kind] << 2
            return [self.value(target + i * width, width, element) for i in range(size)]
        if VECTOR_INT2 <= kind <= VECTOR_FLOAT4:
            count = (kind - VECTOR_INT2) // 3 + 2
            element = [INT, UINT, FLOAT][(kind - VECTOR_INT2) % 3] << 2
            return [self.value(target + i * width, width, element) for i in range(count)]
        raise FlexBufferError(f"value type {kind} at {pos} is not one this reader knows")

    def map(self, pos: int, width: int) -> dict:
        keys = self.indirect(pos - 3 * width, width)
        key_width = self.uint(pos - 2 * width, width)
        size = self.uint(pos - width, width)
        if self.uint(keys - key_width, key_width) != size:
            raise FlexBufferError(f"map at {pos}: {size} values but a different number of keys")
        types = pos + size * width
        result = {}
        for i in range(size):
            key = self.cstring(self.indirect(keys + i * key_width, key_width))
            result[key] = self.value(pos + i * width, width, self.uint(types + i, 1))
        return result


def loads(data: bytes) -> Any:
    """The root value of a FlexBuffer (for custom options: a dict)."""
    if len(data) < 3:
        raise FlexBufferError(f"{len(data)} bytes is too short for a FlexBuffer")
    reader = _Reader(data)
    width = data[-1]
    packed = data[-2]
    return reader.value(len(data) - 2 - width, width, packed)
