"""Lowering of CUMSUM (int8 and float32), as TensorFlow Lite Micro computes it.

Kernel: runtime/include/utensor/kernels/cumsum.hpp. TFLM's Prepare is followed: float32 or
int8 (not int32: TFLM's CUMSUM refuses it), an int32 axis of one element (here: constant),
input and output of one dtype and shape. int8 uses ADD_N's rescaling (ops/add_n.py): the
same left shift 20, multipliers and starting value.
"""

import math

from .. import kernel_params
from ..ir import Graph, Operator
from . import KernelCall, kernel_call, register
from ._common import describe_dtypes, malformed, per_tensor, unsupported
from ._dense import io_tensors, require_same_shape
from ._spatial import constant_ints
from .add_n import int8_rescaling


def lower_cumsum(op: Operator, graph: Graph) -> KernelCall:
    (x, axis_t), (y,) = io_tensors(op, graph, 2, 2)
    require_same_shape(op, graph, x, y)
    if x.dtype != y.dtype or x.dtype not in ("int8", "float32"):
        raise unsupported(op, graph, f"dtypes input/output {describe_dtypes([x, y])} are not supported; "
                          "supported: int8 or float32 (what TFLite Micro's CUMSUM takes).")
    if axis_t is None or axis_t.dtype != "int32":
        raise unsupported(op, graph, "the axis must be a constant int32 tensor.")
    axes = constant_ints(op, graph, axis_t, "the axis input")
    rank = len(x.shape)
    if len(axes) != 1 or rank < 1:
        raise malformed(op, graph, f"axis {axes} must be one value for a tensor of rank >= 1.")
    axis = axes[0] + rank if axes[0] < 0 else axes[0]
    if not 0 <= axis < rank:
        raise malformed(op, graph, f"axis {axes[0]} is out of range for a rank-{rank} input.")
    fields = dict(before=math.prod(x.shape[:axis]), depth=int(x.shape[axis]),
                  after=math.prod(x.shape[axis + 1:]),
                  exclusive=int(bool(op.options.get("exclusive", False))),
                  reverse=int(bool(op.options.get("reverse", False))))
    if x.dtype == "float32":
        return kernel_call("cumsum_f32", "CumSumF32Params", fields)
    si, zi = per_tensor(op, graph, x, "input")
    so, zo = per_tensor(op, graph, y, "output")
    table, initial, mult, shift = int8_rescaling(si, zi, so)
    return kernel_call("cumsum_s8", "CumSumS8Params", dict(
        fields, input_table=kernel_params.ConstArray("int32_t", table, "each input byte rescaled, indexed as uint8_t"),
        initial=initial, output_multiplier=mult, output_shift=shift, output_offset=zo))


register("CUMSUM", lower_cumsum)
