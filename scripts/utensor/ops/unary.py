"""Lowering of the elementwise math operators of one tensor: ABS, NEG, SQRT, RSQRT,
SQUARE, EXP, LOG, SIN, COS, FLOOR, CEIL, ROUND.

float32: kernels/unary.hpp, the functions TFLite Micro applies. int8 (ABS and RSQRT, the
ones of these TFLite Micro's kernels take in int8; RSQRT: rsqrt_s8_fn): like the activations, TFLM's elementwise Eval is
evaluated here for all 256 inputs (elementwise.cc AbsEvalQuantized: |x - input zero
point|, rescaled by input scale / output scale when they differ, plus the output zero
point, clamped) and the runtime looks the result up. TFLite Micro's int8 RSQRT fails the
invocation on an input below the input zero point; unless that zero point is -128 (no int8
is below it), the lookup is rsqrt_s8, which returns invalid_argument there, so invoke() fails
as TFLM's does. int16 ABS (zero points 0, as TFLM requires): the same arithmetic per element
(kernels/unary.hpp abs_s16).
"""

import math

from .. import kernel_params
from ..ir import Graph, Operator
from ..quantization import f32, multiply_by_quantized_multiplier, quantize_multiplier
from . import KernelCall, kernel_call, register
from ._common import describe_dtypes, per_tensor, unsupported
from ._dense import io_tensors, require_same_shape
from ._inv_sqrt import inv_sqrt_multiplier_exp
from ._s16 import zero_point_scale
from .activations import _clamp8, _table

# op type -> the float32 kernel (kernels/unary.hpp UTENSOR_UNARY_F32_LIST).
FLOAT_KERNELS = {
    "ABS": "abs_f32", "NEG": "neg_f32", "SQRT": "sqrt_f32", "RSQRT": "rsqrt_f32",
    "SQUARE": "square_f32", "EXP": "exp_f32", "LOG": "log_f32", "SIN": "sin_f32",
    "COS": "cos_f32", "FLOOR": "floor_f32", "CEIL": "ceil_f32", "ROUND": "round_f32",
}
INT8_OPS = {"ABS", "RSQRT"}


def abs_s8_fn(si, zi, so, zo):
    """TFLM's AbsEvalQuantized<int8_t> with its Prepare: rescale only when the scales differ,
    the multiplier from the float quotient of the scales."""
    needs_rescale = float(f32(si)) != float(f32(so))
    mult, shift = quantize_multiplier(float(f32(f32(si) / f32(so)))) if needs_rescale else (0, 0)

    def fn(x):
        value = abs(x - zi)
        if not needs_rescale:
            return _clamp8(value + zo)
        return _clamp8(multiply_by_quantized_multiplier(value, mult, shift) + zo)
    return fn


def rsqrt_s8_fn(si, zi, so, zo):
    """TFLM's RsqrtEvalQuantized<int8_t> with its Prepare (SetRsqrtOutputMultiplier: 1 /
    (sqrt(input scale) * output scale) in double). TFLM fails the whole invoke for an input
    below the zero point: the kernel refuses those (their entries here, 127, are never read)."""
    mult, shift = quantize_multiplier(1.0 / (math.sqrt(float(f32(si))) * float(f32(so))))
    k_shift = 20

    def fn(x):
        value = x - zi
        if value <= 0:
            return 127
        inv_mult, inv_shift = inv_sqrt_multiplier_exp(value, -1)
        data = multiply_by_quantized_multiplier(1, inv_mult, inv_shift + k_shift)
        return _clamp8(multiply_by_quantized_multiplier(data, mult, shift - k_shift) + zo)
    return fn


INT8_TABLES = {"ABS": abs_s8_fn, "RSQRT": rsqrt_s8_fn}


def _lower(op: Operator, graph: Graph) -> KernelCall:
    (x,), (y,) = io_tensors(op, graph, 1, 1)
    require_same_shape(op, graph, x, y)
    if (x.dtype, y.dtype) == ("float32", "float32"):
        return kernel_call(FLOAT_KERNELS[op.op_type], "UnaryF32Params", dict(size=x.num_elements),
                           inplace=(0, 0))
    if op.op_type in INT8_OPS and (x.dtype, y.dtype) == ("int8", "int8"):
        si, zi = per_tensor(op, graph, x, "input")
        so, zo = per_tensor(op, graph, y, "output")
        table = kernel_params.ConstArray(
            "int8_t", _table(INT8_TABLES[op.op_type](si, zi, so, zo)),
            f"{op.op_type} of every int8 input, indexed by the input byte as uint8_t.")
        if op.op_type == "RSQRT" and zi > -128:
            return kernel_call("rsqrt_s8", "RsqrtS8Params",
                               dict(size=x.num_elements, table=table, input_min=zi),
                               inplace=(0, 0), returns_status=True)
        return kernel_call("lookup_s8", "LookupS8Params", dict(size=x.num_elements, table=table),
                           inplace=(0, 0))
    if op.op_type == "ABS" and (x.dtype, y.dtype) == ("int16", "int16"):
        si = zero_point_scale(op, graph, x, "input")
        so = zero_point_scale(op, graph, y, "output")
        rescale = float(f32(si)) != float(f32(so))
        mult, shift = quantize_multiplier(float(f32(f32(si) / f32(so)))) if rescale else (0, 0)
        return kernel_call("abs_s16", "AbsS16Params",
                           dict(size=x.num_elements, rescale=int(rescale), multiplier=mult, shift=shift),
                           inplace=(0, 0))
    supported = "int8 -> int8 or float32 -> float32" if op.op_type in INT8_OPS else "float32 -> float32"
    if op.op_type == "ABS":
        supported = "int8 -> int8, int16 -> int16 (zero points 0) or float32 -> float32"
    raise unsupported(op, graph, f"dtypes input/output {describe_dtypes([x, y])} are not supported; "
                      f"supported: {supported} (what TFLite Micro's {op.op_type} kernel takes).")


for _op_type in FLOAT_KERNELS:
    register(_op_type, _lower, dtypes=(("int8", "float32", "int16") if _op_type == "ABS" else
                                       ("int8", "float32") if _op_type in INT8_OPS else ("float32",)))
