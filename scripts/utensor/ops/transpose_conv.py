"""Lowering of TRANSPOSE_CONV (int8 per-channel, 16x8 and float32).

Kernel: runtime/include/utensor/kernels/transpose_conv.hpp. As TFLite Micro: the inputs
are (output_shape, filter, input[, bias]); the output size is the output tensor's (TFLite
Micro never reads output_shape, we only check a constant one agrees); the padding is
ComputePaddingHeightWidth over the *output* size with dilation 1; the int8
requantization is CONV_2D's (per output channel, filter quantized along axis 0) and the
fused activation (operator version 4) clamps every dtype. 16x8 (int16 activations with
zero point 0, int8 filter, int64 bias): TFLite Micro's int16 reference kernel, int64 sums
and the 16x8 requantization (ops/_s16.py); its legacy int16 bias is refused.
"""

from ..ir import Graph, Operator
from ..quantization import activation_range_float
from . import KernelCall, kernel_call, register
from ._common import activation, describe_dtypes, io_tensors, malformed, unsupported
from ._s16 import _requant as _s16_requant
from ._spatial import axis_geometry, padding, positive_option, require_rank
from .conv import _int8_requant

SUPPORTED_DTYPES = ("int8 input/filter/output with int32 bias, int16 input/output with int8 filter "
                    "and int64 bias (16x8), or float32 throughout")


def _dtype(op: Operator, graph: Graph, x, w, bias, y) -> str:
    combo = (x.dtype, w.dtype, bias.dtype if bias is not None else None, y.dtype)
    if combo in (("int8", "int8", "int32", "int8"), ("int8", "int8", None, "int8")):
        return "int8"
    if combo in (("int16", "int8", "int64", "int16"), ("int16", "int8", None, "int16")):
        return "int16"
    if combo in (("float32", "float32", "float32", "float32"),
                 ("float32", "float32", None, "float32")):
        return "float32"
    hint = (" TFLite Micro does not run hybrid models (float activations, integer filters) "
            "either." if x.dtype == "float32" and w.dtype != "float32" else "")
    raise unsupported(op, graph, f"dtypes input/filter/bias/output {describe_dtypes([x, w, bias, y])} "
                      f"are not supported; supported: {SUPPORTED_DTYPES}.{hint}")


def lower_transpose_conv(op: Operator, graph: Graph) -> KernelCall:
    (out_shape, w, x, bias), (y,) = io_tensors(op, graph, 3, 4, pad=True)
    dtype = _dtype(op, graph, x, w, bias, y)
    for t, role in ((x, "input"), (w, "filter"), (y, "output")):
        require_rank(op, graph, t, 4, role)
    n, in_h, in_w, in_c = x.shape
    out_c, f_h, f_w, f_c = w.shape
    if f_c != in_c:
        raise malformed(op, graph, f"filter shape {list(w.shape)} does not fit input depth {in_c} "
                        f"(expected [C_OUT, KH, KW, {in_c}]).")
    if y.shape[0] != n or y.shape[3] != out_c:
        raise malformed(op, graph, f"output tensor '{y.name}' has shape {list(y.shape)}; batch and "
                        f"depth must be the input's batch {n} and the filter's {out_c} channels.")
    if bias is not None and bias.num_elements != out_c:
        raise malformed(op, graph, f"bias '{bias.name}' has {bias.num_elements} values for "
                        f"{out_c} output channels.")
    if out_shape.is_constant:
        if out_shape.dtype not in ("int32", "int64"):
            raise malformed(op, graph, f"output_shape tensor '{out_shape.name}' has dtype "
                            f"{out_shape.dtype}; expected int32.")
        wanted = [int(v) for v in out_shape.data.reshape(-1)]
        if wanted != list(y.shape):
            raise malformed(op, graph, f"output_shape input is {wanted}, but the output tensor "
                            f"'{y.name}' has shape {list(y.shape)}.")
    out_h, out_w = int(y.shape[1]), int(y.shape[2])
    if min(n, in_h, in_w, in_c, out_h, out_w, out_c, f_h, f_w) < 1:
        raise unsupported(op, graph, f"empty tensors (input {list(x.shape)}, filter "
                          f"{list(w.shape)}, output {list(y.shape)}) are not supported.")
    pad = padding(op, graph)
    stride_h = positive_option(op, graph, "stride_h")
    stride_w = positive_option(op, graph, "stride_w")
    # TFLite Micro pads as a forward convolution over the output's size would be padded.
    _, pad_top = axis_geometry(pad, out_h, f_h, stride_h, 1)
    _, pad_left = axis_geometry(pad, out_w, f_w, stride_w, 1)
    shape = dict(batches=n, input_height=in_h, input_width=in_w, input_channels=in_c,
                 filter_height=f_h, filter_width=f_w, output_height=out_h, output_width=out_w,
                 output_channels=out_c, stride_height=stride_h, stride_width=stride_w,
                 pad_top=pad_top, pad_left=pad_left)
    if dtype == "float32":
        lo, hi = activation_range_float(activation(op, graph))
        return kernel_call("transpose_conv_f32", "TransposeConvF32Params",
                           dict(shape=shape, activation_min=lo, activation_max=hi),
                           inputs=(2, 1, 3))
    if dtype == "int16":
        fields, _ = _s16_requant(op, graph, x, w, y, out_c, 0)
        fields.update(shape=shape)
        return kernel_call("transpose_conv_s16", "TransposeConvS16Params", fields, inputs=(2, 1, 3))
    fields = dict(shape=shape)
    fields.update(_int8_requant(op, graph, x, w, y, out_c, channel_axis=0, shift_type="int32_t"))
    return kernel_call("transpose_conv_s8", "TransposeConvS8Params", fields, inputs=(2, 1, 3))


register("TRANSPOSE_CONV", lower_transpose_conv, dtypes=("int8", "float32", "int16"))
