"""Lowering of AVERAGE_POOL_2D and MAX_POOL_2D (int8, int16 and float32).

Kernel: runtime/include/utensor/kernels/pooling.hpp. int8 pooling does not requantize, so
input and output must share scale and zero point (as TFLite's converter produces them).
"""

from ..ir import Graph, Operator
from ..quantization import activation_range, activation_range_float
from . import KernelCall, kernel_call, register
from ._common import activation, describe_dtypes, io_tensors, per_tensor, unsupported
from ._spatial import positive_option, require_rank, require_shape, same_quant, spatial


def _lower_pool(op: Operator, graph: Graph, kind: str) -> KernelCall:
    (x,), (y,) = io_tensors(op, graph, 1, 1)
    if (x.dtype, y.dtype) not in (("int8", "int8"), ("float32", "float32"), ("int16", "int16")):
        raise unsupported(op, graph, f"dtypes input/output {describe_dtypes([x, y])} are not "
                          "supported; supported: int8/int8, int16/int16 (16x8) or float32/float32.")
    require_rank(op, graph, x, 4, "input")
    require_rank(op, graph, y, 4, "output")
    n, in_h, in_w, ch = x.shape
    f_h = positive_option(op, graph, "filter_height")
    f_w = positive_option(op, graph, "filter_width")
    stride_h = positive_option(op, graph, "stride_h")
    stride_w = positive_option(op, graph, "stride_w")
    out_h, out_w, pad_top, pad_left = spatial(op, graph, in_h, in_w, f_h, f_w, stride_h, stride_w)
    require_shape(op, graph, y, (n, out_h, out_w, ch))
    # Every window must overlap the image (TFLite fails at run time otherwise).
    for size, out, stride, pad, f in ((in_h, out_h, stride_h, pad_top, f_h),
                                      (in_w, out_w, stride_w, pad_left, f_w)):
        last = (out - 1) * stride - pad
        if out > 0 and (last >= size or -pad + f <= 0):
            raise unsupported(op, graph, "a pooling window lies entirely in the padding; "
                              "TFLite rejects such models at run time.")
    shape = dict(batches=n, input_height=in_h, input_width=in_w, channels=ch, filter_height=f_h,
                 filter_width=f_w, output_height=out_h, output_width=out_w, stride_height=stride_h,
                 stride_width=stride_w, pad_top=pad_top, pad_left=pad_left)
    act = activation(op, graph)
    if x.dtype in ("int8", "int16"):
        per_tensor(op, graph, x, "input")
        out_scale, out_zp = per_tensor(op, graph, y, "output")
        if not same_quant(x, y):
            raise unsupported(op, graph, f"input '{x.name}' and output '{y.name}' have different "
                              f"quantization parameters; {x.dtype} pooling requires them equal.")
        lo, hi = activation_range(act, x.dtype, out_scale, out_zp)
        # int16 has portable kernels only (never the int8 Arm fast paths).
        suffix = "s8" if x.dtype == "int8" else "s16"
        # The four-channel entries' precondition (kernels/pooling.hpp): the DSP cores then
        # link no fallback.
        if x.dtype == "int8" and ch % 4 == 0 and (kind == "max" or f_h * f_w <= 255):
            suffix = "s8_c4"
        return kernel_call(f"{kind}_pool2d_{suffix}", "PoolS8Params",
                           dict(shape=shape, activation_min=lo, activation_max=hi))
    lo, hi = activation_range_float(act)
    return kernel_call(f"{kind}_pool2d_f32", "PoolF32Params",
                       dict(shape=shape, activation_min=lo, activation_max=hi))


def lower_average_pool2d(op: Operator, graph: Graph) -> KernelCall:
    return _lower_pool(op, graph, "average")


def lower_max_pool2d(op: Operator, graph: Graph) -> KernelCall:
    return _lower_pool(op, graph, "max")


register("AVERAGE_POOL_2D", lower_average_pool2d, dtypes=("int8", "float32", "int16"))
register("MAX_POOL_2D", lower_max_pool2d, dtypes=("int8", "float32", "int16"))
