"""Lowering of MAXIMUM, MINIMUM, DIV, SQUARED_DIFFERENCE, FLOOR_DIV and FLOOR_MOD, with
TFLite's broadcasting (the geometry of elementwise.broadcast_shape, like ADD's).

dtypes as TFLite Micro's kernels take them: MAXIMUM / MINIMUM int8, int16, int32, int64 and
float32 (int8 and int16 compare the stored values: TFLite's converter gives inputs and output one quantization,
and TFLM does not rescale, so neither does utensor: differing quantizations are refused);
SQUARED_DIFFERENCE int8 and int16 (ops/squared_difference.py), int32 and float32; DIV int8
(ops/_div_s8.py, which also states where TFLM's arithmetic is undefined and what utensor
does there), int32 (ops/_div_i32.py: truncating C division; a zero divisor fails the
invocation as in TFLM) and float32; the others float32.
"""

from ..ir import Graph, Operator
from . import KernelCall, kernel_call, register
from ._common import activation, describe_dtypes, per_tensor, unsupported
from ._dense import io_tensors
from .elementwise import broadcast_shape
from .squared_difference import lower_squared_difference_s8, lower_squared_difference_s16
from ._div_s8 import lower_div_s8
from ._div_i32 import lower_div_i32
from ..quantization import activation_range_float, f32, quantize_multiplier

INT8_KINDS = {"maximum", "minimum", "squared_difference", "div"}
MINMAX_SUFFIX = {"int8": "s8", "int16": "s16", "int32": "i32", "int64": "i64"}


def _lower(op: Operator, graph: Graph, kind: str) -> KernelCall:
    (a, b), (y,) = io_tensors(op, graph, 2, 2)
    dtypes = (a.dtype, b.dtype, y.dtype)
    shape = broadcast_shape(op, graph, a, b, y)
    if dtypes == ("float32",) * 3:
        if kind == "div":
            lo, hi = activation_range_float(activation(op, graph))
            return kernel_call("div_f32", "ElementwiseF32Params",
                               dict(shape=shape, activation_min=lo, activation_max=hi), inputs=(0, 1))
        return kernel_call(f"{kind}_f32", "BroadcastParams", dict(shape=shape), inputs=(0, 1))
    if kind in ("maximum", "minimum") and len(set(dtypes)) == 1 and a.dtype in MINMAX_SUFFIX:
        if a.dtype in ("int8", "int16"):
            quant = [per_tensor(op, graph, t, role) for t, role in ((a, "input 1"), (b, "input 2"), (y, "output"))]
            if len(set(quant)) != 1:
                raise unsupported(op, graph, f"{a.dtype} {op.op_type} compares stored values, so both "
                                  f"inputs and the output need one scale and zero point (TFLite's "
                                  f"converter gives them one); these have {quant}.")
        return kernel_call(f"{kind}_{MINMAX_SUFFIX[a.dtype]}", "BroadcastParams", dict(shape=shape), inputs=(0, 1))
    if kind == "squared_difference" and dtypes == ("int8",) * 3:
        return lower_squared_difference_s8(op, graph, a, b, y, shape)
    if kind == "div" and dtypes == ("int8",) * 3:
        return lower_div_s8(op, graph, a, b, y, shape)
    if kind == "div" and dtypes == ("int32",) * 3:
        return lower_div_i32(op, graph, a, b, y, shape)
    if kind == "squared_difference" and dtypes == ("int16",) * 3:
        return lower_squared_difference_s16(op, graph, a, b, y, shape)
    if kind == "squared_difference" and dtypes == ("int32",) * 3:
        return kernel_call("squared_difference_i32", "BroadcastParams", dict(shape=shape), inputs=(0, 1))
    supported = "int8 or float32 throughout" if kind in INT8_KINDS else "float32 throughout"
    if kind in ("maximum", "minimum"):
        supported = "int8, int16, int32, int64 or float32 throughout"
    if kind == "squared_difference":
        supported = "int8, int16, int32 or float32 throughout"
    if kind == "div":
        supported = "int8, int32 or float32 throughout"
    raise unsupported(op, graph, f"dtypes input1/input2/output {describe_dtypes([a, b, y])} are not "
                      f"supported; supported: {supported} (what TFLite Micro's {op.op_type} takes).")


for _op_type, _kind in (("MAXIMUM", "maximum"), ("MINIMUM", "minimum"), ("DIV", "div"),
                        ("SQUARED_DIFFERENCE", "squared_difference"), ("FLOOR_DIV", "floor_div"),
                        ("FLOOR_MOD", "floor_mod")):
    register(_op_type, (lambda k: lambda op, graph: _lower(op, graph, k))(_kind),
             dtypes=(("int8", "float32", "int16", "int32", "int64") if _kind in ("maximum", "minimum")
                     else ("int8", "float32", "int16", "int32") if _kind == "squared_difference"
                     else ("int8", "float32", "int32") if _kind == "div"
                     else ("int8", "float32") if _kind in INT8_KINDS else ("float32",)))


def lower_prelu(op: Operator, graph: Graph) -> KernelCall:
    """PRELU(input, alpha): alpha (constant or not) broadcast to the input; int8 as TFLite
    Micro's CalculatePreluParams + BroadcastPrelu4DSlow (double-precision multipliers)."""
    (x, alpha), (y,) = io_tensors(op, graph, 2, 2)
    shape = broadcast_shape(op, graph, x, alpha, y)
    if (x.dtype, alpha.dtype, y.dtype) == ("float32",) * 3:
        return kernel_call("prelu_f32", "BroadcastParams", dict(shape=shape), inputs=(0, 1))
    if (x.dtype, alpha.dtype, y.dtype) != ("int8",) * 3:
        raise unsupported(op, graph, f"dtypes input/alpha/output {describe_dtypes([x, alpha, y])} are "
                          "not supported; supported: int8 or float32 throughout.")
    si, zi = per_tensor(op, graph, x, "input")
    sa, za = per_tensor(op, graph, alpha, "alpha")
    so, zo = per_tensor(op, graph, y, "output")
    si, sa, so = (float(f32(v)) for v in (si, sa, so))
    m1, s1 = quantize_multiplier(si / so)
    m2, s2 = quantize_multiplier(si * sa / so)
    return kernel_call("prelu_s8", "PreluS8Params",
                       dict(shape=shape, input_offset=-zi, alpha_offset=-za, output_offset=zo,
                            output_multiplier_1=m1, output_shift_1=s1,
                            output_multiplier_2=m2, output_shift_2=s2), inputs=(0, 1))


register("PRELU", lower_prelu)
