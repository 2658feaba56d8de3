"""A small, bounds-checked reader of FlatBuffers tables.

Layout (https://flatbuffers.dev/internals/): the file starts with a uint32 offset to the
root table. A table starts with an int32 `soffset`; its vtable lies at `table - soffset`
and holds uint16s: vtable size, table inline size, then one offset per field (0 = absent,
default value). Scalars are stored inline; tables, vectors and strings inline hold a
uint32 offset forward from the field itself. A vector is a uint32 count then elements;
a string is a byte vector (plus a NUL not counted).

Every read checks its bytes lie inside the buffer and inside the table's inline size, so
a hostile file can only produce `FlatbufferError`, never IndexError/struct.error, and
never makes us allocate more than the file's size. Alignment is not required.
"""

import struct
from typing import List, Optional

import numpy as np

_U16 = struct.Struct("<H")
_I32 = struct.Struct("<i")
_U32 = struct.Struct("<I")

# Scalar type code (as in schema.py) -> (struct, byte size, numpy little-endian dtype).
SCALARS = {
    "bool": (struct.Struct("<?"), 1, np.dtype("u1")),
    "i8": (struct.Struct("<b"), 1, np.dtype("i1")),
    "u8": (struct.Struct("<B"), 1, np.dtype("u1")),
    "i16": (struct.Struct("<h"), 2, np.dtype("<i2")),
    "u16": (struct.Struct("<H"), 2, np.dtype("<u2")),
    "i32": (struct.Struct("<i"), 4, np.dtype("<i4")),
    "u32": (struct.Struct("<I"), 4, np.dtype("<u4")),
    "i64": (struct.Struct("<q"), 8, np.dtype("<i8")),
    "u64": (struct.Struct("<Q"), 8, np.dtype("<u8")),
    "f32": (struct.Struct("<f"), 4, np.dtype("<f4")),
    "f64": (struct.Struct("<d"), 8, np.dtype("<f8")),
}


class FlatbufferError(Exception):
    """The bytes do not form the expected table; the message says what and where."""


class Buffer:
    """Immutable bytes with checked reads."""

    __slots__ = ("data", "size")

    def __init__(self, data: bytes):
        self.data = data
        self.size = len(data)

    def check(self, pos: int, length: int, what: str) -> None:
        if pos < 0 or length < 0 or pos + length > self.size:
            raise FlatbufferError(
                f"{what} points outside the file (bytes {pos}..{pos + length} of {self.size})")

    def u16(self, pos: int, what: str) -> int:
        self.check(pos, 2, what)
        return _U16.unpack_from(self.data, pos)[0]

    def i32(self, pos: int, what: str) -> int:
        self.check(pos, 4, what)
        return _I32.unpack_from(self.data, pos)[0]

    def u32(self, pos: int, what: str) -> int:
        self.check(pos, 4, what)
        return _U32.unpack_from(self.data, pos)[0]

    def root(self, what: str) -> "Table":
        """The root table (offset in the first 4 bytes)."""
        return Table(self, self.u32(0, what), what)


class Table:
    """One table; `slot` arguments are vtable offsets (4 for field 0, 6 for field 1, ...)."""

    __slots__ = ("buf", "pos", "vtable", "vtable_size", "inline_size", "what")

    def __init__(self, buf: Buffer, pos: int, what: str):
        self.buf = buf
        self.pos = pos
        self.what = what
        vtable = pos - buf.i32(pos, what)
        self.vtable = vtable
        self.vtable_size = buf.u16(vtable, f"{what} (vtable)")
        self.inline_size = buf.u16(vtable + 2, f"{what} (vtable)")
        if self.vtable_size < 4 or self.vtable_size % 2:
            raise FlatbufferError(f"{what} has a malformed vtable (size {self.vtable_size})")
        if self.inline_size < 4:
            raise FlatbufferError(f"{what} has a malformed vtable (table size {self.inline_size})")
        buf.check(vtable, self.vtable_size, f"{what} (vtable)")
        buf.check(pos, self.inline_size, what)

    def _field(self, slot: int, size: int, name: str) -> Optional[int]:
        """Absolute position of a present field of `size` inline bytes, else None."""
        if slot + 2 > self.vtable_size:
            return None
        offset = _U16.unpack_from(self.buf.data, self.vtable + slot)[0]
        if offset == 0:
            return None
        if offset < 4 or offset + size > self.inline_size:
            raise FlatbufferError(f"{self.what}: field {name} lies outside its table")
        return self.pos + offset

    def has(self, slot: int) -> bool:
        return self._field(slot, 0, "?") is not None

    def scalar(self, slot: int, kind: str, default, name: str):
        codec, size, _ = SCALARS[kind]
        pos = self._field(slot, size, name)
        if pos is None:
            return default
        return codec.unpack_from(self.buf.data, pos)[0]

    def _target(self, slot: int, name: str) -> Optional[int]:
        pos = self._field(slot, 4, name)
        if pos is None:
            return None
        return pos + _U32.unpack_from(self.buf.data, pos)[0]

    def table(self, slot: int, name: str) -> Optional["Table"]:
        target = self._target(slot, name)
        return None if target is None else Table(self.buf, target, f"{self.what} {name}")

    def _vector(self, slot: int, elem_size: int, name: str):
        """(position of element 0, count) of a present vector, else None."""
        target = self._target(slot, name)
        if target is None:
            return None
        what = f"{self.what} {name}"
        count = self.buf.u32(target, what)
        self.buf.check(target + 4, count * elem_size, what)
        return target + 4, count

    def vector_len(self, slot: int, name: str) -> int:
        vec = self._vector(slot, 1, name)
        return 0 if vec is None else vec[1]

    def array(self, slot: int, kind: str, name: str) -> Optional[np.ndarray]:
        """A vector of scalars as a native numpy array (a copy), None when absent."""
        _, size, dtype = SCALARS[kind]
        vec = self._vector(slot, size, name)
        if vec is None:
            return None
        start, count = vec
        values = np.frombuffer(self.buf.data, dtype=dtype, count=count, offset=start)
        return values.astype(dtype.newbyteorder("="), copy=True)

    def ints(self, slot: int, kind: str, name: str) -> Optional[List[int]]:
        values = self.array(slot, kind, name)
        return None if values is None else [int(v) for v in values]

    def bytes(self, slot: int, name: str) -> Optional[bytes]:
        vec = self._vector(slot, 1, name)
        if vec is None:
            return None
        start, count = vec
        return self.buf.data[start:start + count]

    def string(self, slot: int, name: str) -> Optional[str]:
        raw = self.bytes(slot, name)
        # Names are for people; a bad byte is shown, not fatal.
        return None if raw is None else raw.decode("utf-8", errors="replace")

    def tables(self, slot: int, name: str) -> List["Table"]:
        vec = self._vector(slot, 4, name)
        if vec is None:
            return []
        start, count = vec
        data = self.buf.data
        return [Table(self.buf, start + 4 * i + _U32.unpack_from(data, start + 4 * i)[0], f"{self.what} {name}[{i}]")
                for i in range(count)]
