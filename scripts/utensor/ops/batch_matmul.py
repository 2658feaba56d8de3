"""Lowering of BATCH_MATMUL (int8, int16 and float32), as TensorFlow Lite Micro computes it.

Kernel: runtime/include/utensor/kernels/batch_matmul.hpp. TFLM's Prepare is followed: both
operands and the output of one dtype (float32, int8, or int16 with zero points 0; TFLM's
hybrid form is not supported here), ranks 2 to 5, batch dimensions equal or 1 (broadcast), equal
accumulation depths. adj_x/adj_y become strides. int8: the multiplier is
GetQuantizedConvolutionMultipler's (lhs scale * rhs scale / output scale), no activation
clamp but int8's range, as TFLM sets it. int16: the same multiplier, int64 sums and the
16x8 requantization (ops/_s16.py), int16's range.
"""

from ..ir import Graph, Operator
from ..quantization import conv_multiplier, quantize_multiplier
from . import KernelCall, kernel_call, register
from ._common import describe_dtypes, io_tensors, malformed, per_tensor, unsupported
from ._s16 import _check_shifts, zero_point_scale

MAX_RANK = 5
BATCH_RANK = MAX_RANK - 2


def _bool_option(op: Operator, graph: Graph, name: str) -> bool:
    value = op.options.get(name, False)
    if value is None:
        return False
    if not isinstance(value, (bool, int)):
        raise malformed(op, graph, f"option {name} is {value!r}; expected a boolean.")
    return bool(value)


def lower_batch_matmul(op: Operator, graph: Graph) -> KernelCall:
    (lhs, rhs), (y,) = io_tensors(op, graph, 2, 2)
    dtypes = {lhs.dtype, rhs.dtype, y.dtype}
    if len(dtypes) != 1 or lhs.dtype not in ("int8", "int16", "float32"):
        raise unsupported(op, graph, f"dtypes lhs/rhs/output {describe_dtypes([lhs, rhs, y])} are not "
                          "supported; supported: int8/int8/int8, int16/int16/int16 (zero points 0) or "
                          "float32/float32/float32 (hybrid BATCH_MATMUL is not).")
    for role, t in (("lhs", lhs), ("rhs", rhs)):
        if not 2 <= len(t.shape) <= MAX_RANK:
            raise unsupported(op, graph, f"{role} rank {len(t.shape)} is not supported (2 to {MAX_RANK}, "
                              "as TFLite Micro).")
    adj_x = _bool_option(op, graph, "adj_x")
    adj_y = _bool_option(op, graph, "adj_y")
    rank = max(len(lhs.shape), len(rhs.shape))
    ls = [1] * (rank - len(lhs.shape)) + [int(d) for d in lhs.shape]
    rs = [1] * (rank - len(rhs.shape)) + [int(d) for d in rhs.shape]
    batch = []
    for a, b in zip(ls[:-2], rs[:-2]):
        if a != b and a != 1 and b != 1:
            raise malformed(op, graph, f"batch dimensions of lhs {list(lhs.shape)} and rhs "
                            f"{list(rhs.shape)} do not broadcast.")
        batch.append(max(a, b))
    m, k = (ls[-1], ls[-2]) if adj_x else (ls[-2], ls[-1])
    k_rhs, n = (rs[-1], rs[-2]) if adj_y else (rs[-2], rs[-1])
    if k != k_rhs:
        raise malformed(op, graph, f"accumulation depths differ: lhs {list(lhs.shape)} (adj_x={adj_x}) "
                        f"and rhs {list(rhs.shape)} (adj_y={adj_y}).")
    if [int(d) for d in y.shape] != batch + [m, n]:
        raise malformed(op, graph, f"output shape {list(y.shape)} differs from {batch + [m, n]}.")

    def batch_strides(dims):
        strides, step = [], dims[-1] * dims[-2]
        for d in reversed(dims[:-2]):
            strides.append(0 if d == 1 else step)
            step *= d
        strides.reverse()
        return [0] * (BATCH_RANK - len(strides)) + strides

    shape = dict(
        batch_dims=[1] * (BATCH_RANK - len(batch)) + batch,
        lhs_batch_strides=batch_strides(ls), rhs_batch_strides=batch_strides(rs),
        rows=m, cols=n, depth=k,
        lhs_row_stride=1 if adj_x else k, lhs_depth_stride=m if adj_x else 1,
        rhs_depth_stride=1 if adj_y else n, rhs_col_stride=k if adj_y else 1,
    )
    if lhs.dtype == "int16":
        scales = [zero_point_scale(op, graph, t, role) for t, role in ((lhs, "lhs"), (rhs, "rhs"), (y, "output"))]
        mult, shift = quantize_multiplier(conv_multiplier(*scales))
        _check_shifts(op, graph, [shift])
        return kernel_call("batch_matmul_s16", "BatchMatMulS16Params",
                           dict(shape=shape, output_multiplier=mult, output_shift=shift), inputs=(0, 1))
    if lhs.dtype == "int8":
        ls_, lzp = per_tensor(op, graph, lhs, "lhs")
        rs_, rzp = per_tensor(op, graph, rhs, "rhs")
        os_, ozp = per_tensor(op, graph, y, "output")
        mult, shift = quantize_multiplier(conv_multiplier(ls_, rs_, os_))
        return kernel_call("batch_matmul_s8", "BatchMatMulS8Params",
                           dict(shape=shape, lhs_offset=-lzp, rhs_offset=-rzp, output_offset=ozp,
                                output_multiplier=mult, output_shift=shift),
                           inputs=(0, 1))
    return kernel_call("batch_matmul_f32", "BatchMatMulF32Params", dict(shape=shape), inputs=(0, 1))


register("BATCH_MATMUL", lower_batch_matmul, dtypes=("int8", "float32", "int16"))
