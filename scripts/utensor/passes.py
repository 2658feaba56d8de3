"""Graph passes run between reading and planning.

Each pass takes a Graph and returns it (possibly modified in place). They run in the order
of `run_all`. None of them changes what the model computes. Operators keep their `index`
from the source model, so messages name the operator as the user's file numbers it.
"""

from typing import List, Optional, Sequence, Set, Tuple

import numpy as np

from .errors import UtensorError
from .ir import Graph, Operator, numpy_dtype
from .ops._spatial import DEPTHWISE_AS_CONV, FUSED_PADDING

# Operators whose output is the input's bytes reinterpreted under another shape: no kernel,
# the output shares the input's storage (or, for a constant input, becomes a constant).
RESHAPE_LIKE = ("RESHAPE", "SQUEEZE", "EXPAND_DIMS")


def fold_reshapes(graph: Graph) -> Graph:
    """Turn reshape-like operators into aliases (activations) or reshaped constants."""
    kept = []
    for op in graph.operators:
        if op.op_type not in RESHAPE_LIKE or not op.inputs or op.inputs[0] < 0:
            kept.append(op)
            continue
        src = graph.tensor(op.inputs[0])
        dst = graph.tensor(op.outputs[0])
        if src.nbytes != dst.nbytes or src.dtype != dst.dtype or _same_quant(src, dst) is False:
            kept.append(op)  # not a pure reinterpretation; the lowering will report it
            continue
        if src.is_constant:
            dst.data = src.data.reshape(dst.shape)
        else:
            dst.alias_of, dst.alias_offset = graph.storage(src.index)
    graph.operators = kept
    return graph


# Operators that only move bytes: when each output is one contiguous run of the input's
# bytes, the outputs become views of the input (aliases at byte offsets) and nothing runs.
VIEW_CANDIDATES = ("SPLIT", "SPLIT_V", "UNPACK", "SLICE", "STRIDED_SLICE")


def data_movement_views(graph: Graph, user_ops: Sequence[str] = ()) -> Graph:
    """SPLIT / SPLIT_V / UNPACK along the outermost non-unit axis, and SLICE / STRIDED_SLICE
    boxes that are one run of memory, become views of their input. Whether a piece is
    contiguous is read off the operator's own lowering (which also validates it: an
    operator its lowering refuses stays, to be reported when the graph is lowered)."""
    from . import ops  # pylint: disable=import-outside-toplevel

    kept = []
    for op in graph.operators:
        pieces = None
        # (not inside a loop: a view of a loop variable would change under the next
        # iteration's copy)
        if op.op_type in VIEW_CANDIDATES and op.op_type not in user_ops and op.loop is None:
            try:
                pieces = _contiguous_pieces(op, graph, ops.lower(op, graph))
            except UtensorError:
                pieces = None
        if pieces is None:
            kept.append(op)
            continue
        source, offsets = pieces
        itemsize = graph.tensor(source).nbytes // max(graph.tensor(source).num_elements, 1)
        for out, elements in zip(op.outputs, offsets):
            dst = graph.tensor(out)
            dst.alias_of, dst.alias_offset = source, elements * itemsize
    graph.operators = kept
    return graph


def _contiguous_pieces(op: Operator, graph: Graph, call) -> Optional[Tuple[int, List[int]]]:
    """(source tensor, each output's element offset in it) when every output of `op` is a
    contiguous run of its source, else None."""
    fields = call.params.get("fields", {})
    if call.template == "ops/split.j2":
        source = op.inputs[call.params["data_input"]]
        if fields["outer_size"] != 1:
            return None
        starts, at = [], 0
        for size in fields["row_sizes"].values:
            starts.append(at)
            at += size
        return _if_activation(graph, source, starts)
    if call.params.get("struct") == "StridedSliceParams":
        dims, steps = fields["output_dims"], fields["input_steps"]
        dense = 1
        for count, step in zip(reversed(dims), reversed(steps)):
            if count > 1 and step != dense:
                return None
            dense *= count
        return _if_activation(graph, op.inputs[0], [fields["start"]])
    return None


def _if_activation(graph: Graph, source: int, starts: List[int]):
    # A constant source keeps its operator (the kernel copies out of flash).
    return None if graph.tensor(source).is_constant else (source, starts)


def _same_quant(a, b):
    if a.quant is None or b.quant is None:
        return a.quant is None and b.quant is None
    return a.quant.scale == b.quant.scale and a.quant.zero_point == b.quant.zero_point


def _alias_root(graph: Graph, index: int) -> int:
    while graph.tensor(index).alias_of is not None:
        index = graph.tensor(index).alias_of
    return index


