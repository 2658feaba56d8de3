"""Lowering of SOFTMAX (int8 -> int8 and float32; int16 -> int16 in _lut16.py).

Kernel: runtime/include/utensor/kernels/softmax.hpp. int8 parameters as TFLite Micro's
CalculateSoftmaxParams: PreprocessSoftmaxScaling(beta, input_scale, 5) and
diff_min = -CalculateInputRadius(5, left_shift); the output must be scale 1/256, zero
point -128 (what the TFLite converter always produces).
"""

import math

from ..ir import Graph, Operator
from ..quantization import f32, quantize_multiplier
from . import KernelCall, kernel_call, register
from ._common import describe_dtypes, malformed, per_tensor, unsupported
from ._dense import float_option, io_tensors, require_same_shape
from ._lut16 import lower_softmax_s16

SCALED_DIFF_INTEGER_BITS = 5


def softmax_input_scaling(beta: float, input_scale: float):
    """(input_multiplier, input_left_shift, diff_min) as TFLite's PreprocessSoftmaxScaling
    and CalculateInputRadius, or None when the multiplier is below one (TFLite aborts)."""
    real = min(float(f32(beta)) * float(f32(input_scale)) * (1 << (31 - SCALED_DIFF_INTEGER_BITS)),
               (1 << 31) - 1.0)
    if not real > 1.0:
        return None
    mult, left_shift = quantize_multiplier(real)
    if left_shift < 0:
        return None
    radius = math.floor(((1 << SCALED_DIFF_INTEGER_BITS) - 1) * (1 << (31 - SCALED_DIFF_INTEGER_BITS))
                        / (1 << left_shift))
    return mult, left_shift, -int(radius)


def lower_softmax(op: Operator, graph: Graph) -> KernelCall:
    (x,), (y,) = io_tensors(op, graph, 1, 1)
    require_same_shape(op, graph, x, y)
    if not x.shape:
        raise malformed(op, graph, f"input '{x.name}' is a scalar; SOFTMAX needs at least 1 dimension.")
    depth = int(x.shape[-1])
    outer = x.num_elements // depth if depth else 0
    beta = float_option(op, graph, "beta", 1.0)
    if (x.dtype, y.dtype) == ("float32", "float32"):
        return kernel_call("softmax_f32", "SoftmaxF32Params",
                           dict(outer_size=outer, depth=depth, beta=beta), inplace=(0, 0))
    if (x.dtype, y.dtype) == ("int16", "int16"):
        return lower_softmax_s16(op, graph, x, y, beta)
    if (x.dtype, y.dtype) != ("int8", "int8"):
        raise unsupported(op, graph, f"dtypes input/output {describe_dtypes([x, y])} are not "
                          "supported; supported: int8 -> int8, int16 -> int16 or float32 -> float32.")
    in_scale, _ = per_tensor(op, graph, x, "input")
    out_scale, out_zp = per_tensor(op, graph, y, "output")
    if out_zp != -128 or float(f32(out_scale)) != 1.0 / 256:
        raise unsupported(op, graph, f"output '{y.name}' has scale {out_scale} and zero point "
                          f"{out_zp}; int8 SOFTMAX needs scale 1/256 and zero point -128 (what "
                          "the TFLite converter produces).")
    scaling = softmax_input_scaling(beta, in_scale)
    if scaling is None:
        raise unsupported(op, graph, f"beta {beta} times the input scale {in_scale} is too small "
                          "for TFLite's int8 softmax (the scaled multiplier is below one).")
    mult, left_shift, diff_min = scaling
    return kernel_call("softmax_s8", "SoftmaxS8Params",
                       dict(outer_size=outer, depth=depth, input_multiplier=mult,
                            input_left_shift=left_shift, diff_min=diff_min))


register("SOFTMAX", lower_softmax, dtypes=("int8", "float32", "int16"))
