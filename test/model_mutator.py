"""Seeded mutants of .tflite files, for fuzzing the converter.

`mutate(data, seed) -> (bytes, description)` applies one mutation chosen by the seed. Most
mutations are structure-aware: `ModelMap` walks the flatbuffer once and records where every
field the reader cares about lies (tensor shapes, types, buffer indices, quantization
arrays, operator inputs/outputs, opcode indices, options, vtables), so a mutation can
overwrite one field in place (same byte size) or append a new table/vector at the end of
the file and point a field at it (uoffsets only point forward, so appended data is always
reachable). The rest are blind: flipped bytes (biased towards the flatbuffer's metadata,
not the weights, where a flip only changes numbers) and truncation.

Nothing here imports the converter except for walking a valid model: the map is built
with the reader's bounds-checked `Table`, which is fine on the unmodified MLPerf models.
"""

import random
import struct
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Tuple

from utensor.tflite import reader as R
from utensor.tflite import schema
from utensor.tflite.flatbuf import Buffer, Table

_FMT = {"i8": "<b", "u8": "<B", "i16": "<h", "u16": "<H", "i32": "<i", "u32": "<I",
        "i64": "<q", "u64": "<Q", "f32": "<f", "f64": "<d", "bool": "<B"}
_SIZE = {k: struct.calcsize(v) for k, v in _FMT.items()}


@dataclass
class Vector:
    field_pos: int  # the uoffset field pointing at the vector
    pos: int  # the uint32 count; elements follow
    count: int
    elem: str  # scalar kind of the elements ("u32" for offsets to tables)

    def elem_pos(self, k: int) -> int:
        return self.pos + 4 + k * _SIZE[self.elem]


@dataclass
class Scalar:
    pos: int
    kind: str
    name: str


@dataclass
class TensorMap:
    index: int
    table: int
    shape: Optional[Vector]
    type: Optional[Scalar]
    buffer: Optional[Scalar]
    quant_field: Optional[int]  # uoffset field of the quantization table
    scale: Optional[Vector] = None
    zero_point: Optional[Vector] = None
    quant_dim: Optional[Scalar] = None
    constant: bool = False


@dataclass
class OperatorMap:
    index: int
    table: int
    opcode: Optional[Scalar]
    inputs: Optional[Vector]
    outputs: Optional[Vector]
    options_type: Optional[Scalar]
    options_field: Optional[int]
    options: List[Scalar] = field(default_factory=list)  # present scalar option fields


@dataclass
class ModelMap:
    size: int
    opcodes: List[Tuple[Optional[Scalar], Optional[Scalar]]]  # (deprecated code, builtin code)
    opcode_vector: Optional[Vector]
    buffers: Optional[Vector]
    buffer_data: List[Optional[Vector]]
    tensors: List[TensorMap]
    tensor_vector: Optional[Vector]
    operators: List[OperatorMap]
    operator_vector: Optional[Vector]
    sg_inputs: Optional[Vector]
    sg_outputs: Optional[Vector]
    vtables: List[Tuple[int, int]]  # (position, size in bytes)
    offset_fields: List[int]  # every uoffset field found (tables, vectors, strings)
    weight_ranges: List[Tuple[int, int]]  # [start, end) of large constant data

    def metadata_position(self, rng: random.Random) -> int:
        """A byte position outside the large weight arrays."""
        while True:
            pos = rng.randrange(self.size)
            if not any(a <= pos < b for a, b in self.weight_ranges):
                return pos


def _field_pos(t: Table, slot: int) -> Optional[int]:
    if slot + 2 > t.vtable_size:
        return None
    off = struct.unpack_from("<H", t.buf.data, t.vtable + slot)[0]
    return t.pos + off if off else None


def _scalar(t: Table, slot: int, kind: str, name: str) -> Optional[Scalar]:
    pos = _field_pos(t, slot)
    return None if pos is None else Scalar(pos, kind, name)


def _vector(t: Table, slot: int, elem: str, offsets: List[int]) -> Optional[Vector]:
    pos = _field_pos(t, slot)
    if pos is None:
        return None
    offsets.append(pos)
    target = pos + struct.unpack_from("<I", t.buf.data, pos)[0]
    count = struct.unpack_from("<I", t.buf.data, target)[0]
    return Vector(pos, target, count, elem)


