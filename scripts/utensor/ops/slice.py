"""Lowering of STRIDED_SLICE and SLICE (int8, int16, float32, int32, bool; rank <= 5).

Kernel: runtime/include/utensor/kernels/strided_slice.hpp. begin/end/strides and the
begin, end, shrink-axis masks and the `offset` option are resolved here exactly as
TFLite's strided_slice_logic.h does (StridedSliceStartForAxis / StridedSliceEndForAxis);
the kernel only walks the resulting affine box.
"""

from ..ir import Graph, Operator
from . import KernelCall, kernel_call, register
from ._common import describe_dtypes, io_tensors, malformed, unsupported
from ._spatial import constant_ints

SUFFIX = {"int8": "s8", "float32": "f32", "int32": "i32", "int16": "s16", "bool": "b8"}
MAX_RANK = 5


def _clamp(v: int, lo: int, hi: int) -> int:
    return hi if v > hi else (lo if v < lo else v)


def resolve_axis(size: int, begin: int, end: int, stride: int, begin_masked: bool,
                 end_masked: bool, shrink: bool, offset: bool):
    """(start, count) along one axis, as TFLite iterates it."""
    start = begin + size if begin < 0 else begin
    start = _clamp(start, 0, size) if stride > 0 else _clamp(start, -1, size - 1)
    if begin_masked:
        start = 0 if stride > 0 else size - 1
    if shrink:
        stop = start if start >= size else start + 1
    else:
        stop = end + start if offset else end
        stop = stop + size if stop < 0 else stop
        stop = _clamp(stop, 0, size) if stride > 0 else _clamp(stop, -1, size - 1)
        if end_masked:
            stop = size if stride > 0 else -1
    if stride > 0:
        count = max(0, -(-(stop - start) // stride))
    else:
        count = max(0, -(-(start - stop) // -stride))
    return start, count


def _check_io(op: Operator, graph: Graph, x, y) -> int:
    """The dtypes and rank the strided-slice kernel takes; returns the rank."""
    if x.dtype != y.dtype or x.dtype not in SUFFIX:
        raise unsupported(op, graph, f"dtypes input/output {describe_dtypes([x, y])} are not "
                          "supported; supported: int8, int16, float32, int32 or bool (same in and out).")
    rank = len(x.shape)
    if not 1 <= rank <= MAX_RANK:
        raise unsupported(op, graph, f"input rank {rank} is not supported (1 to {MAX_RANK}).")
    return rank


def lower_strided_slice(op: Operator, graph: Graph) -> KernelCall:
    ins, (y,) = io_tensors(op, graph, 4, 4)
    x, begin_t, end_t, strides_t = ins
    rank = _check_io(op, graph, x, y)
    for name in ("ellipsis_mask", "new_axis_mask"):
        if int(op.options.get(name, 0) or 0):
            raise unsupported(op, graph, f"option {name} is not supported (TFLite Micro does not "
                              "support it either); index the axes explicitly.")
    begin = constant_ints(op, graph, begin_t, "the begin input")
    end = constant_ints(op, graph, end_t, "the end input")
    strides = constant_ints(op, graph, strides_t, "the strides input")
    if not (len(begin) == len(end) == len(strides) <= rank):
        raise malformed(op, graph, "begin, end and strides must have one value per axis.")
    if any(s == 0 for s in strides):
        raise malformed(op, graph, "a stride of 0 is invalid.")
    n = len(begin)
    begin_mask = int(op.options.get("begin_mask", 0) or 0)
    end_mask = int(op.options.get("end_mask", 0) or 0)
    shrink_mask = int(op.options.get("shrink_axis_mask", 0) or 0)
    offset = bool(op.options.get("offset", False))
    # Axes beyond the given indices are taken whole (TFLite pads the index lists).
    in_strides = [1] * rank
    for d in range(rank - 2, -1, -1):
        in_strides[d] = in_strides[d + 1] * x.shape[d + 1]
    start_offset = 0
    counts, steps, kept = [], [], []
    for d in range(rank):
        if d < n:
            start, count = resolve_axis(x.shape[d], begin[d], end[d], strides[d],
                                        bool(begin_mask >> d & 1), bool(end_mask >> d & 1),
                                        bool(shrink_mask >> d & 1), offset)
            stride = strides[d]
        else:
            start, count, stride = 0, x.shape[d], 1
        if count > 0:
            start_offset += start * in_strides[d]
        counts.append(count)
        steps.append(stride * in_strides[d])
        if not (d < n and shrink_mask >> d & 1):
            kept.append(count)
    total = 1
    for c in counts:
        total *= c
    if tuple(y.shape) != tuple(kept) and not (total == y.num_elements and total == 0):
        raise malformed(op, graph, f"output shape {list(y.shape)} differs from the sliced shape "
                        f"{kept}.")
    pad = MAX_RANK - rank
    return kernel_call(f"strided_slice_{SUFFIX[x.dtype]}", "StridedSliceParams",
                       dict(output_dims=[1] * pad + counts, input_steps=[0] * pad + steps,
                            start=start_offset if total else 0))


def lower_slice(op: Operator, graph: Graph) -> KernelCall:
    """SLICE(input, begin, size) is the stride-1 box [begin, begin + size) (size -1: to the
    end), which the strided-slice kernel walks."""
    ins, (y,) = io_tensors(op, graph, 3, 3)
    x, begin_t, size_t = ins
    rank = _check_io(op, graph, x, y)
    begin = constant_ints(op, graph, begin_t, "the begin input")
    size = constant_ints(op, graph, size_t, "the size input")
    if not len(begin) == len(size) == rank:
        raise malformed(op, graph, "begin and size must have one value per axis.")
    counts = [x.shape[d] - begin[d] if size[d] == -1 else size[d] for d in range(rank)]
    if any(b < 0 or c < 0 or b + c > x.shape[d] for d, (b, c) in enumerate(zip(begin, counts))):
        raise malformed(op, graph, f"begin {begin} and size {size} leave the input shape {list(x.shape)}.")
    if list(y.shape) != counts:
        raise malformed(op, graph, f"output shape {list(y.shape)} differs from the slice {counts}.")
    in_strides = [1] * rank
    for d in range(rank - 2, -1, -1):
        in_strides[d] = in_strides[d + 1] * x.shape[d + 1]
    start = sum(b * s for b, s in zip(begin, in_strides)) if all(counts) else 0
    pad = MAX_RANK - rank
    return kernel_call(f"strided_slice_{SUFFIX[x.dtype]}", "StridedSliceParams",
                       dict(output_dims=[1] * pad + counts, input_steps=[0] * pad + in_strides, start=start))


register("STRIDED_SLICE", lower_strided_slice, dtypes=("int8", "float32", "int16", "bool"))
register("SLICE", lower_slice, dtypes=("int8", "float32", "int32", "int16", "bool"))
