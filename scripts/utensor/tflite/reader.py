"""Read a `.tflite` file into the graph IR, in pure Python (struct + numpy).

Only subgraph 0 is read, plus the init subgraphs its CALL_ONCE operators run (resource
variables' initial values, tflite/resources.py) and the branches of its IF operators
(inlined as guarded operators, tflite/control_flow.py) and the condition and body of its
WHILE operators (inlined as one loop). Other subgraphs are ignored unless an operator of
subgraph 0 runs them (CALL, StableHLO regions): that control flow utensor does not support
(`UnsupportedError`). Converters add unreferenced subgraphs for
signatures and initializers; they do not change what subgraph 0 computes.

Everything the file claims is checked before use (offsets, indices, sizes, quantization
arrays, execution order): a damaged or hostile file yields `ModelFormatError`, a valid
model using something outside utensor's scope `UnsupportedError`; both name the file.
"""

import hashlib
import math
import os
import re
from typing import Dict, List, Optional

import numpy as np

from .. import ir
from ..errors import ModelFormatError, UnsupportedError, UtensorError
from . import options as opts
from . import schema
from .flatbuf import Buffer, FlatbufferError, Table

IDENTIFIER = b"TFL3"
SCHEMA_VERSION = 3
MAX_TENSOR_BYTES = 2 ** 31
MAX_NAME = 100  # characters of a model name

# TensorType name -> IR dtype; the other TensorTypes are valid but unsupported.
DTYPES = {
    "FLOAT32": "float32", "INT8": "int8", "UINT8": "uint8", "INT16": "int16", "UINT16": "uint16",
    "INT32": "int32", "UINT32": "uint32", "INT64": "int64", "BOOL": "bool",
}
# Integer value range a zero point must fit in, for quantized dtypes.
_ZERO_POINT_RANGE = {"int8": (-128, 127), "uint8": (0, 255), "int16": (-32768, 32767)}

CONTROL_FLOW = {"CALL", "IF", "WHILE", "CALL_ONCE"}
# Operators that own variable (state) tensors, and the input slots these sit at (TFLite's
# schema): anywhere else a variable tensor is refused.
STATE_INPUTS = {"SVDF": (4,), "UNIDIRECTIONAL_SEQUENCE_LSTM": (18, 19), "READ_VARIABLE": (0,),
                "ASSIGN_VARIABLE": (0,)}
RESOURCE_OPS = ("VAR_HANDLE", "READ_VARIABLE", "ASSIGN_VARIABLE", "CALL_ONCE")

# Vtable slots (schema.fbs field order).
MODEL_VERSION, MODEL_OPCODES, MODEL_SUBGRAPHS, MODEL_DESCRIPTION, MODEL_BUFFERS = 4, 6, 8, 10, 12
MODEL_SIGNATURE_DEFS = 18
SIGNATURE_INPUTS, SIGNATURE_OUTPUTS, SIGNATURE_SUBGRAPH = 4, 6, 12
TENSORMAP_NAME, TENSORMAP_INDEX = 4, 6
OPCODE_DEPRECATED, OPCODE_CUSTOM, OPCODE_VERSION, OPCODE_BUILTIN = 4, 6, 8, 10
SUBGRAPH_TENSORS, SUBGRAPH_INPUTS, SUBGRAPH_OUTPUTS, SUBGRAPH_OPERATORS = 4, 6, 8, 10
TENSOR_SHAPE, TENSOR_TYPE, TENSOR_BUFFER, TENSOR_NAME, TENSOR_QUANT = 4, 6, 8, 10, 12
TENSOR_IS_VARIABLE, TENSOR_SPARSITY, TENSOR_SHAPE_SIGNATURE = 14, 16, 18
QUANT_SCALE, QUANT_ZERO_POINT, QUANT_DETAILS_TYPE, QUANT_DIMENSION = 8, 10, 12, 16
BUFFER_DATA, BUFFER_OFFSET, BUFFER_SIZE = 4, 6, 8
OP_OPCODE, OP_INPUTS, OP_OUTPUTS, OP_OPTIONS_TYPE, OP_OPTIONS = 4, 6, 8, 10, 12
OP_CUSTOM_OPTIONS, OP_CUSTOM_FORMAT, OP_OPTIONS2_TYPE, OP_OPTIONS2 = 14, 16, 26, 28

