"""Lowering of ADD, SUB and MUL (int8 and float32, NumPy-style broadcasting up to 6-D).

Kernels: runtime/include/utensor/kernels/elementwise.hpp. int8 parameters as TFLite
Micro's CalculateOpDataAdd (double), CalculateOpDataSub (float32 arithmetic, as that file
does) and CalculateOpDataMul (double).
"""

from typing import List, Tuple

from ..ir import Graph, Operator, Tensor
from ..quantization import (
    activation_range, activation_range_float, f32, multiply_by_quantized_multiplier,
    quantize_multiplier,
)
from .. import kernel_params
from . import KernelCall, kernel_call, register
from ._common import activation, describe_dtypes, malformed, per_tensor, unsupported
from ._dense import io_tensors
from ._requant import fast_requant

MAX_RANK = 6
ADD_LEFT_SHIFT = 20  # TFLite's int8 ADD/SUB headroom
ADD_LEFT_SHIFT_INT16 = 15  # and its int16 one
# From this many output elements on, ADD/SUB look each input's rescaling up in a
# 256-entry int32 table (1 KiB of flash per input) instead of computing it per element.
TABLE_MIN_ELEMENTS = 1024


def broadcast_shape(op: Operator, graph: Graph, a: Tensor, b: Tensor, y: Tensor) -> dict:
    """The kernel's BroadcastShape: 6-D output dims and per-input strides (0 = broadcast)."""
    out = tuple(int(d) for d in y.shape)
    if max(len(a.shape), len(b.shape), len(out)) > MAX_RANK:
        raise unsupported(op, graph, f"tensors of rank above {MAX_RANK} are not supported "
                          f"(shapes {list(a.shape)}, {list(b.shape)}).")
    rank = len(out)
    for t in (a, b):
        if len(t.shape) > rank:
            raise malformed(op, graph, f"input '{t.name}' of shape {list(t.shape)} has more "
                            f"dimensions than the output {list(out)}.")
    pad = (1,) * (MAX_RANK - rank)
    dims = list(pad + out)
    strides: List[List[int]] = []
    for t in (a, b):
        shape = (1,) * (MAX_RANK - len(t.shape)) + tuple(int(d) for d in t.shape)
        contiguous = [1] * MAX_RANK
        for d in range(MAX_RANK - 2, -1, -1):
            contiguous[d] = contiguous[d + 1] * shape[d + 1]
        s = []
        for d in range(MAX_RANK):
            if shape[d] == dims[d]:
                s.append(contiguous[d] if dims[d] > 1 else 0)
            elif shape[d] == 1:
                s.append(0)
            else:
                raise malformed(op, graph, f"shapes {list(a.shape)} and {list(b.shape)} do not "
                                f"broadcast to the output shape {list(out)}.")
        strides.append(s)
    broadcast = tuple(a.shape) != out or tuple(b.shape) != out
    size = 1
    for d in dims:
        size *= d
    dims, stride1, stride2 = merge_broadcast_dims(dims, strides[0], strides[1])
    return dict(size=size, broadcast=int(broadcast), dims=dims, stride1=stride1, stride2=stride2)


def merge_broadcast_dims(dims: List[int], stride1: List[int], stride2: List[int]):
    """The same element walk over as few dimensions as it takes: size-1 dimensions dropped,
    and a dimension merged into the next inner one wherever both inputs step through the
    pair as through one (stride[d] == stride[d + 1] * dims[d + 1]). The kernel loops over
    the last dimension without its odometer, so the longer it is the faster."""
    kept = [(n, s1, s2) for n, s1, s2 in zip(dims, stride1, stride2) if n != 1]
    merged: List[Tuple[int, int, int]] = []
    for n, s1, s2 in kept:
        if merged:
            pn, p1, p2 = merged[-1]
            if p1 == s1 * n and p2 == s2 * n:
                merged[-1] = (pn * n, s1, s2)
                continue
        merged.append((n, s1, s2))
    merged = [(1, 0, 0)] * (len(dims) - len(merged)) + merged
    return [m[0] for m in merged], [m[1] for m in merged], [m[2] for m in merged]