STATE_WRITERS = ("ASSIGN_VARIABLE", "CALL_ONCE")


def drop_dead_operators(graph: Graph) -> Graph:
    """Remove operators none of whose outputs reach a graph output."""
    needed: Set[int] = set(graph.outputs)
    for t in graph.outputs:
        needed.add(_alias_root(graph, t))
    kept = []
    for op in reversed(graph.operators):
        # Writes to state another invoke may read are kept whatever this invoke's outputs.
        # So is a loop's control (its entry, test and next-iteration copy: tflite/control_flow.py).
        if (op.op_type in STATE_WRITERS or op.op_type == "WHILE"
                or any(t in needed or _alias_root(graph, t) in needed for t in op.outputs)):
            kept.append(op)
            needed.update(t for t in op.inputs if t >= 0)
            needed.update(_alias_root(graph, t) for t in op.inputs if t >= 0)
        # an alias whose root is needed keeps its producer alive through the root
    graph.operators = list(reversed(kept))
    return graph


# Convolutions that honour FUSED_PADDING (ops/_spatial.py): their kernels treat taps outside
# the image as the input zero point (int8) or 0.0 (float32), as a PAD before them would.
PAD_FUSABLE = ("CONV_2D", "DEPTHWISE_CONV_2D")


def fold_pad_into_conv(graph: Graph) -> Graph:
    """A PAD (or PADV2 with the zero point as its value) over H and W whose only reader is a
    VALID convolution becomes that convolution's own padding: no padded copy in the arena,
    no copying pass. Only paddings a window can straddle (at most the filter's extent - 1
    per side) are folded; anything else keeps its PAD."""
    consumers = graph.consumers()
    dropped = set()
    by_index = {op.index: op for op in graph.operators}
    for op in graph.operators:
        if op.op_type not in ("PAD", "PADV2"):
            continue
        conv = _fusable_conv(graph, op, consumers, by_index)
        pads = _spatial_pads(graph, op)
        if conv is None or pads is None:
            continue
        w = graph.tensor(conv.inputs[1])
        f_h, f_w = w.shape[1], w.shape[2]
        dil_h = int(conv.options.get("dilation_h_factor", 1) or 1)
        dil_w = int(conv.options.get("dilation_w_factor", 1) or 1)
        top, bottom, left, right = pads
        if max(top, bottom) > (f_h - 1) * dil_h or max(left, right) > (f_w - 1) * dil_w:
            continue
        conv.inputs[0] = op.inputs[0]
        conv.options[FUSED_PADDING] = pads
        dropped.add(op.index)
    graph.operators = [op for op in graph.operators if op.index not in dropped]
    return graph


def _fusable_conv(graph: Graph, pad: Operator, consumers, by_index):
    """The VALID convolution that is the only reader of `pad`'s output, or None."""
    out = pad.outputs[0]
    readers = consumers.get(out, [])
    if len(readers) != 1 or out in graph.outputs or graph.tensor(out).alias_of is not None:
        return None
    if any(t.alias_of == out for t in graph.tensors):
        return None
    conv = by_index[readers[0]]
    if (conv.op_type not in PAD_FUSABLE or conv.inputs[0] != out or out in conv.inputs[1:]
            or conv.options.get("padding") != "VALID" or FUSED_PADDING in conv.options):
        return None
    x, y = graph.tensor(pad.inputs[0]), graph.tensor(out)
    if x.is_constant or x.dtype != y.dtype or x.dtype not in ("int8", "float32"):
        return None
    if not _same_quant(x, y) and x.dtype == "int8":
        return None  # a requantizing PAD is not a copy
    return conv


def _spatial_pads(graph: Graph, pad: Operator):
    """(top, bottom, left, right) of a PAD over NHWC that pads only H and W with the value a
    convolution's padding stands for, else None."""
    if len(pad.inputs) < 2 or pad.inputs[1] < 0:
        return None
    paddings = graph.tensor(pad.inputs[1])
    x = graph.tensor(pad.inputs[0])
    if not paddings.is_constant or len(x.shape) != 4 or paddings.data.shape != (4, 2):
        return None
    p = [[int(v) for v in row] for row in paddings.data.tolist()]
    if p[0] != [0, 0] or p[3] != [0, 0] or min(p[1] + p[2]) < 0:
        return None
    if pad.op_type == "PADV2" and len(pad.inputs) > 2 and pad.inputs[2] >= 0:
        value = graph.tensor(pad.inputs[2])
        if not value.is_constant or value.data.size != 1:
            return None
        fill = value.data.reshape(-1)[0]
        expected = (int(x.quant.zero_point[0]) if x.dtype == "int8" and x.quant is not None
                    and x.quant.zero_point else 0)
        if fill != expected:
            return None
    return (p[1][0], p[1][1], p[2][0], p[2][1])


