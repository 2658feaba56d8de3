"""Lowering of QUANTIZE (float32 -> int8/int16; requantization int8/uint8 -> int8, int8 ->
uint8, and between int8, int16 and int32 as TFLite Micro: int16 -> int16/int8/int32, int8 ->
int16/int32, int32 -> int8/int16) and DEQUANTIZE (int8/uint8/int16 -> float32).

Kernels: runtime/include/utensor/kernels/quantize.hpp. As TFLite Micro's quantize_common.cc:
requantization uses QuantizeMultiplier(input_scale / output_scale) in double; float
quantization divides by the output scale in float32 and rounds half away from zero. For
int8 outputs of 64 elements or more on cores without an FPU the kernel instead counts the
thresholds the converter computed (ops/_quantize_thresholds.py): integer compares only,
where float division is a library call (M3: 417 -> 48 instructions per element), for
1 KiB of flash that only those builds contain.
"""

from ..ir import Graph, Operator
from .. import kernel_params
from ..quantization import INT_RANGES, f32, quantize_multiplier
from . import KernelCall, kernel_call, register
from ._quantize_thresholds import thresholds
from ._common import describe_dtypes, per_tensor, unsupported
from ._dense import io_tensors, require_same_shape

REQUANTIZE = {("int8", "int8"): "s8_s8", ("uint8", "int8"): "u8_s8", ("int8", "uint8"): "s8_u8",
              # TFLite's 16x8 quantization, and the integer pairs TFLite Micro's QUANTIZE
              # also takes (TensorFlow's converter writes none of these; see
              # test/conformance_ops_int16b.py).
              ("int16", "int16"): "s16_s16", ("int16", "int8"): "s16_s8", ("int8", "int16"): "s8_s16",
              ("int8", "int32"): "s8_s32", ("int16", "int32"): "s16_s32", ("int32", "int8"): "s32_s8",
              ("int32", "int16"): "s32_s16"}
QUANTIZE_F32 = {"int8": "s8", "int16": "s16"}
THRESHOLDS_MIN_ELEMENTS = 64
# Arm cores with an FPU divide faster than they count thresholds (M4: 23,960 against 37,659
# instructions for 784 elements); the host (no __ARM_FP) counts them, so the sanitizer
# builds check that form.
NO_FPU = "!defined(__ARM_FP)"


def _size(dtype: str) -> int:
    return {"int8": 1, "uint8": 1, "int16": 2, "int32": 4}[dtype]


def lower_quantize(op: Operator, graph: Graph) -> KernelCall:
    (x,), (y,) = io_tensors(op, graph, 1, 1)
    require_same_shape(op, graph, x, y)
    combo = (x.dtype, y.dtype)
    if x.dtype == "float32" and y.dtype in QUANTIZE_F32:
        scale, zp = per_tensor(op, graph, y, "output")
        lo, hi = INT_RANGES[y.dtype]
        table = None
        if y.dtype == "int8" and x.num_elements >= THRESHOLDS_MIN_ELEMENTS:
            table = kernel_params.ConstArray(
                "int32_t", thresholds(float(f32(scale)), zp),
                "Sortable keys of the smallest floats quantizing to -127..127 (cores without an FPU).",
                only_if=NO_FPU)
        return kernel_call(f"quantize_f32_{QUANTIZE_F32[y.dtype]}", "QuantizeF32Params",
                           dict(size=x.num_elements, scale=scale, zero_point=zp, output_min=lo,
                                output_max=hi, thresholds=table))
    if combo in REQUANTIZE:
        in_scale, in_zp = per_tensor(op, graph, x, "input")
        out_scale, out_zp = per_tensor(op, graph, y, "output")
        mult, shift = quantize_multiplier(float(f32(in_scale)) / float(f32(out_scale)))
        lo, hi = INT_RANGES[y.dtype]
        return kernel_call(f"requantize_{REQUANTIZE[combo]}", "RequantizeParams",
                           dict(size=x.num_elements, input_zero_point=in_zp,
                                output_zero_point=out_zp, multiplier=mult, shift=shift,
                                output_min=lo, output_max=hi),
                           inplace=(0, 0) if _size(x.dtype) == _size(y.dtype) else None)
    raise unsupported(op, graph, f"QUANTIZE from {x.dtype} to {y.dtype} is not supported; "
                      "supported: float32 -> int8, int8 -> int8, uint8 -> int8, int8 -> uint8, "
                      "float32 -> int16, int16 -> int16, int16 -> int8, int8 -> int16, int8 -> int32, "
                      "int16 -> int32, int32 -> int8, int32 -> int16 "
                      f"(got {describe_dtypes([x, y])}).")


def lower_dequantize(op: Operator, graph: Graph) -> KernelCall:
    (x,), (y,) = io_tensors(op, graph, 1, 1)
    require_same_shape(op, graph, x, y)
    if x.dtype not in ("int8", "uint8", "int16") or y.dtype != "float32":
        raise unsupported(op, graph, f"DEQUANTIZE from {x.dtype} to {y.dtype} is not supported; "
                          "supported: int8, uint8 or int16 -> float32 (float16 weights: convert the "
                          "model without float16 quantization).")
    scale, zp = per_tensor(op, graph, x, "input")
    kind = {"int8": "s8_f32", "uint8": "u8_f32", "int16": "s16_f32"}[x.dtype]
    return kernel_call(f"dequantize_{kind}", "DequantizeParams",
                       dict(size=x.num_elements, scale=scale, zero_point=zp))


register("QUANTIZE", lower_quantize, ("float32", "int8", "uint8", "int16", "int32"))
register("DEQUANTIZE", lower_dequantize, ("int8", "uint8", "int16"))
