"""Lowering of the reductions MEAN and SUM (int8, int16, float32), REDUCE_MAX, REDUCE_MIN (int8
and float32) and REDUCE_ALL (bool), as TensorFlow Lite Micro computes them.

Kernels: runtime/include/utensor/kernels/mean.hpp, reduce.hpp. int8 follows TFLite Micro's
QuantizedMeanOrSum, whose multiplier folds in 1/count (computed here exactly as it does at
run time). The tflite_micro this project tests against uses it for every int8 MEAN: older
TFLM releases had a truncating path for equal input and output quantization, which
test_ops_conv.py::test_mean_int8_equal_quantization shows is gone (it rounds).
"""

from ..ir import Graph, Operator
from ..quantization import quantize_multiplier
from . import KernelCall, kernel_call, register
from ._common import describe_dtypes, io_tensors, malformed, per_tensor, unsupported
from ._spatial import constant_ints

MAX_RANK = 5
MAX_REDUCED_AXES = 2  # TFLite Micro's kMaxNumberOfReducedAxis


def mean_multiplier(input_scale: float, output_scale: float, count: int):
    """(multiplier, shift) of QuantizedMeanOrSum for a mean over `count` elements."""
    mult, shift = quantize_multiplier(float(input_scale) / float(output_scale))
    extra = count.bit_length() - 1  # 63 - CountLeadingZeros(count)
    extra = min(extra, 32, 31 + shift)
    mult = (mult << extra) // count
    return int(mult), int(shift - extra)


def reduce_geometry(op: Operator, graph: Graph, x, y, axes_t, max_axes=None):
    """(MeanShape fields, elements reduced into each output) of a reduction of x over the
    constant axes (negative ones counted from the end, duplicates once), after checking the
    output's size; `max_axes` bounds the distinct axes (TFLite Micro's fixed arrays)."""
    rank = len(x.shape)
    if not 1 <= rank <= MAX_RANK:
        raise unsupported(op, graph, f"input rank {rank} is not supported (1 to {MAX_RANK}).")
    axes = []
    for a in constant_ints(op, graph, axes_t, "the axis input"):
        if not -rank <= a < rank:
            raise malformed(op, graph, f"axis {a} is out of range for a rank-{rank} input.")
        a = a + rank if a < 0 else a
        if a not in axes:
            axes.append(a)
    if max_axes is not None and len(axes) > max_axes:
        raise unsupported(op, graph, f"a reduction over {len(axes)} axes is not supported (TFLite "
                          f"Micro's {op.op_type} supports at most {max_axes}); split it in two.")
    keep = [d for i, d in enumerate(x.shape) if i not in axes]
    count = 1
    for a in axes:
        count *= x.shape[a]
    if y.num_elements != max(1, _prod(keep)) or count == 0:
        raise malformed(op, graph, f"output shape {list(y.shape)} does not match a reduction of "
                        f"{list(x.shape)} over axes {axes}.")
    pad = MAX_RANK - rank
    shape = dict(
        input_dims=[1] * pad + list(x.shape),
        reduce=[0] * pad + [1 if i in axes else 0 for i in range(rank)],
        output_count=y.num_elements,
        reduce_count=count,
    )
    return shape, count


def _same_dtypes(op: Operator, graph: Graph, x, y, int16: bool = False) -> None:
    if x.dtype != y.dtype or x.dtype not in ("int8", "float32") + (("int16",) if int16 else ()):
        raise unsupported(op, graph, f"dtypes input/output {describe_dtypes([x, y])} are not "
                          "supported; supported: int8/int8" + (", int16/int16 (16x8)" if int16 else "")
                          + " or float32/float32.")


def lower_mean(op: Operator, graph: Graph) -> KernelCall:
    (x, axes_t), (y,) = io_tensors(op, graph, 2, 2)
    _same_dtypes(op, graph, x, y, int16=True)
    shape, count = reduce_geometry(op, graph, x, y, axes_t, MAX_REDUCED_AXES)
    if x.dtype in ("int8", "int16"):
        in_scale, in_zp = per_tensor(op, graph, x, "input")
        out_scale, out_zp = per_tensor(op, graph, y, "output")
        mult, shift = mean_multiplier(in_scale, out_scale, count)
        # Scratch: one int32 sum per output element (mean_s8_scratch_bytes).
        return kernel_call("mean_s8" if x.dtype == "int8" else "mean_s16", "MeanS8Params",
                           dict(shape=shape, input_zero_point=in_zp, output_zero_point=out_zp,
                                multiplier=mult, shift=shift),
                           scratch_type="int32_t", scratch_bytes=4 * y.num_elements)
    return kernel_call("mean_f32", "MeanF32Params", dict(shape=shape))