def build_map(data: bytes) -> ModelMap:
    """Where the fields of the (valid) model `data` lie."""
    buf = Buffer(data)
    vtables = {}
    offsets: List[int] = []

    def table(pos: int, what: str) -> Table:
        t = Table(buf, pos, what)
        vtables[t.vtable] = t.vtable_size
        return t

    def sub(t: Table, slot: int) -> Optional[Table]:
        pos = _field_pos(t, slot)
        if pos is None:
            return None
        offsets.append(pos)
        return table(pos + struct.unpack_from("<I", data, pos)[0], "sub")

    def tables(vec: Optional[Vector]) -> List[Table]:
        if vec is None:
            return []
        out = []
        for k in range(vec.count):
            p = vec.elem_pos(k)
            offsets.append(p)
            out.append(table(p + struct.unpack_from("<I", data, p)[0], "elem"))
        return out

    model = table(struct.unpack_from("<I", data, 0)[0], "model")
    opcode_vec = _vector(model, R.MODEL_OPCODES, "u32", offsets)
    opcodes = [(_scalar(t, R.OPCODE_DEPRECATED, "i8", "deprecated_builtin_code"),
                _scalar(t, R.OPCODE_BUILTIN, "i32", "builtin_code")) for t in tables(opcode_vec)]
    opcode_names = [R._Reader("x", data).read_opcode(i, t)[0] for i, t in enumerate(tables(opcode_vec))]
    buf_vec = _vector(model, R.MODEL_BUFFERS, "u32", offsets)
    buffer_data = [_vector(t, R.BUFFER_DATA, "u8", offsets) for t in tables(buf_vec)]
    weight_ranges = [(v.pos + 4, v.pos + 4 + v.count) for v in buffer_data if v is not None and v.count > 64]
    sg = tables(_vector(model, R.MODEL_SUBGRAPHS, "u32", offsets))[0]
    tensor_vec = _vector(sg, R.SUBGRAPH_TENSORS, "u32", offsets)
    tensors = []
    for i, t in enumerate(tables(tensor_vec)):
        b = _scalar(t, R.TENSOR_BUFFER, "u32", "buffer")
        bindex = struct.unpack_from("<I", data, b.pos)[0] if b else 0
        tm = TensorMap(i, t.pos, _vector(t, R.TENSOR_SHAPE, "i32", offsets),
                       _scalar(t, R.TENSOR_TYPE, "i8", "type"), b, _field_pos(t, R.TENSOR_QUANT))
        tm.constant = bindex < len(buffer_data) and buffer_data[bindex] is not None and buffer_data[bindex].count > 0
        q = sub(t, R.TENSOR_QUANT)
        if q is not None:
            tm.scale = _vector(q, R.QUANT_SCALE, "f32", offsets)
            tm.zero_point = _vector(q, R.QUANT_ZERO_POINT, "i64", offsets)
            tm.quant_dim = _scalar(q, R.QUANT_DIMENSION, "i32", "quantized_dimension")
        tensors.append(tm)
    op_vec = _vector(sg, R.SUBGRAPH_OPERATORS, "u32", offsets)
    operators = []
    for i, t in enumerate(tables(op_vec)):
        om = OperatorMap(i, t.pos, _scalar(t, R.OP_OPCODE, "u32", "opcode_index"),
                         _vector(t, R.OP_INPUTS, "i32", offsets), _vector(t, R.OP_OUTPUTS, "i32", offsets),
                         _scalar(t, R.OP_OPTIONS_TYPE, "u8", "builtin_options_type"),
                         _field_pos(t, R.OP_OPTIONS))
        code = struct.unpack_from("<I", data, om.opcode.pos)[0] if om.opcode else 0
        expected = schema.OPERATOR_OPTIONS.get(opcode_names[code]) if code < len(opcode_names) else None
        opt_table = sub(t, R.OP_OPTIONS)
        if opt_table is not None and expected is not None:
            from utensor.tflite import options as opts
            for name, slot, kind, ftype, enum, default in opts.table_for(*expected)[1]:
                if kind == "scalar":
                    s = _scalar(opt_table, slot, ftype, name)
                    if s is not None:
                        om.options.append(s)
        operators.append(om)
    return ModelMap(
        size=len(data), opcodes=opcodes, opcode_vector=opcode_vec, buffers=buf_vec,
        buffer_data=buffer_data, tensors=tensors, tensor_vector=tensor_vec, operators=operators,
        operator_vector=op_vec, sg_inputs=_vector(sg, R.SUBGRAPH_INPUTS, "i32", offsets),
        sg_outputs=_vector(sg, R.SUBGRAPH_OUTPUTS, "i32", offsets),
        vtables=sorted(vtables.items()), offset_fields=sorted(set(offsets)), weight_ranges=weight_ranges)


