"""Lowering of ARG_MAX, ARG_MIN and RESIZE_NEAREST_NEIGHBOR (kernels/gather.hpp).

ARG_MAX / ARG_MIN: int8 and float32 in, int32 out (TFLite Micro's kernel fails at
invoke on an int64 output, "Only int32_t are supported currently"), the axis a constant; like
TFLite Micro the stored values are compared (int8 needs no rescaling to find an index) and
the first of equal values wins.
RESIZE_NEAREST_NEIGHBOR: int8, int16 and float32; which input row and column every output one
reads is computed here with TFLite Micro's GetNearestNeighbor in float32 arithmetic
(align_corners, half_pixel_centers), so the kernel only copies pixels.
"""

import math

import numpy as np

from .. import kernel_params
from ..ir import Graph, Operator
from ..quantization import round_half_away
from . import KernelCall, kernel_call, register
from ._common import describe_dtypes, io_tensors, malformed, unsupported
from ._spatial import constant_ints

# int32 input is refused as tflite_micro refuses it ("Only float32, uint8_t and int8_t are
# supported currently, got INT32"). uint8 too: despite that message, tflite_micro fails the
# invoke on UINT8 input ("... got UINT8").
ARG_SUFFIX = {"int8": "s8", "float32": "f32"}
OUT_SUFFIX = {"int32": "i32"}


def lower_arg_min_max(op: Operator, graph: Graph) -> KernelCall:
    (x, axis_t), (y,) = io_tensors(op, graph, 2, 2)
    if y.dtype == "int64":
        raise unsupported(op, graph, "output dtype int64 is not supported: TFLite Micro's kernel writes "
                          "int32 only (it fails at invoke on int64); use output_type int32.")
    if x.dtype not in ARG_SUFFIX or y.dtype not in OUT_SUFFIX:
        raise unsupported(op, graph, f"dtypes input/output {describe_dtypes([x, y])} are not "
                          "supported; supported: int8 or float32 in, int32 out (what TFLite "
                          f"Micro's {op.op_type} runs).")
    (axis,) = constant_ints(op, graph, axis_t, "the axis input")
    rank = len(x.shape)
    if not -rank <= axis < rank:
        raise malformed(op, graph, f"axis {axis} is out of range for rank {rank}.")
    axis = axis + rank if axis < 0 else axis
    expected = list(x.shape[:axis]) + list(x.shape[axis + 1:])
    if list(y.shape) != expected:
        raise malformed(op, graph, f"output shape {list(y.shape)} differs from {expected}.")
    kind = "max" if op.op_type == "ARG_MAX" else "min"
    return kernel_call(f"arg_{kind}_{ARG_SUFFIX[x.dtype]}_{OUT_SUFFIX[y.dtype]}", "ArgMinMaxParams",
                       dict(outer_size=math.prod(x.shape[:axis]), axis_size=int(x.shape[axis]),
                            inner_size=math.prod(x.shape[axis + 1:])))


def nearest_index(out_index: int, in_size: int, out_size: int, align_corners: bool,
                  half_pixel_centers: bool) -> int:
    """TFLite Micro's GetNearestNeighbor, in its float32 arithmetic."""
    f32 = np.float32
    if align_corners and out_size > 1:
        scale = f32(in_size - 1) / f32(out_size - 1)
    else:
        scale = f32(in_size) / f32(out_size)
    offset = f32(0.5) if half_pixel_centers else f32(0.0)
    value = (f32(out_index) + offset) * scale
    index = int(round_half_away(float(value))) if align_corners else int(math.floor(float(value)))
    index = min(index, in_size - 1)
    return max(0, index) if half_pixel_centers else index


NEAREST_SUFFIX = {"int8": "s8", "int16": "s16", "float32": "f32"}


def lower_resize_nearest(op: Operator, graph: Graph) -> KernelCall:
    (x, size_t), (y,) = io_tensors(op, graph, 2, 2)
    if x.dtype != y.dtype or x.dtype not in NEAREST_SUFFIX:
        raise unsupported(op, graph, f"dtypes input/output {describe_dtypes([x, y])} are not "
                          "supported; supported: int8, int16 or float32 (same in and out).")
    if len(x.shape) != 4:
        raise unsupported(op, graph, f"input rank {len(x.shape)} is not supported (NHWC, rank 4).")
    out_h, out_w = constant_ints(op, graph, size_t, "the size input")
    n, in_h, in_w, c = (int(d) for d in x.shape)
    if list(y.shape) != [n, out_h, out_w, c]:
        raise malformed(op, graph, f"output shape {list(y.shape)} differs from {[n, out_h, out_w, c]}.")
    align = bool(op.options.get("align_corners", False))
    half = bool(op.options.get("half_pixel_centers", False))
    rows = [nearest_index(i, in_h, out_h, align, half) for i in range(out_h)]
    cols = [nearest_index(i, in_w, out_w, align, half) for i in range(out_w)]
    suffix = NEAREST_SUFFIX[x.dtype]
    return kernel_call(f"resize_nearest_{suffix}", "ResizeNearestParams",
                       dict(batches=n, input_height=in_h, input_width=in_w, output_height=out_h,
                            output_width=out_w, channels=c,
                            rows=kernel_params.ConstArray("int32_t", rows, "the input row of each output row"),
                            cols=kernel_params.ConstArray("int32_t", cols, "the input column of each output column")))


register("ARG_MAX", lower_arg_min_max, dtypes=("int8", "float32"))
register("ARG_MIN", lower_arg_min_max, dtypes=("int8", "float32"))
register("RESIZE_NEAREST_NEIGHBOR", lower_resize_nearest, dtypes=tuple(NEAREST_SUFFIX))
