"""The runtime-parameter campaign's wire format of the kernels' parameter structs, from the
one table (scripts/utensor/kernel_params.py): a host serializer and the device's
deserializer, generated from the same field lists so that a struct change cannot silently
desynchronize the two.

- `serialize(struct, fields, ...)`: the bytes of one struct's values as a lowering returns
  them (`kernel_call(..., fields=...)`), field by field in the table's order;
- `python -m utensor.bench.rt_codec --write` regenerates the device side,
  scripts/utensor/bench/rt_firmware/rt_params.hpp (checked in; `--check` and
  test/test_rt_campaign.py fail when it is stale). It also states the table's layout of
  every struct it reads (utensor/kernels/params_check.hpp), so a runtime whose structs
  differ from the table fails to build, and carries a fingerprint per struct that the
  host sends with every draw (a firmware built from another table refuses the draw).

Encoding (little-endian): a scalar in its own width; a fixed array as its elements; a
nested struct as its fields; a pointer as a tag byte: 0 nullptr, 1 an array (u32 count,
then the elements, scalars or structs), 2 a place in the arena (u32 byte offset: scratch).
"""

import argparse
import os
import struct as _struct
import sys
import zlib
from dataclasses import dataclass
from typing import Any, Dict, List

import numpy as np

from .. import kernel_params
from ..cstruct import Array, ConstArray, Nested, Pointer, Scalar

# The structs the campaign firmware deserializes (the int8 and 16x8 fast-path families).
STRUCTS = ("Conv2DS8Params", "DepthwiseConv2DS8Params", "FullyConnectedS8Params", "PoolS8Params",
           "AddS8Params", "MulS8Params", "Conv2DS16Params", "DepthwiseConv2DS16Params",
           "FullyConnectedS16Params")
HEADER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "rt_firmware", "rt_params.hpp")

_FMT = {"int8_t": "b", "uint8_t": "B", "int16_t": "h", "uint16_t": "H", "int32_t": "i",
        "uint32_t": "I", "float": "f", "double": "d"}
_NP = {"int8_t": "<i1", "uint8_t": "<u1", "int16_t": "<i2", "uint16_t": "<u2", "int32_t": "<i4",
       "uint32_t": "<u4", "float": "<f4", "double": "<f8"}

TAG_NULL, TAG_ARRAY, TAG_ARENA = 0, 1, 2


@dataclass(frozen=True)
class ArenaRef:
    """A pointer field's value that is a place in the arena (a kernel's scratch)."""

    offset: int


def _table():
    return kernel_params.TABLE


def closure(names=STRUCTS) -> List[str]:
    """The structs `names` and every struct they nest or point at, dependencies first."""
    table, out = _table(), []

    def visit(name):
        if name in out:
            return
        for f in table.struct(name).fields:
            t = f.type
            if isinstance(t, Nested):
                visit(t.struct)
            elif isinstance(t, Pointer) and t.target in table.structs:
                visit(t.target)
        out.append(name)

    for n in names:
        visit(n)
    return out


def describe(name: str) -> str:
    """A canonical text of a struct's layout (its nested structs' included)."""
    table = _table()
    parts = []
    for f in table.struct(name).fields:
        t = f.type
        if isinstance(t, Scalar):
            parts.append(f"{f.name}:{t.ctype}")
        elif isinstance(t, Array):
            parts.append(f"{f.name}:{t.element.ctype}[{t.length}]")
        elif isinstance(t, Nested):
            parts.append(f"{f.name}:{{{describe(t.struct)}}}")
        else:
            target = describe(t.target) if t.target in table.structs else t.target
            parts.append(f"{f.name}:*{target}")
    return f"{name}({';'.join(parts)})"


def fingerprint(name: str) -> int:
    return zlib.crc32(describe(name).encode()) & 0xFFFFFFFF


def _scalar_bytes(ctype: str, value) -> bytes:
    if ctype in ("float", "double"):
        return _struct.pack("<" + _FMT[ctype], float(value))
    return _struct.pack("<" + _FMT[ctype], int(value))