def lower_sum(op: Operator, graph: Graph) -> KernelCall:
    """SUM. int8 (int16) is TFLite Micro's QuantizedMeanOrSum with compute_sum: mean_s8 (mean_s16) with the
    plain input/output scale multiplier (no 1/count folded in). TFLM resolves SUM's axes
    into a stack array of kMaxNumberOfReducedAxis entries, so more distinct axes are
    refused as for MEAN."""
    (x, axes_t), (y,) = io_tensors(op, graph, 2, 2)
    _same_dtypes(op, graph, x, y, int16=True)
    shape, _ = reduce_geometry(op, graph, x, y, axes_t, MAX_REDUCED_AXES)
    if x.dtype in ("int8", "int16"):
        in_scale, in_zp = per_tensor(op, graph, x, "input")
        out_scale, out_zp = per_tensor(op, graph, y, "output")
        mult, shift = quantize_multiplier(float(in_scale) / float(out_scale))
        return kernel_call("mean_s8" if x.dtype == "int8" else "mean_s16", "MeanS8Params",
                           dict(shape=shape, input_zero_point=in_zp, output_zero_point=out_zp,
                                multiplier=mult, shift=shift),
                           scratch_type="int32_t", scratch_bytes=4 * y.num_elements)
    return kernel_call("sum_f32", "ReduceF32Params", dict(shape=shape))


def lower_min_max(op: Operator, graph: Graph) -> KernelCall:
    """REDUCE_MAX, REDUCE_MIN: TFLM's ReduceGeneric (its axis scratch is sized by the axis
    tensor: any number of axes). int8 needs equal input and output scale and zero point,
    which TFLM checks at run time (and the converter produces)."""
    (x, axes_t), (y,) = io_tensors(op, graph, 2, 2)
    _same_dtypes(op, graph, x, y)
    shape, _ = reduce_geometry(op, graph, x, y, axes_t)
    name = "reduce_max" if op.op_type == "REDUCE_MAX" else "reduce_min"
    if x.dtype == "int8":
        in_scale, in_zp = per_tensor(op, graph, x, "input")
        out_scale, out_zp = per_tensor(op, graph, y, "output")
        if in_scale != out_scale or in_zp != out_zp:
            raise unsupported(op, graph, f"int8 input quantization (scale {in_scale}, zero point "
                              f"{in_zp}) differs from the output's (scale {out_scale}, zero point "
                              f"{out_zp}); TFLite Micro's {op.op_type} requires them equal.")
        return kernel_call(name + "_s8", "ReduceS8Params", dict(shape=shape))
    return kernel_call(name + "_f32", "ReduceF32Params", dict(shape=shape))


def lower_all(op: Operator, graph: Graph) -> KernelCall:
    """REDUCE_ALL: bool in and out, any axes (TFLM's ReduceGeneric with logical and)."""
    (x, axes_t), (y,) = io_tensors(op, graph, 2, 2)
    if x.dtype != "bool" or y.dtype != "bool":
        raise unsupported(op, graph, f"dtypes input/output {describe_dtypes([x, y])} are not "
                          "supported; supported: bool/bool.")
    shape, _ = reduce_geometry(op, graph, x, y, axes_t)
    return kernel_call("reduce_all_b8", "ReduceB8Params", dict(shape=shape))


def _prod(values):
    n = 1
    for v in values:
        n *= v
    return n


register("MEAN", lower_mean, dtypes=("int8", "float32", "int16"))
register("SUM", lower_sum, dtypes=("int8", "float32", "int16"))
register("REDUCE_MAX", lower_min_max)
register("REDUCE_MIN", lower_min_max)
register("REDUCE_ALL", lower_all, dtypes=("bool",))
