"""Lowering of LOG_SOFTMAX (float32) and L2_NORMALIZATION (int8, float32), over the last
axis, as TensorFlow Lite Micro computes them (kernels/normalization.hpp).

L2_NORMALIZATION follows TFLM's Prepare: rank <= 4, no fused activation, input and output
of one dtype. Its int8 kernel writes the output in 1/128ths with zero point 0 whatever the
output tensor's quantization says (the converter always gives it that one), so the bytes
match TFLM for any model it runs. LOG_SOFTMAX: float32, and int8 as TFLM's
LogSoftmaxQuantized (fixed-point exp and log, output scale 16/256 and zero point 127, which
TFLM requires exactly): the parameters of its Prepare (PreprocessLogSoftmaxScalingExp with
beta 1 and 5 integer bits, CalculateInputRadius) are computed here.
"""

import math

from ..ir import Graph, Operator
from ..quantization import f32, quantize_multiplier
from . import KernelCall, kernel_call, register
from ._common import activation, describe_dtypes, per_tensor, unsupported
from ._dense import io_tensors, require_same_shape
from .softmax import softmax_input_scaling


def _rows(x):
    depth = int(x.shape[-1]) if len(x.shape) else 1
    return dict(outer_size=math.prod(int(d) for d in x.shape[:-1]), depth=depth)


def lower_log_softmax(op: Operator, graph: Graph) -> KernelCall:
    (x,), (y,) = io_tensors(op, graph, 1, 1)
    require_same_shape(op, graph, x, y)
    if (x.dtype, y.dtype) not in (("float32", "float32"), ("int8", "int8")):
        raise unsupported(op, graph, f"dtypes input/output {describe_dtypes([x, y])} are not supported; "
                          "supported: float32 -> float32 or int8 -> int8 (what TFLite Micro's "
                          "LOG_SOFTMAX kernel takes).")
    if len(x.shape) < 1:
        raise unsupported(op, graph, "a scalar input is not supported (rank >= 1).")
    if x.dtype == "int8":
        return _lower_log_softmax_s8(op, graph, x, y)
    return kernel_call("log_softmax_f32", "LogSoftmaxF32Params", _rows(x))


# Q12.19 holds a sum of up to 4095 exps of at most 1.0 each (2^19 raw); TFLM's int32 sum
# of 4096 equal maxima would overflow.
MAX_LOG_SOFTMAX_DEPTH = 4095


def _lower_log_softmax_s8(op: Operator, graph: Graph, x, y) -> KernelCall:
    si, _ = per_tensor(op, graph, x, "input")  # differences from the row maximum: no zero point
    so, zo = per_tensor(op, graph, y, "output")
    if float(f32(so)) != 16.0 / 256 or zo != 127:
        raise unsupported(op, graph, f"output '{y.name}' has scale {so:g} and zero point {zo}; int8 "
                          "LOG_SOFTMAX needs scale 16/256 and zero point 127 exactly, as TFLite "
                          "Micro requires and the TFLite converter produces.")
    rows = _rows(x)
    if rows["depth"] > MAX_LOG_SOFTMAX_DEPTH:
        raise unsupported(op, graph, f"the last dimension is {rows['depth']}; int8 LOG_SOFTMAX sums "
                          f"at most {MAX_LOG_SOFTMAX_DEPTH} exps in TFLite's Q12.19 accumulator "
                          "(more can overflow it).")
    scaling = softmax_input_scaling(1.0, si)
    if scaling is None or scaling[1] < 1:
        raise unsupported(op, graph, f"input scale {si:g} is too small for TFLite's int8 LOG_SOFTMAX "
                          "(its input multiplier must be above one with a left shift >= 1).")
    mult, left_shift, diff_min = scaling
    divisor, divisor_shift = quantize_multiplier((1 << (31 - left_shift)) / float(mult))
    if divisor_shift > 0:
        raise unsupported(op, graph, f"input scale {si:g}: TFLite's reverse scaling divisor is not "
                          "below one (TFLite Micro's Prepare aborts on it).")
    return kernel_call("log_softmax_s8", "LogSoftmaxS8Params",
                       dict(rows, input_multiplier=mult, input_left_shift=left_shift,
                            reverse_scaling_divisor=divisor, reverse_scaling_shift=divisor_shift,
                            diff_min=diff_min))


def lower_l2_normalization(op: Operator, graph: Graph) -> KernelCall:
    (x,), (y,) = io_tensors(op, graph, 1, 1)
    require_same_shape(op, graph, x, y)
    if not 1 <= len(x.shape) <= 4:
        raise unsupported(op, graph, f"input rank {len(x.shape)} is not supported (1 to 4, as "
                          "TFLite Micro).")
    if activation(op, graph) != "NONE":
        raise unsupported(op, graph, f"fused activation {activation(op, graph)} is not supported "
                          "(TFLite Micro's L2_NORMALIZATION takes none).")
    if (x.dtype, y.dtype) == ("float32", "float32"):
        return kernel_call("l2_normalization_f32", "L2NormF32Params", _rows(x), inplace=(0, 0))
    if (x.dtype, y.dtype) == ("int8", "int8"):
        zp = int(x.quant.zero_point[0]) if x.quant is not None and x.quant.zero_point else 0
        if x.quant is not None and len(x.quant.scale) > 1:
            raise unsupported(op, graph, "a per-channel quantized input is not supported.")
        return kernel_call("l2_normalization_s8", "L2NormS8Params", dict(_rows(x), input_zero_point=zp))
    raise unsupported(op, graph, f"dtypes input/output {describe_dtypes([x, y])} are not supported; "
                      "supported: int8 -> int8 or float32 -> float32.")


register("LOG_SOFTMAX", lower_log_softmax, dtypes=("int8", "float32"))
register("L2_NORMALIZATION", lower_l2_normalization)