def _smaller_than_one(op, graph, real: float, what: str) -> Tuple[int, int]:
    mult, shift = quantize_multiplier(real)
    if shift > 0:
        raise unsupported(op, graph, f"the {what} rescaling factor {real:g} is not below one, "
                          "which TFLite's int8 kernel requires; the quantization scales of this "
                          "operator are unusual (re-quantize the model).")
    return mult, shift


def _add_sub_int8(op, graph, a, b, y, subtract: bool, dtype: str = "int8") -> dict:
    """int8, or int16 (TFLite's 16x8: the same general path with a left shift of 15)."""
    left_shift = ADD_LEFT_SHIFT if dtype == "int8" else ADD_LEFT_SHIFT_INT16
    s1, z1 = per_tensor(op, graph, a, "input 1")
    s2, z2 = per_tensor(op, graph, b, "input 2")
    so, zo = per_tensor(op, graph, y, "output")
    if subtract:
        # sub_common.cc computes these in float32 before widening.
        twice_max = f32(2) * max(f32(s1), f32(s2))
        real1 = float(f32(s1) / twice_max)
        real2 = float(f32(s2) / twice_max)
        real_out = float(twice_max / (f32(1 << left_shift) * f32(so)))
    else:
        twice_max = 2 * float(max(f32(s1), f32(s2)))
        real1 = float(f32(s1)) / twice_max
        real2 = float(f32(s2)) / twice_max
        real_out = twice_max / ((1 << left_shift) * float(f32(so)))
    m1, sh1 = _smaller_than_one(op, graph, real1, "input 1")
    m2, sh2 = _smaller_than_one(op, graph, real2, "input 2")
    mo, sho = _smaller_than_one(op, graph, real_out, "output")
    lo, hi = activation_range(activation(op, graph), dtype, so, zo)
    return dict(input1_offset=-z1, input2_offset=-z2, output_offset=zo, left_shift=left_shift,
                input1_multiplier=m1, input1_shift=sh1, input2_multiplier=m2, input2_shift=sh2,
                output_multiplier=mo, output_shift=sho, activation_min=lo, activation_max=hi,
                input1_table=None, input2_table=None, output_fast=None)


def rescale_table(offset: int, multiplier: int, shift: int) -> list:
    """The kernel's per-input ADD/SUB rescaling for every int8 value, indexed by the byte
    as uint8: MultiplyByQuantizedMultiplierSmallerThanOneExp((x + offset) << 20, ...)."""
    values = []
    for b in range(256):
        x = b if b < 128 else b - 256
        values.append(multiply_by_quantized_multiplier((x + offset) * (1 << ADD_LEFT_SHIFT),
                                                       multiplier, shift))
    return values


TABLE_COMMENT = "Input {}'s rescaling for every int8 value, indexed by the byte as uint8_t."


def _tables(fields: dict) -> None:
    """Each input's rescaling looked up in a 256-entry table, and the output rescaling in
    the kernels' fast form when it is exact for every sum or difference of two table
    entries; the tables then absorb its doubling (times 2, pre_shift 0), which saves the
    kernels a shift per element (elementwise.hpp)."""
    t1 = rescale_table(fields["input1_offset"], fields["input1_multiplier"], fields["input1_shift"])
    t2 = rescale_table(fields["input2_offset"], fields["input2_multiplier"], fields["input2_shift"])
    bound = max(abs(v) for v in t1) + max(abs(v) for v in t2)
    table = fast_requant([fields["output_multiplier"]], [fields["output_shift"]],
                         fields["output_offset"], [bound])
    if table is not None and table[0]["pre_shift"] == 1:
        fields["output_fast"] = kernel_params.ConstArray(
            "FastRequant", [dict(table[0], pre_shift=0)],
            "Output rescaling in the fast form the converter proved exact (the tables are doubled for it).")
        t1, t2 = [2 * v for v in t1], [2 * v for v in t2]
    fields["input1_table"] = kernel_params.ConstArray("int32_t", t1, TABLE_COMMENT.format(1))
    fields["input2_table"] = kernel_params.ConstArray("int32_t", t2, TABLE_COMMENT.format(2))