_FIX_FORMAT = "Re-export the model with the TensorFlow Lite converter (tf.lite.TFLiteConverter)."


def read_tflite(path: str, name: Optional[str] = None) -> ir.Graph:
    """Read the TFLite model at `path` into a Graph named `name` (default: from the file name)."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise UtensorError(f"{path}: cannot read the model file ({e.strerror or e}). "
                           "Check the path (relative paths are relative to the current directory).") from None
    graph_name = check_name(name) if name is not None else name_from_path(path)
    try:
        graph = _Reader(path, data).read(graph_name)
    except FlatbufferError as e:
        raise ModelFormatError(f"{path}: the model file is damaged or truncated: {e}. {_FIX_FORMAT}") from None
    graph.source_path = path
    graph.source_sha256 = hashlib.sha256(data).hexdigest()
    return graph


_CPP_KEYWORDS = set("""alignas alignof and and_eq asm auto bitand bitor bool break case catch char
char16_t char32_t class compl const constexpr const_cast continue decltype default delete do double
dynamic_cast else enum explicit export extern false float for friend goto if inline int long mutable
namespace new noexcept not not_eq nullptr operator or or_eq private protected public register
reinterpret_cast return short signed sizeof static static_assert static_cast struct switch template
this thread_local throw true try typedef typeid typename union unsigned using virtual void volatile
wchar_t while xor xor_eq""".split())


def name_from_path(path: str) -> str:
    """A C++ identifier from a file name: `ad01_int8.tflite` -> `ad01_int8`, `1x.tflite` -> `m_1x`."""
    stem = os.path.splitext(os.path.basename(path))[0]
    ident = re.sub(r"_+", "_", re.sub(r"[^A-Za-z0-9_]", "_", stem)).strip("_")
    if not ident or ident[0].isdigit():
        ident = "m_" + ident if ident else "model"
    if ident in _CPP_KEYWORDS:
        ident += "_model"
    # The name becomes file names (<name>.hpp): keep them far below the 255-byte limit.
    return ident[:MAX_NAME].rstrip("_")


def check_name(name: str) -> str:
    """`name` if usable as a C++ identifier, else a UtensorError explaining why."""
    if len(name) > MAX_NAME:
        raise UtensorError(f"model name {name[:20]!r}... is {len(name)} characters long; use at most {MAX_NAME} "
                           "(it names the generated files and the C++ class).")
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", name) or "__" in name or name in _CPP_KEYWORDS:
        example = name_from_path(name + ".x")
        raise UtensorError(
            f"model name {name!r} is not usable as a C++ identifier: use letters, digits and single "
            f"underscores, starting with a letter, and not a C++ keyword (for example {example!r}).")
    return name


def _resource_placeholder(index: int, name: str) -> ir.Tensor:
    t = ir.Tensor(index=index, name=name, dtype="int32", shape=(), is_variable=True)
    t.resource_handle = True  # replaced by resources.resolve() before anything else sees it
    return t


class _Reader:
    def __init__(self, path: str, data: bytes):
        self.path = path
        self.data = data
        self.buf = Buffer(data)

    # Errors ----------------------------------------------------------------------------
    def bad(self, what: str) -> ModelFormatError:
        return ModelFormatError(f"{self.path}: invalid TensorFlow Lite model: {what}. {_FIX_FORMAT}")

    def unsupported(self, what: str, fix: str) -> UnsupportedError:
        return UnsupportedError(f"{self.path}: {what}. {fix}")

    # Model -----------------------------------------------------------------------------
    def read(self, graph_name: str) -> ir.Graph:
        size = len(self.data)
        if size < 8 or self.data[4:8] != IDENTIFIER:
            detail = "too short to be one" if size < 8 else "lacks the 'TFL3' identifier"
            raise ModelFormatError(
                f"{self.path}: not a TensorFlow Lite model (the file is {size} bytes, {detail}). "
                "Pass a .tflite file produced by the TFLite converter.")
        model = self.buf.root("model")
        version = model.scalar(MODEL_VERSION, "u32", 0, "version")
        if version != SCHEMA_VERSION:
            raise self.bad(f"schema version {version}, expected {SCHEMA_VERSION}")
        self.opcodes = [self.read_opcode(i, t) for i, t in enumerate(model.tables(MODEL_OPCODES, "operator_codes"))]
        self.buffers = model.tables(MODEL_BUFFERS, "buffers")
        subgraphs = model.tables(MODEL_SUBGRAPHS, "subgraphs")
        if not subgraphs:
            raise self.bad("the model has no subgraph")
        self.subgraphs = subgraphs
        graph = self.read_subgraph(subgraphs[0], len(subgraphs), graph_name)
        graph.description = model.string(MODEL_DESCRIPTION, "description") or ""
        graph.io_names = self.read_io_names(model, graph)
        return graph

    def read_io_names(self, model: Table, graph: ir.Graph) -> Dict[int, str]:
        """Input/output names from the signature of subgraph 0 (what Keras called them);
        names only, so an odd signature is ignored rather than refused."""
        names: Dict[int, str] = {}
        for sig in model.tables(MODEL_SIGNATURE_DEFS, "signature_defs"):
            if sig.scalar(SIGNATURE_SUBGRAPH, "u32", 0, "subgraph_index") != 0:
                continue
            for slot, where in ((SIGNATURE_INPUTS, graph.inputs), (SIGNATURE_OUTPUTS, graph.outputs)):
                for entry in sig.tables(slot, "signature tensors"):
                    name = entry.string(TENSORMAP_NAME, "name")
                    index = entry.scalar(TENSORMAP_INDEX, "u32", 0, "tensor_index")
                    if name and index in where and index not in names:
                        names[index] = name
            break
        return names

    def read_opcode(self, index: int, table: Table):
        deprecated = table.scalar(OPCODE_DEPRECATED, "i8", 0, "deprecated_builtin_code")
        builtin = table.scalar(OPCODE_BUILTIN, "i32", 0, "builtin_code")
        version = table.scalar(OPCODE_VERSION, "i32", 1, "version")
        # Codes above 127 live in builtin_code, with deprecated_builtin_code a placeholder
        # (127); old files have only the deprecated field. The larger one is the code.
        code = max(deprecated, builtin)
        if code < 0:
            raise self.bad(f"operator code {index} has the negative builtin code {code}")
        if code >= len(schema.BUILTIN_OPERATORS):
            raise self.unsupported(
                f"operator code {index} is builtin operator {code}, newer than the TFLite schema utensor knows "
                f"(codes 0..{len(schema.BUILTIN_OPERATORS) - 1})",
                "Convert the model with an older TensorFlow, or update utensor.")
        op_type = schema.BUILTIN_OPERATORS[code]
        if op_type == "CUSTOM":
            custom = table.string(OPCODE_CUSTOM, "custom_code")
            if not custom:
                raise self.bad(f"operator code {index} is CUSTOM without a custom_code name")
            op_type = "CUSTOM:" + custom
        return op_type, version

    # Subgraph --------------------------------------------------------------------------
    def read_subgraph(self, sg: Table, n_subgraphs: int, graph_name: str) -> ir.Graph:
        tensor_tables = sg.tables(SUBGRAPH_TENSORS, "tensors")
        n = len(tensor_tables)
        inputs = self.indices(sg.ints(SUBGRAPH_INPUTS, "i32", "inputs") or [], n, "the subgraph inputs")
        outputs = self.indices(sg.ints(SUBGRAPH_OUTPUTS, "i32", "outputs") or [], n, "the subgraph outputs")
        operators = [self.read_operator(i, t, n) for i, t in enumerate(sg.tables(SUBGRAPH_OPERATORS, "operators"))]
        tensors = [self.read_tensor(i, t) for i, t in enumerate(tensor_tables)]
        if any(op.op_type in RESOURCE_OPS for op in operators) or \
                any(getattr(t, "resource_handle", False) for t in tensors):
            from .resources import resolve  # pylint: disable=import-outside-toplevel

            operators = resolve(self, tensors, operators)
        if any(op.op_type in ("IF", "WHILE") for op in operators):
            from .control_flow import inline_ifs, inline_whiles  # pylint: disable=import-outside-toplevel

            operators = inline_whiles(self, tensors, inline_ifs(self, tensors, operators))
        for op in operators:
            self.check_no_subgraph_call(op, n_subgraphs)
        self.check_variables(tensors, operators, inputs, outputs)
        self.check_order(tensors, operators, inputs, outputs)
        return ir.Graph(name=graph_name, tensors=tensors, operators=operators, inputs=inputs, outputs=outputs)

    def indices(self, values: List[int], n: int, where: str, optional: bool = False) -> List[int]:
        low = -1 if optional else 0
        for v in values:
            if v < low or v >= n:
                raise self.bad(f"{where} refer to tensor {v}, but the subgraph has {n} tensors")
        return values

    # Tensors ---------------------------------------------------------------------------
    def read_tensor(self, index: int, t: Table) -> ir.Tensor:
        name = t.string(TENSOR_NAME, "name") or f"tensor_{index}"
        label = f"tensor {index} ({name!r})"
        type_code = t.scalar(TENSOR_TYPE, "i8", 0, "type")
        type_name = schema.ENUMS["TensorType"].get(type_code)
        if type_name is None:
            raise self.bad(f"{label} has the unknown type code {type_code}")
        dtype = DTYPES.get(type_name)
        if type_name == "RESOURCE":
            # A resource variable's handle: resources.py turns the handles of one variable
            # into one variable tensor, typed by what is assigned to it.
            return _resource_placeholder(index, name)
        if dtype is None:
            raise self.unsupported(
                f"{label} has type {type_name}, which utensor does not support",
                f"Supported tensor types: {', '.join(DTYPES)}; convert the model to int8 or float32.")
        shape = tuple(t.ints(TENSOR_SHAPE, "i32", "shape") or ())
        if any(d < 0 for d in shape):
            raise self.bad(f"{label} has a negative dimension in its shape {list(shape)}")
        nbytes = math.prod(shape) * ir.numpy_dtype(dtype).itemsize
        if nbytes > MAX_TENSOR_BYTES:
            raise self.bad(f"{label} has shape {list(shape)}: {nbytes} bytes, more than 2**31")
        self.check_signature(t, shape, label)
        variable = bool(t.scalar(TENSOR_IS_VARIABLE, "bool", False, "is_variable"))
        if t.has(TENSOR_SPARSITY):
            raise self.unsupported(f"{label} is a sparse tensor",
                                   "Convert the model without sparsity (dense weights).")
        quant = self.read_quantization(t, dtype, shape, label)
        # A variable tensor's buffer is no constant: TFLite Micro allocates it in its arena
        # and resets it (ir.Tensor.reset_byte), whatever the file holds there.
        data = None if variable else self.read_constant(t, dtype, shape, nbytes, label)
        return ir.Tensor(index=index, name=name, dtype=dtype, shape=shape, quant=quant, data=data,
                         is_variable=variable)

    def check_signature(self, t: Table, shape, label: str) -> None:
        """shape_signature is what the model was built for (-1: any size); `shape` is what
        it runs with. TFLite Micro has no dynamic shapes and never reads the signature: it
        runs every tensor at `shape`, whatever the signature says (another rank included).
        So does utensor; the signature is only read to be bounds-checked."""
        t.ints(TENSOR_SHAPE_SIGNATURE, "i32", "shape_signature")

    def read_quantization(self, t: Table, dtype: str, shape, label: str) -> Optional[ir.Quantization]:
        q = t.table(TENSOR_QUANT, "quantization")
        if q is None:
            return None
        # As TFLite Micro's loader (micro_allocator.cc, InitializeTfLiteTensorFromFlatbuffer):
        # the details union (custom quantization for custom operators) is never read; a
        # tensor is quantized when it has at least one scale *and* one zero point (else it
        # is not quantized at all, and operators needing quantization refuse it); a zero
        # point array shorter or longer than the scales stands for its first value repeated
        # (converters store one zero point for symmetric per-channel weights).
        scale = q.array(QUANT_SCALE, "f32", "scale")
        if scale is None or scale.size == 0:
            return None
        zero_point = q.array(QUANT_ZERO_POINT, "i64", "zero_point")
        if zero_point is None or zero_point.size == 0:
            return None
        if zero_point.size != scale.size:
            zero_point = np.full(scale.size, zero_point[0], dtype=zero_point.dtype)
        if not np.all(np.isfinite(scale)) or np.any(scale < 0):
            raise self.bad(f"{label} has an invalid quantization scale (negative, infinite or NaN)")
        # As TFLite Micro's loader: quantized_dimension is kept, not judged. With one scale it
        # means nothing (converters leave stale values, even past the rank); with several,
        # the operator that reads per-channel scales checks them against its own tensor
        # (ops/conv.py, fully_connected.py), as TFLM's kernels do in Prepare. A rank-1 tensor
        # (a bias) with one scale per element has only one axis they can follow.
        axis = q.scalar(QUANT_DIMENSION, "i32", 0, "quantized_dimension")
        if scale.size == 1:
            axis = 0
        elif len(shape) == 1 and shape[0] == scale.size:
            axis = 0
        if dtype in _ZERO_POINT_RANGE:
            low, high = _ZERO_POINT_RANGE[dtype]
            if np.any(zero_point < low) or np.any(zero_point > high):
                raise self.bad(f"{label} ({dtype}) has a zero point outside [{low}, {high}]")
        return ir.Quantization(scale=tuple(float(s) for s in scale),
                               zero_point=tuple(int(z) for z in zero_point), axis=axis)

    def read_constant(self, t: Table, dtype: str, shape, nbytes: int, label: str) -> Optional[np.ndarray]:
        index = t.scalar(TENSOR_BUFFER, "u32", 0, "buffer")
        if index >= len(self.buffers):
            raise self.bad(f"{label} refers to buffer {index}, but the model has {len(self.buffers)} buffers")
        b = self.buffers[index]
        raw = b.bytes(BUFFER_DATA, "data")
        if not raw:
            # Models over 2 GB keep data after the flatbuffer, at a file offset (> 1 is valid).
            offset = b.scalar(BUFFER_OFFSET, "u64", 0, "offset")
            size = b.scalar(BUFFER_SIZE, "u64", 0, "size")
            if offset <= 1 or size == 0:
                return None
            if offset + size > len(self.data):
                raise self.bad(f"{label}: buffer {index} lies at bytes {offset}..{offset + size}, "
                               f"past the end of the {len(self.data)}-byte file")
            raw = self.data[offset:offset + size]
        # TFLite Micro points the tensor at the buffer and reads the bytes its shape needs:
        # extra bytes are never read (accepted), missing ones would be read past the buffer.
        if len(raw) < nbytes:
            raise self.bad(f"{label} ({dtype} {list(shape)}, {nbytes} bytes) has a constant buffer of {len(raw)} bytes")
        raw = raw[:nbytes]
        if dtype == "bool":
            return (np.frombuffer(raw, dtype=np.uint8) != 0).reshape(shape)
        stored = ir.numpy_dtype(dtype).newbyteorder("<")
        return np.frombuffer(raw, dtype=stored).astype(ir.numpy_dtype(dtype)).reshape(shape)

    # Operators -------------------------------------------------------------------------
    def read_operator(self, index: int, t: Table, n_tensors: int) -> ir.Operator:
        code = t.scalar(OP_OPCODE, "u32", 0, "opcode_index")
        if code >= len(self.opcodes):
            raise self.bad(f"operator {index} uses operator code {code}, but the model has {len(self.opcodes)}")
        op_type, version = self.opcodes[code]
        label = f"operator {index} ({op_type})"
        inputs = self.indices(t.ints(OP_INPUTS, "i32", "inputs") or [], n_tensors, f"the inputs of {label}", True)
        outputs = self.indices(t.ints(OP_OUTPUTS, "i32", "outputs") or [], n_tensors, f"the outputs of {label}")
        try:
            options = self.read_options(t, op_type, label)
        except FlatbufferError as e:
            raise self.bad(str(e)) from None
        return ir.Operator(index=index, op_type=op_type, inputs=inputs, outputs=outputs,
                           options=options, version=version)

    def read_options(self, t: Table, op_type: str, label: str) -> Dict:
        if op_type.startswith("CUSTOM:"):
            fmt = t.scalar(OP_CUSTOM_FORMAT, "i8", 0, "custom_options_format")
            return {"custom_options": t.bytes(OP_CUSTOM_OPTIONS, "custom_options") or b"",
                    "custom_options_format": schema.ENUMS["CustomOptionsFormat"].get(fmt, fmt)}
        present = []
        for union, type_slot, table_slot in ((1, OP_OPTIONS_TYPE, OP_OPTIONS), (2, OP_OPTIONS2_TYPE, OP_OPTIONS2)):
            code = t.scalar(type_slot, "u8", 0, "builtin_options_type")
            if code:
                present.append((union, code, t.table(table_slot, "builtin_options")))
        expected = schema.OPERATOR_OPTIONS.get(op_type)
        for union, code, table in present:
            if expected is not None and (union, code) != expected:
                found = opts.table_for(union, code)
                raise self.bad(f"{label} carries {found[0] if found else f'options type {code}'}, "
                               f"expected {opts.table_for(*expected)[0]}")
            if expected is None:
                if opts.table_for(union, code) is None:
                    raise self.bad(f"{label} carries unknown options type {code}")
                expected = (union, code)
        if expected is None:
            return {}
        table = present[0][2] if present else None
        # No options table (or one without fields set): TFLite uses the schema defaults too.
        return opts.parse(table, opts.table_for(*expected)[1], label)

    def check_no_subgraph_call(self, op: ir.Operator, n_subgraphs: int) -> None:
        if op.op_type == "CALL_ONCE" and "init" in op.options:
            return  # resolved by resources.py into the initial values it assigns
        if op.op_type == "IF" and not op.options:
            return  # inlined by control_flow.py: now the copy of the taken branch's outputs
        if op.op_type == "WHILE" and "role" in op.options:
            return  # inlined by control_flow.py: the loop's entry, test or next-iteration copy
        calls = op.op_type in CONTROL_FLOW or any(
            k.endswith(("subgraph_index", "subgraph_indices")) or k in ("subgraph", "called_computations")
            for k in op.options)
        if calls:
            raise self.unsupported(
                f"operator {op.index} ({op.op_type}) runs another subgraph (control flow; the model has "
                f"{n_subgraphs} subgraphs)",
                "utensor supports single-graph models only; remove the control flow (e.g. unroll loops).")

    def check_variables(self, tensors: List[ir.Tensor], operators: List[ir.Operator],
                        inputs: List[int], outputs: List[int]) -> None:
        """Variable tensors only where an operator keeps its state in them."""
        fix = ("utensor supports variable (stateful) tensors as the state inputs of "
               + ", ".join(f"{k} (input {'/'.join(map(str, v))})" for k, v in sorted(STATE_INPUTS.items()))
               + "; convert without other stateful layers.")
        for role, indices in (("input", inputs), ("output", outputs)):
            for i in indices:
                if tensors[i].is_variable:
                    raise self.unsupported(f"tensor {i} ({tensors[i].name!r}) is a variable (stateful) tensor "
                                           f"and a graph {role}", fix)
        for op in operators:
            if op.op_type == "CALL_ONCE":
                continue  # built by resources.resolve: its flag and the variables it initializes
            for slot, i in enumerate(op.inputs):
                if i >= 0 and tensors[i].is_variable and slot not in STATE_INPUTS.get(op.op_type, ()):
                    raise self.unsupported(f"tensor {i} ({tensors[i].name!r}) is a variable (stateful) tensor "
                                           f"read by operator {op.index} ({op.op_type}) as input {slot}", fix)

    def check_order(self, tensors: List[ir.Tensor], operators: List[ir.Operator],
                    inputs: List[int], outputs: List[int]) -> None:
        """Every tensor an operator reads exists by then: the operators are in execution order."""
        producer: Dict[int, int] = {}
        graph_inputs = set(inputs)
        for op in operators:
            for o in op.outputs:
                if o in producer and not (op.op_type == "WHILE" and op.options.get("role") == "next"):
                    # (a loop variable is written on entry and again after each iteration)
                    raise self.bad(f"tensor {o} is written by operators {producer[o]} and {op.index}")
                if tensors[o].is_constant:
                    raise self.bad(f"operator {op.index} ({op.op_type}) writes the constant tensor {o}")
                if tensors[o].is_variable:
                    raise self.unsupported(
                        f"operator {op.index} ({op.op_type}) outputs the variable tensor {o}",
                        "utensor updates variable tensors only through the operators that own them "
                        "as inputs (SVDF, UNIDIRECTIONAL_SEQUENCE_LSTM), as TFLite's converter emits them.")
                if o in graph_inputs:
                    raise self.bad(f"operator {op.index} ({op.op_type}) writes the graph input tensor {o}")
                producer[o] = op.index
        # A zero-element tensor nobody writes has an empty buffer yet is a valid constant
        # (e.g. the `shape` input of a RESHAPE to a scalar).
        for t in tensors:
            if (t.data is None and t.num_elements == 0 and not t.is_variable and t.index not in producer
                    and t.index not in graph_inputs):
                t.data = np.zeros(t.shape, dtype=ir.numpy_dtype(t.dtype))
        # Variable tensors hold state from the previous invocation (or their reset value).
        ready = set(graph_inputs) | {t.index for t in tensors if t.is_constant or t.is_variable}
        for op in operators:
            for i in op.inputs:
                if i >= 0 and i not in ready:
                    why = (f"written later by operator {producer[i]}: the operators are not in execution "
                           "order (or form a cycle)") if i in producer else \
                        "neither a graph input, a constant nor written by any operator"
                    raise self.bad(f"operator {op.index} ({op.op_type}) reads tensor {i} "
                                   f"({tensors[i].name!r}), which is {why}")
            ready.update(op.outputs)
        if not outputs:
            raise self.bad("the subgraph has no outputs")
        for o in outputs:
            if o not in ready:
                raise self.bad(f"graph output tensor {o} ({tensors[o].name!r}) is never written")
        for role, indices in (("input", inputs), ("output", outputs)):
            for i in indices:
                if tensors[i].is_constant:
                    raise self.unsupported(
                        f"graph {role} tensor {i} ({tensors[i].name!r}) is a constant",
                        "utensor needs graph inputs fed at run time and outputs computed by operators; "
                        "re-export the model with the TensorFlow Lite converter.")
