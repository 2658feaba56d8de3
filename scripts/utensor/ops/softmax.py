"""Lowering of SOFTMAX (int8 -> int8, int8 -> int16 and float32; int16 -> int16 in _lut16.py).

Kernel: runtime/include/utensor/kernels/softmax.hpp. int8 parameters as TFLite Micro's
CalculateSoftmaxParams: PreprocessSoftmaxScaling(beta, input_scale, 5) and
diff_min = -CalculateInputRadius(5, left_shift); the output must be scale 1/256, zero
point -128 (what the TFLite converter always produces). int8 -> int16, TFLite Micro's other
int8 form (CalculateSoftmaxParams: output zero point -32768, scale 1/65536 within 0.1%), is
the same arithmetic with the last shift 16 bits shorter (kernel softmax_s8_s16).

An int8 row's differences from its maximum are the 256 values 0..-255, so for tensors of
at least 256 elements the converter evaluates TFLite's fixed-point exp of each once
(`exp_table`, 1 KiB of flash) and the kernel looks them up; smaller tensors compute each,
since a table would cost more flash than the lookups save.
"""

import math

from ..ir import Graph, Operator
from .. import kernel_params
from ..quantization import f32, multiply_by_quantized_multiplier, quantize_multiplier
from . import KernelCall, kernel_call, register
from ._gemmlowp import exp_on_negative_values
from ._common import describe_dtypes, malformed, per_tensor, unsupported
from ._dense import float_option, io_tensors, require_same_shape
from ._lut16 import lower_softmax_s16

SCALED_DIFF_INTEGER_BITS = 5
EXP_TABLE_MIN_ELEMENTS = 256


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
    if x.dtype != "int8" or y.dtype not in ("int8", "int16"):
        raise unsupported(op, graph, f"dtypes input/output {describe_dtypes([x, y])} are not "
                          "supported; supported: int8 -> int8, int8 -> int16, int16 -> int16 or "
                          "float32 -> float32.")
    in_scale, _ = per_tensor(op, graph, x, "input")
    out_scale, out_zp = per_tensor(op, graph, y, "output")
    if y.dtype == "int16":
        # TF_LITE_ENSURE_NEAR in float: |scale - 1/65536| <= 0.001 / 65536.
        if out_zp != -32768 or not abs(f32(out_scale) - f32(1.0 / 65536)) <= f32(0.001 / 65536):
            raise unsupported(op, graph, f"output '{y.name}' has scale {out_scale} and zero point "
                              f"{out_zp}; SOFTMAX int8 -> int16 needs scale 1/65536 (within 0.1%) and "
                              "zero point -32768, as TFLite Micro requires.")
    elif out_zp != -128 or float(f32(out_scale)) != 1.0 / 256:
        raise unsupported(op, graph, f"output '{y.name}' has scale {out_scale} and zero point "
                          f"{out_zp}; int8 SOFTMAX needs scale 1/256 and zero point -128 (what "
                          "the TFLite converter produces).")
    scaling = softmax_input_scaling(beta, in_scale)
    if scaling is None:
        raise unsupported(op, graph, f"beta {beta} times the input scale {in_scale} is too small "
                          "for TFLite's int8 softmax (the scaled multiplier is below one).")
    mult, left_shift, diff_min = scaling
    table = None
    if x.num_elements >= EXP_TABLE_MIN_ELEMENTS:
        table = kernel_params.ConstArray(
            "int32_t", softmax_exp_table(mult, left_shift, diff_min),
            "exp of each difference 0..-255 from the row maximum, Q0.31 (0 below diff_min).")
    return kernel_call("softmax_s8" if y.dtype == "int8" else "softmax_s8_s16", "SoftmaxS8Params",
                       dict(outer_size=outer, depth=depth, input_multiplier=mult,
                            input_left_shift=left_shift, diff_min=diff_min, exp_table=table))


def softmax_exp_table(mult: int, left_shift: int, diff_min: int) -> list:
    """Entry k: TFLite's ExpOnNegativeValues<5>(MultiplyByQuantizedMultiplierGreaterThanOne(-k))
    for -k >= diff_min, else 0 (such a difference contributes nothing and outputs -128)."""
    return [exp_on_negative_values(multiply_by_quantized_multiplier(-k, mult, left_shift),
                                   SCALED_DIFF_INTEGER_BITS) if -k >= diff_min else 0
            for k in range(256)]


register("SOFTMAX", lower_softmax, dtypes=("int8", "float32", "int16"))
