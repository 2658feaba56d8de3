"""Lowering of CONCATENATION and PACK, and of their reverses SPLIT, SPLIT_V and UNPACK
(int8, int16, float32, int32; CONCATENATION also int64 and bool, PACK int64: what TFLite
Micro's kernels take).

Kernel: runtime/include/utensor/kernels/concatenation.hpp. Like TensorFlow Lite Micro, int8
inputs are copied without requantization (the TFLite converter gives them the output's
quantization), and a fused activation is not supported. Every tensor is seen as
[outer, axis_dim * inner] rows: PACK is a concatenation of rows of `inner` elements (the
new axis), UNPACK a split into such rows.
"""

import math

from ..ir import Graph, Operator
from .. import kernel_params
from . import KernelCall, register
from ._common import describe_dtypes, malformed, unsupported
from ._spatial import constant_ints

SUFFIX = {"int8": "s8", "float32": "f32", "int32": "i32", "int16": "s16", "int64": "i64", "bool": "b"}
CONCAT_DTYPES = ("int8", "int16", "float32", "int32", "int64", "bool")
PACK_DTYPES = ("int8", "int16", "float32", "int32", "int64")
SPLIT_DTYPES = ("int8", "int16", "float32", "int32")


def lower_concatenation(op: Operator, graph: Graph) -> KernelCall:
    if not op.inputs or len(op.outputs) != 1 or any(i < 0 for i in op.inputs):
        raise malformed(op, graph, "expects one or more inputs and one output.")
    xs = [graph.tensor(i) for i in op.inputs]
    y = graph.tensor(op.outputs[0])
    _same_dtype(op, graph, xs + [y], CONCAT_DTYPES)
    act = op.options.get("fused_activation_function", "NONE") or "NONE"
    if act != "NONE":
        raise unsupported(op, graph, f"fused activation {act} is not supported (TFLite Micro "
                          "supports none); apply the activation as a separate layer.")
    rank = len(y.shape)
    axis = int(op.options.get("axis", 0))
    if not -rank <= axis < rank:
        raise malformed(op, graph, f"axis {axis} is out of range for rank {rank}.")
    axis = axis + rank if axis < 0 else axis
    total = 0
    for x in xs:
        if len(x.shape) != rank or any(x.shape[d] != y.shape[d] for d in range(rank) if d != axis):
            raise malformed(op, graph, f"input '{x.name}' of shape {list(x.shape)} cannot be "
                            f"concatenated into {list(y.shape)} along axis {axis}.")
        total += x.shape[axis]
    if total != y.shape[axis]:
        raise malformed(op, graph, f"inputs sum to {total} along axis {axis}, output has "
                        f"{y.shape[axis]}.")
    outer = 1
    for d in y.shape[:axis]:
        outer *= d
    inner = 1
    for d in y.shape[axis + 1:]:
        inner *= d
    return KernelCall(
        template="ops/concatenation.j2",
        params=dict(suffix=SUFFIX[y.dtype], struct="ConcatenationParams",
                    fields=dict(num_inputs=len(xs), outer_size=outer,
                                row_sizes=kernel_params.ConstArray(
                                    "int32_t", [x.shape[axis] * inner for x in xs]))),
    )


def _axis(op, graph, axis: int, rank: int) -> int:
    if not -rank <= axis < rank:
        raise malformed(op, graph, f"axis {axis} is out of range for rank {rank}.")
    return axis + rank if axis < 0 else axis


def _same_dtype(op, graph, tensors, allowed) -> str:
    dtype = tensors[0].dtype
    if dtype not in allowed or any(t.dtype != dtype for t in tensors):
        raise unsupported(op, graph, f"dtypes {describe_dtypes(tensors)} are not supported; "
                          f"supported: all {', all '.join(allowed)} (what TFLite Micro's "
                          f"{op.op_type} takes).")
    return dtype


def lower_pack(op: Operator, graph: Graph) -> KernelCall:
    if not op.inputs or len(op.outputs) != 1 or any(i < 0 for i in op.inputs):
        raise malformed(op, graph, "expects one or more inputs and one output.")
    xs = [graph.tensor(i) for i in op.inputs]
    y = graph.tensor(op.outputs[0])
    dtype = _same_dtype(op, graph, xs + [y], PACK_DTYPES)
    axis = _axis(op, graph, int(op.options.get("axis", 0) or 0), len(y.shape))
    expected = tuple(xs[0].shape[:axis]) + (len(xs),) + tuple(xs[0].shape[axis:])
    if any(tuple(x.shape) != tuple(xs[0].shape) for x in xs) or tuple(y.shape) != expected:
        raise malformed(op, graph, f"inputs {[list(x.shape) for x in xs]} do not stack into "
                        f"{list(y.shape)} along axis {axis}.")
    inner = math.prod(xs[0].shape[axis:])
    return KernelCall(
        template="ops/concatenation.j2",
        params=dict(suffix=SUFFIX[dtype], struct="ConcatenationParams",
                    fields=dict(num_inputs=len(xs), outer_size=math.prod(y.shape[:axis]),
                                row_sizes=kernel_params.ConstArray("int32_t", [inner] * len(xs)))))