# ---- low-level editing ---------------------------------------------------------------------

def put(data: bytearray, pos: int, kind: str, value) -> None:
    """Overwrite one scalar in place (values wrap to the field's width)."""
    if kind in ("f32", "f64"):
        struct.pack_into(_FMT[kind], data, pos, value)
        return
    bits = 8 * _SIZE[kind]
    value = int(value) & ((1 << bits) - 1)
    struct.pack_into(_FMT[kind.replace("i", "u", 1) if kind.startswith("i") else kind], data, pos, value)


def get(data: bytes, pos: int, kind: str):
    return struct.unpack_from(_FMT[kind], data, pos)[0]


def append(data: bytearray, blob: bytes, align: int = 8) -> int:
    """Append `blob` at an aligned position; returns that position."""
    data.extend(b"\0" * (-len(data) % align))
    pos = len(data)
    data.extend(blob)
    return pos


def point(data: bytearray, field_pos: int, target: int) -> None:
    """Make the uoffset at `field_pos` refer to `target` (which must lie after it)."""
    put(data, field_pos, "u32", target - field_pos)


def vector_bytes(kind: str, values) -> bytes:
    return struct.pack("<I", len(values)) + b"".join(struct.pack(_FMT[kind], v) for v in values)


def append_table(data: bytearray, scalars: Dict[int, Tuple[str, object]],
                 children: Dict[int, bytes] = None) -> int:
    """Append a table (its vtable first) with the given scalar fields and child objects
    (each appended after the table and referred to by a uoffset); returns its position."""
    children = children or {}
    slots = sorted(set(scalars) | set(children))
    layout, inline = {}, 4
    for slot in slots:
        size = _SIZE[scalars[slot][0]] if slot in scalars else 4
        inline += -inline % size
        layout[slot] = inline
        inline += size
    inline += -inline % 8
    vsize = 4 + 2 * (max(slots) // 2 - 1) if slots else 4
    vt = [0] * (vsize // 2)
    vt[0], vt[1] = vsize, inline
    for slot, off in layout.items():
        vt[slot // 2] = off
    vt_pos = append(data, struct.pack(f"<{len(vt)}H", *vt), align=2)
    table = append(data, b"\0" * inline, align=8)
    put(data, table, "i32", table - vt_pos)
    for slot, (kind, value) in scalars.items():
        put(data, table + layout[slot], kind, value)
    for slot, blob in children.items():
        point(data, table + layout[slot], append(data, blob, align=8))
    return table


# ---- mutations -----------------------------------------------------------------------------

INTERESTING = [0, 1, -1, 2, 3, 7, 255, 256, 65535, 65536, 2**20, 2**24, 2**31 - 1, -2**31, 2**32 - 1,
               -2, 1000, 100000]
SCALES = [0.0, -1.0, float("nan"), float("inf"), 1e-45, 1e-30, 1e30, 3.4e38, 1.0, 0.5]


def _pick(rng, items):
    items = [x for x in items if x is not None]
    return rng.choice(items) if items else None


def flip_bytes(rng, d, m):
    n = rng.choice([1, 1, 2, 4, 8, 32])
    for _ in range(n):
        pos = m.metadata_position(rng) if rng.random() < 0.9 else rng.randrange(len(d))
        d[pos] ^= 1 << rng.randrange(8) if rng.random() < 0.7 else rng.randrange(1, 256)
    return f"flip {n} bytes"


def truncate(rng, d, m):
    cut = rng.choice([rng.randrange(len(d)), rng.randrange(min(len(d), 64)), len(d) - rng.randrange(1, 64)])
    del d[max(cut, 0):]
    return f"truncate to {len(d)}"


def tensor_dim(rng, d, m):
    t = _pick(rng, [t for t in m.tensors if t.shape and t.shape.count])
    k = rng.randrange(t.shape.count)
    old = get(d, t.shape.elem_pos(k), "i32")
    value = rng.choice(INTERESTING + [old + 1, max(old - 1, 0), old * 2, old // 2, 0, -old])
    put(d, t.shape.elem_pos(k), "i32", value)
    return f"tensor {t.index} dim {k}: {old} -> {value}"


def tensor_rank(rng, d, m):
    t = _pick(rng, [t for t in m.tensors if t.shape])
    dims = [get(d, t.shape.elem_pos(k), "i32") for k in range(t.shape.count)]
    choice = rng.randrange(4)
    if choice == 0:
        dims = dims[1:]
    elif choice == 1:
        dims = [1] + dims
    elif choice == 2:
        dims = dims[::-1]
    else:
        dims = [rng.choice([1, 2, 3, 8, 65536, 2**31 - 1]) for _ in range(rng.randrange(0, 9))]
    point(d, t.shape.field_pos, append(d, vector_bytes("i32", dims)))
    return f"tensor {t.index} shape -> {dims}"


def huge_tensor(rng, d, m):
    t = _pick(rng, [t for t in m.tensors if t.shape])
    dims = rng.choice([[65536, 65536], [2**31 - 1, 2**31 - 1, 2**31 - 1], [1, 2**30, 4], [46341, 46341],
                       [1024, 1024, 1024, 1024], [2**16, 2**15]])
    point(d, t.shape.field_pos, append(d, vector_bytes("i32", dims)))
    return f"tensor {t.index} huge shape {dims}"


def tensor_type(rng, d, m):
    t = _pick(rng, [t for t in m.tensors if t.type])
    if t is None:  # every type is the default (FLOAT32), stored nowhere
        return tensor_dim(rng, d, m)
    value = rng.choice(list(range(0, 20)) + [-1, 100, 127])
    put(d, t.type.pos, "i8", value)
    return f"tensor {t.index} type -> {value}"


def tensor_buffer(rng, d, m):
    t = _pick(rng, [t for t in m.tensors if t.buffer])
    n = m.buffers.count if m.buffers else 0
    value = rng.choice([0, n, n + 1, 2**32 - 1, rng.randrange(max(n, 1))])
    put(d, t.buffer.pos, "u32", value)
    return f"tensor {t.index} buffer -> {value}"


def buffer_size(rng, d, m):
    vecs = [v for v in m.buffer_data if v is not None and v.count]
    v = _pick(rng, vecs)
    value = rng.choice([0, 1, v.count - 1, v.count + 1, v.count * 2, 2**31, 2**32 - 1, len(d)])
    put(d, v.pos, "u32", value)
    return f"buffer data length {v.count} -> {value}"


def buffer_offset(rng, d, m):
    """Point a tensor's buffer at a new Buffer table using (offset, size) instead of data."""
    t = _pick(rng, [t for t in m.tensors if t.constant and t.buffer])
    if t is None or m.buffers is None:
        return truncate(rng, d, m)
    k = get(d, t.buffer.pos, "u32")
    offset = rng.choice([2, 8, len(d) - 16, len(d), len(d) + 100, 2**63, 2**64 - 1, rng.randrange(len(d))])
    size = rng.choice([1, 16, 1024, len(d), 2**63, 2**64 - 1, rng.randrange(1, 4096)])
    table = append_table(d, {R.BUFFER_OFFSET: ("u64", offset), R.BUFFER_SIZE: ("u64", size)})
    point(d, m.buffers.elem_pos(k), table)
    return f"buffer {k} -> offset {offset} size {size}"


def quant_length(rng, d, m):
    t = _pick(rng, [t for t in m.tensors if t.scale or t.zero_point])
    if t is None:
        return flip_bytes(rng, d, m)
    v = t.scale if (t.scale and rng.random() < 0.5) or not t.zero_point else t.zero_point
    value = rng.choice([0, 1, v.count - 1, v.count + 1, v.count * 2, 2**30, 2**32 - 1])
    put(d, v.pos, "u32", value)
    return f"tensor {t.index} {'scale' if v is t.scale else 'zero_point'} count {v.count} -> {value}"


def quant_replace(rng, d, m):
    """A new quantization table: scales/zero points of another length, axis, or values."""
    t = _pick(rng, [t for t in m.tensors if t.quant_field])
    if t is None:
        return flip_bytes(rng, d, m)
    n = rng.choice([1, 2, 3, 8, 10, 16, 64, 1000])
    scales = [rng.choice(SCALES) for _ in range(n)] if rng.random() < 0.5 else [0.05] * n
    zps = [rng.choice([0, 0, -128, 127, 128, -129, 2**40]) for _ in range(rng.choice([n, n, n - 1, n + 1]))]
    axis = rng.choice([0, 0, 1, 2, 3, -1, 4, 100])
    table = append_table(d, {R.QUANT_DIMENSION: ("i32", axis)},
                         {R.QUANT_SCALE: vector_bytes("f32", scales), R.QUANT_ZERO_POINT: vector_bytes("i64", zps)})
    point(d, t.quant_field, table)
    return f"tensor {t.index} quantization: {n} scales, {len(zps)} zero points, axis {axis}"


def quant_values(rng, d, m):
    t = _pick(rng, [t for t in m.tensors if t.scale and t.scale.count])
    if t is None:
        return flip_bytes(rng, d, m)
    if rng.random() < 0.5 or not t.zero_point or not t.zero_point.count:
        k = rng.randrange(t.scale.count)
        value = rng.choice(SCALES)
        put(d, t.scale.elem_pos(k), "f32", value)
        return f"tensor {t.index} scale[{k}] -> {value}"
    k = rng.randrange(t.zero_point.count)
    value = rng.choice([-129, 128, 255, -128, 127, 2**40, -2**63])
    put(d, t.zero_point.elem_pos(k), "i64", value)
    return f"tensor {t.index} zero_point[{k}] -> {value}"


def quant_dim(rng, d, m):
    t = _pick(rng, [t for t in m.tensors if t.quant_dim])
    if t is None:
        return quant_replace(rng, d, m)
    value = rng.choice([-1, 1, 2, 3, 4, 100, 2**31 - 1])
    put(d, t.quant_dim.pos, "i32", value)
    return f"tensor {t.index} quantized_dimension -> {value}"


def op_tensor_index(rng, d, m):
    op = _pick(rng, [o for o in m.operators if (o.inputs and o.inputs.count) or (o.outputs and o.outputs.count)])
    vec = op.inputs if (op.inputs and op.inputs.count and rng.random() < 0.6) or not (op.outputs and op.outputs.count) else op.outputs
    k = rng.randrange(vec.count)
    n = len(m.tensors)
    value = rng.choice([-1, -2, n, n + 1, 2**31 - 1, rng.randrange(n), rng.randrange(n)])
    put(d, vec.elem_pos(k), "i32", value)
    return f"operator {op.index} {'input' if vec is op.inputs else 'output'} {k} -> {value}"


def op_cycle(rng, d, m):
    """An operator reads a tensor written by itself or by a later operator."""
    ops = [o for o in m.operators if o.inputs and o.inputs.count and o.outputs and o.outputs.count]
    i = rng.randrange(len(ops))
    later = ops[rng.randrange(i, len(ops))]
    target = get(d, later.outputs.elem_pos(0), "i32")
    k = rng.randrange(ops[i].inputs.count)
    put(d, ops[i].inputs.elem_pos(k), "i32", target)
    return f"operator {ops[i].index} input {k} -> output of operator {later.index} (cycle)"


def op_writes_special(rng, d, m):
    """An operator writes a constant, a graph input, or another operator's output."""
    op = _pick(rng, [o for o in m.operators if o.outputs and o.outputs.count])
    consts = [t.index for t in m.tensors if t.constant]
    others = [get(d, o.outputs.elem_pos(0), "i32") for o in m.operators if o.outputs and o.outputs.count]
    gin = [get(d, m.sg_inputs.elem_pos(k), "i32") for k in range(m.sg_inputs.count)] if m.sg_inputs else []
    value = rng.choice((consts or [0]) + others + gin)
    put(d, op.outputs.elem_pos(0), "i32", value)
    return f"operator {op.index} output -> tensor {value}"


def op_io_count(rng, d, m):
    op = _pick(rng, m.operators)
    vec = op.inputs if rng.random() < 0.6 else op.outputs
    if vec is None:
        return flip_bytes(rng, d, m)
    n = len(m.tensors)
    count = rng.choice([0, 1, 2, 3, 4, 7])
    values = [rng.choice([-1, rng.randrange(n), rng.randrange(n)]) for _ in range(count)]
    point(d, vec.field_pos, append(d, vector_bytes("i32", values)))
    return f"operator {op.index} {'inputs' if vec is op.inputs else 'outputs'} -> {values}"


def op_opcode(rng, d, m):
    op = _pick(rng, [o for o in m.operators if o.opcode])
    if op is None:  # every operator uses opcode 0, the default
        return opcode_builtin(rng, d, m)
    value = rng.choice([len(m.opcodes), 2**32 - 1, rng.randrange(len(m.opcodes))])
    put(d, op.opcode.pos, "u32", value)
    return f"operator {op.index} opcode_index -> {value}"


def opcode_builtin(rng, d, m):
    """Turn an operator code into another builtin (supported or not) or an invalid code."""
    dep, builtin = rng.choice(m.opcodes)
    names = schema.BUILTIN_OPERATORS
    common = [names.index(n) for n in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "ADD", "MUL",
                                       "SOFTMAX", "RESHAPE", "AVERAGE_POOL_2D", "MAX_POOL_2D", "PAD", "MEAN",
                                       "QUANTIZE", "DEQUANTIZE", "CONCATENATION", "TRANSPOSE",
                                       "STRIDED_SLICE", "RELU", "LOGISTIC", "TANH", "SUB", "CUSTOM",
                                       "WHILE", "SQUEEZE", "EXPAND_DIMS") if n in names]
    value = rng.choice(common + [rng.randrange(len(names)), len(names), 255, -5, 1000])
    if builtin is not None:
        put(d, builtin.pos, "i32", value)
    if dep is not None:
        put(d, dep.pos, "i8", min(value, 127) if value >= 0 else value)
    return f"operator code -> {value}"


def missing_options(rng, d, m):
    op = _pick(rng, [o for o in m.operators if o.options_type])
    if op is None:
        return flip_bytes(rng, d, m)
    if rng.random() < 0.5:
        put(d, op.options_type.pos, "u8", 0)
        return f"operator {op.index} builtin_options_type -> NONE"
    value = rng.choice([1, 2, 3, 9, 100, 127, 255])
    put(d, op.options_type.pos, "u8", value)
    return f"operator {op.index} builtin_options_type -> {value}"


def option_value(rng, d, m):
    op = _pick(rng, [o for o in m.operators if o.options])
    if op is None:
        return flip_bytes(rng, d, m)
    s = rng.choice(op.options)
    if s.kind in ("f32", "f64"):
        value = rng.choice(SCALES)
    else:
        value = rng.choice([0, 1, 2, 3, 4, 5, 6, 7, -1, 127, 255, 2**31 - 1, 2**16])
    put(d, s.pos, s.kind, value)
    return f"operator {op.index} option {s.name} -> {value}"


def graph_io(rng, d, m):
    vec = m.sg_inputs if rng.random() < 0.5 else m.sg_outputs
    n = len(m.tensors)
    consts = [t.index for t in m.tensors if t.constant] or [0]
    choice = rng.randrange(3)
    if choice == 0 and vec.count:
        value = rng.choice([-1, n, rng.randrange(n), rng.choice(consts)])
        put(d, vec.elem_pos(rng.randrange(vec.count)), "i32", value)
        return f"graph {'inputs' if vec is m.sg_inputs else 'outputs'} entry -> {value}"
    values = [rng.randrange(n) for _ in range(rng.choice([0, 1, 2, 3]))]
    point(d, vec.field_pos, append(d, vector_bytes("i32", values)))
    return f"graph {'inputs' if vec is m.sg_inputs else 'outputs'} -> {values}"


def vtable_entry(rng, d, m):
    pos, size = rng.choice(m.vtables)
    slot = rng.randrange(size // 2)
    value = rng.choice([0, 0, 0, 2, 4, 6, 8, 0xFFFF, rng.randrange(64)])
    put(d, pos + 2 * slot, "u16", value)
    return f"vtable at {pos} entry {slot} -> {value}"


def redirect_offset(rng, d, m):
    pos = rng.choice(m.offset_fields)
    choice = rng.randrange(3)
    if choice == 0:
        value = rng.choice([0, 1, 4, 2**31, 2**32 - 1, len(d) - pos, len(d) - pos - 2])
    elif choice == 1:
        value = rng.choice(m.offset_fields) - pos if rng.random() < 0.5 else rng.randrange(len(d)) - pos
    else:
        value = get(d, pos, "u32") + rng.choice([-8, -4, -1, 1, 4, 8])
    put(d, pos, "u32", value)
    return f"uoffset at {pos} -> {value}"


def swap_operators(rng, d, m):
    vec = m.operator_vector
    if vec.count < 2:
        return op_cycle(rng, d, m)
    i, j = rng.sample(range(vec.count), 2)
    ti = vec.elem_pos(i) + get(d, vec.elem_pos(i), "u32")
    tj = vec.elem_pos(j) + get(d, vec.elem_pos(j), "u32")
    point(d, vec.elem_pos(i), tj)
    point(d, vec.elem_pos(j), ti)
    return f"swap operators {i} and {j}"


def names(rng, d, m):
    """Hostile tensor names: path separators, quotes, newlines, comment closers, non-ASCII."""
    t = rng.choice(m.tensors)
    name = rng.choice(["../../etc/passwd", "/abs/path", "a\"b", "x\ny", "*/ #include <evil>", "\\", "é\u2028",
                       "x" * 5000, "", "\0", "??/", "tensor name with spaces"])
    # Replace the tensor's name: a new string vector, pointed to by the name field.
    pos = _name_field(d, t.table)
    if pos is None:
        return tensor_dim(rng, d, m)
    raw = name.encode("utf-8")
    point(d, pos, append(d, struct.pack("<I", len(raw)) + raw + b"\0"))
    return f"tensor {t.index} name -> {name[:20]!r}"


def _name_field(d, table_pos) -> Optional[int]:
    vt = table_pos - get(d, table_pos, "i32")
    if R.TENSOR_NAME + 2 > get(d, vt, "u16"):
        return None
    off = get(d, vt + R.TENSOR_NAME, "u16")
    return table_pos + off if off else None


MUTATIONS: List[Tuple[Callable, int]] = [
    (flip_bytes, 14), (truncate, 5), (tensor_dim, 10), (tensor_rank, 4), (huge_tensor, 4),
    (tensor_type, 6), (tensor_buffer, 4), (buffer_size, 4), (buffer_offset, 4), (quant_length, 5),
    (quant_replace, 5), (quant_values, 4), (quant_dim, 3), (op_tensor_index, 6), (op_cycle, 4),
    (op_writes_special, 3), (op_io_count, 3), (op_opcode, 2), (opcode_builtin, 4),
    (missing_options, 4), (option_value, 8), (graph_io, 3), (vtable_entry, 4), (redirect_offset, 4),
    (swap_operators, 2), (names, 2),
]
_WEIGHTED = [fn for fn, w in MUTATIONS for _ in range(w)]


def mutate(data: bytes, model_map: ModelMap, seed: int) -> Tuple[bytes, str]:
    """One seeded mutant of `data` (a valid model whose map is `model_map`) and what changed.
    Sometimes two mutations stack, to reach states one change cannot."""
    rng = random.Random(seed)
    d = bytearray(data)
    kinds = []
    for _ in range(2 if rng.random() < 0.15 else 1):
        fn = rng.choice(_WEIGHTED)
        kinds.append(f"{fn.__name__}: {fn(rng, d, model_map)}")
        if fn is truncate:
            break
    return bytes(d), "; ".join(kinds)


def kind_of(description: str) -> str:
    return description.split(":", 1)[0]


def rename_tensors(data: bytes, new_names: Dict[int, str]) -> bytes:
    """A copy of the model `data` whose tensors (index -> name) carry new names."""
    model_map = build_map(data)
    d = bytearray(data)
    for index, name in new_names.items():
        pos = _name_field(d, model_map.tensors[index].table)
        raw = name.encode("utf-8")
        point(d, pos, append(d, struct.pack("<I", len(raw)) + raw + b"\0"))
    return bytes(d)
