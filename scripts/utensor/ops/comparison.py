"""Lowering of EQUAL, NOT_EQUAL, GREATER, GREATER_EQUAL, LESS and LESS_EQUAL (bool output),
with TFLite's broadcasting.

float32, int32, int64 and bool (EQUAL, NOT_EQUAL) compare the stored values. int8 compares them as TFLite Micro's comparisons.cc does:
each input (x - zero point) << 8, times a multiplier from its own scale
(QuantizeMultiplierSmallerThanOneExp), then compared; the converter tabulates that per
input byte, so the kernel compares two table entries. TFLite Micro also runs int16 GREATER,
but its results are not a comparison of the values (with one scale for both inputs, 100 >
100 is true and 20000 > 20001 false in tflite_micro): refused rather than matched.
"""

from .. import kernel_params
from ..ir import Graph, Operator
from ..quantization import multiply_by_quantized_multiplier, quantize_multiplier_smaller_than_one
from . import KernelCall, kernel_call, register
from ._common import describe_dtypes, per_tensor, unsupported
from ._dense import io_tensors
from .elementwise import broadcast_shape

LEFT_SHIFT = 8  # TFLite's kLeftShift for quantized comparisons
KINDS = {"EQUAL": "equal", "NOT_EQUAL": "not_equal", "GREATER": "greater",
         "GREATER_EQUAL": "greater_equal", "LESS": "less", "LESS_EQUAL": "less_equal"}


def rescaled_table(scale: float, zero_point: int) -> list:
    """TFLite's scaled value of every int8 input, indexed by the byte as uint8."""
    mult, shift = quantize_multiplier_smaller_than_one(scale)
    return [multiply_by_quantized_multiplier(((b if b < 128 else b - 256) - zero_point) * (1 << LEFT_SHIFT),
                                             mult, shift) for b in range(256)]


def _lower(op: Operator, graph: Graph) -> KernelCall:
    (a, b), (y,) = io_tensors(op, graph, 2, 2)
    kind = KINDS[op.op_type]
    allowed = DTYPES[op.op_type]
    if y.dtype != "bool" or a.dtype != b.dtype or a.dtype not in allowed:
        raise unsupported(op, graph, f"dtypes input1/input2/output {describe_dtypes([a, b, y])} are "
                          f"not supported; supported: {', '.join(allowed)} inputs and a bool output "
                          f"(what TFLite Micro's {op.op_type} takes).")
    shape = broadcast_shape(op, graph, a, b, y)
    if a.dtype != "int8":
        return kernel_call(f"{kind}_{RAW_SUFFIX[a.dtype]}", "BroadcastParams", dict(shape=shape), inputs=(0, 1))
    tables = [kernel_params.ConstArray("int32_t", rescaled_table(*per_tensor(op, graph, t, role)),
                                       f"{role} rescaled as TFLite compares it, indexed by the byte as uint8_t.")
              for t, role in ((a, "input 1"), (b, "input 2"))]
    return kernel_call(f"{kind}_s8", "CompareS8Params",
                       dict(shape=shape, input1_table=tables[0], input2_table=tables[1]), inputs=(0, 1))


# What TFLite Micro's comparisons.cc takes (bool only for (NOT_)EQUAL), but int16 GREATER.
DTYPES = {k: ("int8", "float32", "int32", "int64") + (("bool",) if k in ("EQUAL", "NOT_EQUAL") else ())
          for k in KINDS}
RAW_SUFFIX = {"float32": "f32", "int32": "i32", "int64": "i64", "bool": "b8"}

for _op_type in KINDS:
    register(_op_type, _lower, dtypes=DTYPES[_op_type])
