"""Lowering of LOG_SOFTMAX (float32) and L2_NORMALIZATION (int8, float32), over the last
axis, as TensorFlow Lite Micro computes them (kernels/normalization.hpp).

L2_NORMALIZATION follows TFLM's Prepare: rank <= 4, no fused activation, input and output
of one dtype. Its int8 kernel writes the output in 1/128ths with zero point 0 whatever the
output tensor's quantization says (the converter always gives it that one), so the bytes
match TFLM for any model it runs. LOG_SOFTMAX: float32; TFLM's int8 form (fixed-point
exp and log with output scale 16/256, zero point 127) is not implemented here yet and is
refused.
"""

import math

from ..ir import Graph, Operator
from . import KernelCall, kernel_call, register
from ._common import activation, describe_dtypes, unsupported
from ._dense import io_tensors, require_same_shape


def _rows(x):
    depth = int(x.shape[-1]) if len(x.shape) else 1
    return dict(outer_size=math.prod(int(d) for d in x.shape[:-1]), depth=depth)


def lower_log_softmax(op: Operator, graph: Graph) -> KernelCall:
    (x,), (y,) = io_tensors(op, graph, 1, 1)
    require_same_shape(op, graph, x, y)
    if (x.dtype, y.dtype) != ("float32", "float32"):
        raise unsupported(op, graph, f"dtypes input/output {describe_dtypes([x, y])} are not supported; "
                          "supported: float32 -> float32 (TFLite Micro's int8 LOG_SOFTMAX is not "
                          "implemented by utensor yet).")
    if len(x.shape) < 1:
        raise unsupported(op, graph, "a scalar input is not supported (rank >= 1).")
    return kernel_call("log_softmax_f32", "LogSoftmaxF32Params", _rows(x))


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


register("LOG_SOFTMAX", lower_log_softmax, dtypes=("float32",))
register("L2_NORMALIZATION", lower_l2_normalization)