def _split(op, graph, x, ys, axis: int, data_input: int) -> KernelCall:
    dtype = _same_dtype(op, graph, [x] + ys, SPLIT_DTYPES)
    inner = math.prod(x.shape[axis + 1:])
    return KernelCall(
        template="ops/split.j2",
        params=dict(suffix=SUFFIX[dtype], struct="SplitParams", data_input=data_input,
                    fields=dict(num_outputs=len(ys), outer_size=math.prod(x.shape[:axis]),
                                row_sizes=kernel_params.ConstArray(
                                    "int32_t", [(y.shape[axis] if len(y.shape) == len(x.shape) else 1) * inner
                                                for y in ys]))))


def _outputs(op, graph):
    if any(o < 0 for o in op.outputs) or not op.outputs:
        raise malformed(op, graph, "expects one or more outputs.")
    return [graph.tensor(o) for o in op.outputs]


def _check_pieces(op, graph, x, ys, axis, sizes, keep_axis=True):
    for y, size in zip(ys, sizes):
        shape = list(x.shape)
        if keep_axis:
            shape[axis] = size
        else:
            del shape[axis]
        if list(y.shape) != shape:
            raise malformed(op, graph, f"output '{y.name}' has shape {list(y.shape)}, expected {shape}.")
    if keep_axis and sum(sizes) != x.shape[axis]:
        raise malformed(op, graph, f"the pieces {sizes} do not add up to {x.shape[axis]} along axis {axis}.")


def lower_unpack(op: Operator, graph: Graph) -> KernelCall:
    if len(op.inputs) != 1 or op.inputs[0] < 0:
        raise malformed(op, graph, "expects one input.")
    x = graph.tensor(op.inputs[0])
    ys = _outputs(op, graph)
    axis = _axis(op, graph, int(op.options.get("axis", 0) or 0), len(x.shape))
    if len(ys) != x.shape[axis]:
        raise malformed(op, graph, f"has {len(ys)} outputs for {x.shape[axis]} slices along axis {axis}.")
    _check_pieces(op, graph, x, ys, axis, [1] * len(ys), keep_axis=False)
    return _split(op, graph, x, ys, axis, data_input=0)


def lower_split(op: Operator, graph: Graph) -> KernelCall:
    if len(op.inputs) != 2 or min(op.inputs) < 0:
        raise malformed(op, graph, "expects an axis and an input.")
    x = graph.tensor(op.inputs[1])
    ys = _outputs(op, graph)
    (axis,) = constant_ints(op, graph, graph.tensor(op.inputs[0]), "the axis input")
    axis = _axis(op, graph, axis, len(x.shape))
    if x.shape[axis] % len(ys):
        raise malformed(op, graph, f"{x.shape[axis]} does not split into {len(ys)} equal pieces.")
    _check_pieces(op, graph, x, ys, axis, [x.shape[axis] // len(ys)] * len(ys))
    return _split(op, graph, x, ys, axis, data_input=1)


def lower_split_v(op: Operator, graph: Graph) -> KernelCall:
    if len(op.inputs) != 3 or min(op.inputs) < 0:
        raise malformed(op, graph, "expects an input, the sizes and an axis.")
    x = graph.tensor(op.inputs[0])
    ys = _outputs(op, graph)
    sizes = constant_ints(op, graph, graph.tensor(op.inputs[1]), "the size_splits input")
    (axis,) = constant_ints(op, graph, graph.tensor(op.inputs[2]), "the axis input")
    axis = _axis(op, graph, axis, len(x.shape))
    if len(sizes) != len(ys) or sum(1 for s in sizes if s == -1) > 1:
        raise malformed(op, graph, f"size_splits {sizes} does not fit {len(ys)} outputs.")
    if -1 in sizes:  # the one unknown size takes the rest
        sizes[sizes.index(-1)] = x.shape[axis] - sum(s for s in sizes if s != -1)
    _check_pieces(op, graph, x, ys, axis, sizes)
    return _split(op, graph, x, ys, axis, data_input=0)


register("CONCATENATION", lower_concatenation, dtypes=CONCAT_DTYPES)
register("PACK", lower_pack, dtypes=PACK_DTYPES)
register("UNPACK", lower_unpack, dtypes=SPLIT_DTYPES)
register("SPLIT", lower_split, dtypes=SPLIT_DTYPES)
register("SPLIT_V", lower_split_v, dtypes=SPLIT_DTYPES)
