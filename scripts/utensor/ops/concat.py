"""Lowering of CONCATENATION (int8, float32, int32).

Kernel: runtime/include/utensor/kernels/concatenation.hpp. Like TensorFlow Lite Micro, int8
inputs are copied without requantization (the TFLite converter gives them the output's
quantization), and a fused activation is not supported.
"""

from ..ir import Graph, Operator
from .. import kernel_params
from . import KernelCall, register
from ._common import describe_dtypes, malformed, unsupported

SUFFIX = {"int8": "s8", "float32": "f32", "int32": "i32"}


def lower_concatenation(op: Operator, graph: Graph) -> KernelCall:
    if not op.inputs or len(op.outputs) != 1 or any(i < 0 for i in op.inputs):
        raise malformed(op, graph, "expects one or more inputs and one output.")
    xs = [graph.tensor(i) for i in op.inputs]
    y = graph.tensor(op.outputs[0])
    if y.dtype not in SUFFIX or any(x.dtype != y.dtype for x in xs):
        raise unsupported(op, graph, f"dtypes {describe_dtypes(xs + [y])} are not supported; "
                          "supported: all int8, all float32 or all int32.")
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


register("CONCATENATION", lower_concatenation)