def serialize(name: str, values: Dict[str, Any]) -> bytes:
    """One struct's values (dict by field name, as a lowering gives them) as the device's
    generated reader expects them."""
    table = _table()
    s = table.struct(name)
    expected = [f.name for f in s.fields]
    if sorted(values) != sorted(expected):
        raise kernel_params.ParamsError(
            f"rt_codec.serialize({name}): fields {sorted(values)} are not the table's {expected}")
    out = bytearray()
    for f in s.fields:
        v, t = values[f.name], f.type
        if isinstance(t, Scalar):
            out += _scalar_bytes(t.ctype, v)
        elif isinstance(t, Array):
            out += np.asarray(v, _NP[t.element.ctype]).reshape(-1).tobytes()
        elif isinstance(t, Nested):
            out += serialize(t.struct, v)
        elif v is None:
            out.append(TAG_NULL)
        elif isinstance(v, ArenaRef):
            out.append(TAG_ARENA)
            out += _struct.pack("<I", v.offset)
        elif isinstance(v, ConstArray):
            out.append(TAG_ARRAY)
            if t.target in table.structs:
                out += _struct.pack("<I", len(v.values))
                for e in v.values:
                    out += serialize(t.target, e)
            else:
                a = np.asarray(v.values).reshape(-1)
                out += _struct.pack("<I", a.size) + a.astype(_NP[t.target]).tobytes()
        else:
            raise kernel_params.ParamsError(f"rt_codec.serialize({name}.{f.name}): cannot send {v!r} "
                                            "(a pointer takes None, a ConstArray or an ArenaRef)")
    return bytes(out)


# ---- the device side ----

def generate() -> str:
    table = _table()
    names = closure()
    lines = [
        "// Generated by `python -m utensor.bench.rt_codec --write` from the kernel parameter",
        "// table (scripts/utensor/kernel_params.py). Do not edit: test/test_rt_campaign.py checks",
        "// that it is up to date. The runtime-parameter campaign firmware's readers of the",
        "// parameter structs, in the encoding of rt_codec.py (the host's serialize()).",
        "#ifndef UTENSOR_RT_PARAMS_HPP",
        "#define UTENSOR_RT_PARAMS_HPP",
        "",
        "#include <stdint.h>",
        "",
    ]
    headers = sorted({table.struct(n).family.header for n in names})
    lines += [f'#include "{h}"' for h in headers]
    lines += ['#include "utensor/kernels/params_check.hpp"', '#include "rt_reader.hpp"', ""]
    lines.append("// The table's layout of every struct read here: a runtime whose structs differ fails to build.")
    for c in table.layout_checks(names):
        lines.append(f"UTENSOR_PARAMS_FIRST({c.type}, {c.first[0]}, {c.first[1]});")
        for prev, fname, ftype in c.next:
            lines.append(f"UTENSOR_PARAMS_NEXT({c.type}, {prev}, {fname}, {ftype});")
        lines.append(f"UTENSOR_PARAMS_END({c.type}, {c.last});")
    lines += ["", "namespace utensor_rt {", ""]
    for n in names:
        lines.append(f"// {describe(n)}")
        lines.append(f"static const uint32_t kFingerprint{n} = 0x{fingerprint(n):08x}u;")
    lines.append("")
    for n in names:
        s = table.struct(n)
        q = s.qualified
        lines.append(f"inline void read(Reader& r, {q}* s) {{")
        for f in s.fields:
            t = f.type
            if isinstance(t, Scalar):
                lines.append(f"  r.scalar(&s->{f.name});")
            elif isinstance(t, Array):
                lines.append(f"  for (int i = 0; i < {t.length}; ++i) r.scalar(&s->{f.name}[i]);")
            elif isinstance(t, Nested):
                lines.append(f"  read(r, &s->{f.name});")
            elif t.target in table.structs:
                lines.append(f"  s->{f.name} = r.struct_array<{table.struct(t.target).qualified}>();")
            elif t.const:
                lines.append(f"  s->{f.name} = r.array<{t.target}>();")
            else:
                lines.append(f"  s->{f.name} = r.arena_pointer<{t.target}>();")
        lines.append("}")
        lines.append("")
    lines += [
        "// Defined after every read() so that its call finds them all.",
        "template <typename T>",
        "const T* Reader::struct_array() {",
        "  const uint8_t tag = u8();",
        "  if (tag == kTagNull) return nullptr;",
        "  if (tag != kTagArray) {",
        "    fail();",
        "    return nullptr;",
        "  }",
        "  const uint32_t n = u32();",
        "  T* a = alloc<T>(n);",
        "  if (a == nullptr) return nullptr;",
        "  for (uint32_t i = 0; i < n; ++i) read(*this, &a[i]);",
        "  return a;",
        "}",
        "",
        "}  // namespace utensor_rt", "", "#endif  // UTENSOR_RT_PARAMS_HPP", ""]
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m utensor.bench.rt_codec", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--write", action="store_true")
    g.add_argument("--check", action="store_true")
    args = p.parse_args(argv)
    text = generate()
    try:
        with open(HEADER, encoding="utf-8") as f:
            current = f.read()
    except OSError:
        current = None
    if args.check:
        if current != text:
            print(f"{HEADER} is stale: run `python -m utensor.bench.rt_codec --write`", file=sys.stderr)
            return 1
        return 0
    if current != text:
        with open(HEADER, "w", encoding="utf-8") as f:
            f.write(text)
        print(f"wrote {HEADER}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