def depthwise_as_conv(graph: Graph) -> Graph:
    """An int8 DEPTHWISE_CONV_2D over one input channel with a depth multiplier M > 1 is a
    CONV_2D with M output channels: every output channel reads the same single input
    channel, and both sum (input + offset) * weight over the window in int32 and requantize
    per channel alike. Its filter [1, KH, KW, M] is laid out once here as [M, KH, KW, 1] (a
    new constant; the original is no longer read, so it is not emitted) so the layer runs
    on the convolution's fast paths instead of the depthwise kernel's generic loop."""
    from .ir import Quantization, Tensor  # pylint: disable=import-outside-toplevel

    for op in graph.operators:
        if op.op_type != "DEPTHWISE_CONV_2D" or DEPTHWISE_AS_CONV in op.options:
            continue
        if len(op.inputs) < 2 or op.inputs[0] < 0 or op.inputs[1] < 0:
            continue
        x, w = graph.tensor(op.inputs[0]), graph.tensor(op.inputs[1])
        if (x.dtype != "int8" or w.dtype != "int8" or not w.is_constant or len(x.shape) != 4
                or len(w.shape) != 4 or x.shape[3] != 1 or w.shape[0] != 1 or w.shape[3] < 2
                or w.quant is None or not w.quant.scale):
            continue  # everything else keeps the depthwise lowering (and its checks)
        if len(w.quant.scale) > 1 and w.quant.axis != 3:
            continue
        q = w.quant
        conv_w = Tensor(index=len(graph.tensors), name=w.name + "/as_conv", dtype="int8",
                        shape=(w.shape[3], w.shape[1], w.shape[2], 1),
                        quant=Quantization(tuple(q.scale), tuple(q.zero_point), axis=0),
                        data=w.data.reshape(w.shape).transpose(3, 1, 2, 0).copy())
        graph.tensors.append(conv_w)
        op.inputs[1] = conv_w.index
        op.options[DEPTHWISE_AS_CONV] = True
    return graph


def fold_constants(graph: Graph) -> Graph:
    """Operators whose output can be computed exactly when converting (all the inputs they
    read are constants, or, like SHAPE, they read only static shapes) become constant
    tensors: the generated code holds the result and no kernel runs. Which operators and
    how: ops/data.py FOLDERS. Graph outputs keep their operator (a model's output is
    written by a kernel)."""
    from .ops.data import FOLDED_FROM, FOLDERS  # pylint: disable=import-outside-toplevel  (ops imports passes)

    kept = []
    outputs = set(graph.outputs)
    for op in graph.operators:
        fold = FOLDERS.get(op.op_type)
        if op.op_type in RESHAPE_LIKE:
            fold = _fold_reshape  # so a chain through a reshaped constant folds in one walk
        if fold is None or len(op.outputs) != 1 or op.outputs[0] in outputs:
            kept.append(op)
            continue
        value = fold(op, graph)
        if value is None:
            kept.append(op)
            continue
        dst = graph.tensor(op.outputs[0])
        dst.data = np.ascontiguousarray(value, dtype=numpy_dtype(dst.dtype)).reshape(dst.shape)
        setattr(dst, FOLDED_FROM, op.op_type)
    graph.operators = kept
    return graph


def _fold_reshape(op: Operator, graph: Graph):
    if not op.inputs or op.inputs[0] < 0:
        return None
    src, dst = graph.tensor(op.inputs[0]), graph.tensor(op.outputs[0])
    if not src.is_constant or src.nbytes != dst.nbytes or src.dtype != dst.dtype or _same_quant(src, dst) is False:
        return None
    return src.data


def run_all(graph: Graph, user_ops: Sequence[str] = ()) -> Graph:
    graph = drop_dead_operators(graph)  # folding validates: only what the outputs need
    graph = fold_constants(graph)
    graph = fold_reshapes(graph)
    graph = drop_dead_operators(graph)
    graph = data_movement_views(graph, user_ops)
    graph = fold_pad_into_conv(graph)
    graph = depthwise_as_conv(graph)
    return graph


__all__ = ["run_all", "fold_reshapes", "fold_constants", "drop_dead_operators", "fold_pad_into_conv",
           "depthwise_as_conv", "DEPTHWISE_AS_CONV", "RESHAPE_LIKE",
           "data_movement_views", "VIEW_CANDIDATES",
           "Operator"]
