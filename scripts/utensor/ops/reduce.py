"""Lowering of MEAN (int8, int16 and float32), as TensorFlow Lite Micro computes it.

Kernel: runtime/include/utensor/kernels/mean.hpp. int8 follows TFLite Micro's
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


def lower_mean(op: Operator, graph: Graph) -> KernelCall:
    (x, axes_t), (y,) = io_tensors(op, graph, 2, 2)
    if x.dtype != y.dtype or x.dtype not in ("int8", "float32", "int16"):
        raise unsupported(op, graph, f"dtypes input/output {describe_dtypes([x, y])} are not "
                          "supported; supported: int8/int8, int16/int16 (16x8) or float32/float32.")
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
    if len(axes) > MAX_REDUCED_AXES:
        raise unsupported(op, graph, f"a mean over {len(axes)} axes is not supported (TFLite "
                          f"Micro supports at most {MAX_REDUCED_AXES}); split it into two MEANs.")
    keep = [d for i, d in enumerate(x.shape) if i not in axes]
    count = 1
    for a in axes:
        count *= x.shape[a]
    if y.num_elements != max(1, _prod(keep)) or count == 0:
        raise malformed(op, graph, f"output shape {list(y.shape)} does not match a mean of "
                        f"{list(x.shape)} over axes {axes}.")
    pad = MAX_RANK - rank
    shape = dict(
        input_dims=[1] * pad + list(x.shape),
        reduce=[0] * pad + [1 if i in axes else 0 for i in range(rank)],
        output_count=y.num_elements,
        reduce_count=count,
    )
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


def _prod(values):
    n = 1
    for v in values:
        n *= v
    return n


register("MEAN", lower_mean, dtypes=("int8", "float32", "int16"))