def _mul_int8(op, graph, a, b, y, dtype: str = "int8") -> dict:
    s1, z1 = per_tensor(op, graph, a, "input 1")
    s2, z2 = per_tensor(op, graph, b, "input 2")
    so, zo = per_tensor(op, graph, y, "output")
    mult, shift = quantize_multiplier(float(f32(s1)) * float(f32(s2)) / float(f32(so)))
    lo, hi = activation_range(activation(op, graph), dtype, so, zo)
    fast = None
    if dtype == "int8":
        # |(x - z1) * (y - z2)| over every int8 pair bounds the product the fast form must
        # handle exactly.
        bound = max(127 - z1, z1 + 128) * max(127 - z2, z2 + 128)
        table = fast_requant([mult], [shift], zo, [bound])
        if table is not None:
            fast = kernel_params.ConstArray(
                "FastRequant", table, "Output rescaling in the fast form the converter proved exact.")
    return dict(input1_offset=-z1, input2_offset=-z2, output_offset=zo, output_multiplier=mult,
                output_shift=shift, activation_min=lo, activation_max=hi, output_fast=fast)


# CalculateActivationRange for int32 outputs.
INT32_ACTIVATION_RANGE = {"NONE": (-2 ** 31, 2 ** 31 - 1), "RELU": (0, 2 ** 31 - 1), "RELU6": (0, 6),
                          "RELU_N1_TO_1": (-1, 1)}


def _lower(op: Operator, graph: Graph, kind: str) -> KernelCall:
    (a, b), (y,) = io_tensors(op, graph, 2, 2)
    dtypes = (a.dtype, b.dtype, y.dtype)
    if dtypes not in (("int8",) * 3, ("float32",) * 3, ("int16",) * 3, ("int32",) * 3):
        raise unsupported(op, graph, f"dtypes input1/input2/output {describe_dtypes([a, b, y])} "
                          "are not supported; supported: int8, int16 (16x8), int32 or float32 throughout.")
    fields = dict(shape=broadcast_shape(op, graph, a, b, y))
    if y.dtype == "int32":
        lo, hi = INT32_ACTIVATION_RANGE[activation(op, graph)]
        fields.update(activation_min=lo, activation_max=hi)
        return kernel_call(f"{kind}_i32", "ElementwiseI32Params", fields, inputs=(0, 1))
    if y.dtype in ("int8", "int16") and kind == "mul":
        struct = "MulS8Params"
        fields.update(_mul_int8(op, graph, a, b, y, y.dtype))
    elif y.dtype in ("int8", "int16"):
        struct = "AddS8Params"
        fields.update(_add_sub_int8(op, graph, a, b, y, subtract=(kind == "sub"), dtype=y.dtype))
        # The tables index int8 values; int16 always takes the general (portable) form.
        if y.dtype == "int8" and fields["shape"]["size"] >= TABLE_MIN_ELEMENTS:
            _tables(fields)
    else:
        struct = "ElementwiseF32Params"
        lo, hi = activation_range_float(activation(op, graph))
        fields.update(activation_min=lo, activation_max=hi)
    inplace = None
    if tuple(a.shape) == tuple(y.shape) and not a.is_constant:
        inplace = (0, 0)
    elif tuple(b.shape) == tuple(y.shape) and not b.is_constant:
        inplace = (1, 0)
    suffix = {"int8": "s8", "int16": "s16"}.get(y.dtype, "f32")
    if (kind == "add" and y.dtype == "int8" and not fields["shape"]["broadcast"]
            and fields.get("input1_table") is not None and fields.get("output_fast") is not None
            and (fields["activation_min"], fields["activation_max"]) == (-128, 127)):
        suffix = "s8_tables"  # add_s8_tables' precondition: the DSP cores link no fallback
    return kernel_call(f"{kind}_{suffix}", struct, fields, inputs=(0, 1), inplace=inplace)


def lower_add(op: Operator, graph: Graph) -> KernelCall:
    return _lower(op, graph, "add")


def lower_sub(op: Operator, graph: Graph) -> KernelCall:
    return _lower(op, graph, "sub")


def lower_mul(op: Operator, graph: Graph) -> KernelCall:
    return _lower(op, graph, "mul")


register("ADD", lower_add, dtypes=("int8", "float32", "int16", "int32"))
register("SUB", lower_sub, dtypes=("int8", "float32", "int16", "int32"))
register("MUL", lower_mul, dtypes=("int8", "float32", "int16", "int32"))
