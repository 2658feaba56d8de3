"""Lowering of ELU (int8 and float32), as TensorFlow Lite Micro computes it.

float32: kernels/unary.hpp elu_f32 (TFLite's reference Elu: expm1 below 0). int8: TFLM's
Prepare fills a 256-entry table (elu.cc PopulateLookupTable, in float32: dequantize,
exp(x) - 1 below 0, times 1 / output scale, round half away, plus the output zero point,
clamped); the same table is computed here and the runtime looks it up (lookup_s8).
"""

import numpy as np

from .. import kernel_params
from ..ir import Graph, Operator
from ..quantization import round_half_away
from . import KernelCall, kernel_call, register
from ._common import describe_dtypes, per_tensor, unsupported
from ._dense import io_tensors, require_same_shape
from ._libm import expf


def lut_s8(si: float, zi: int, so: float, zo: int, transform) -> list:
    """TFLM's PopulateLookupTable<int8_t>, indexed by the byte as uint8_t, in float32."""
    f = np.float32
    inverse_scale = f(1) / f(so)
    table = [0] * 256
    for val in range(-128, 128):
        dequantized = f(si) * f(val - zi)
        scaled = f(transform(dequantized)) * inverse_scale
        rescaled = f(round_half_away(float(scaled)))  # std::round, exact in double
        quantized = int(f(rescaled + f(zo)))
        table[val & 0xFF] = max(-128, min(127, quantized))
    return table


def elu_transform(x):
    return expf(x) - np.float32(1) if x < 0 else x


def lower_elu(op: Operator, graph: Graph) -> KernelCall:
    (x,), (y,) = io_tensors(op, graph, 1, 1)
    require_same_shape(op, graph, x, y)
    if (x.dtype, y.dtype) == ("float32", "float32"):
        return kernel_call("elu_f32", "UnaryF32Params", dict(size=x.num_elements), inplace=(0, 0))
    if (x.dtype, y.dtype) == ("int8", "int8"):
        si, zi = per_tensor(op, graph, x, "input")
        so, zo = per_tensor(op, graph, y, "output")
        table = kernel_params.ConstArray("int8_t", lut_s8(si, zi, so, zo, elu_transform),
                                         "ELU of every int8 input, indexed by the input byte as uint8_t.")
        return kernel_call("lookup_s8", "LookupS8Params", dict(size=x.num_elements, table=table),
                           inplace=(0, 0))
    raise unsupported(op, graph, f"dtypes input/output {describe_dtypes([x, y])} are not supported; "
                      "supported: int8 -> int8 or float32 -> float32 (what TFLite Micro's ELU takes).")


register("ELU", lower_elu)
