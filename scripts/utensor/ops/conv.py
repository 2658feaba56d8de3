"""Lowering of CONV_2D and DEPTHWISE_CONV_2D (int8 per-channel and float32).

Kernels: runtime/include/utensor/kernels/{conv2d,depthwise_conv2d}.hpp. The int8
requantization follows TFLite's PopulateConvolutionQuantizationParams: per output channel,
input_scale * filter_scale[c] / output_scale in double, then QuantizeMultiplier.
"""

from typing import List

import numpy as np

from ..ir import Graph, Operator, Tensor
from ..quantization import activation_range, activation_range_float, per_channel_multipliers
from .. import kernel_params
from . import KernelCall, register
from .hybrid import is_hybrid, lower_conv2d_hybrid, lower_depthwise_conv2d_hybrid
from ._common import activation, io_tensors, malformed, per_tensor, unsupported, weighted_dtype
from ._requant import accumulator_bound, fast_requant, split_fast_requant
from ._s16 import is_s16, lower_conv2d_s16, lower_depthwise_conv2d_s16
from ._spatial import DEPTHWISE_AS_CONV, conv_output, depthwise_geometry, require_rank, strides

SUPPORTED_DTYPES = ("int8 input/filter/output with int32 bias, float32 throughout, float32 "
                    "activations with int8 filters (hybrid), or 16x8 (int16 activations, int8 "
                    "filters, int64 bias)")

# int8 conv windows whose filter rows are shorter than this (bytes: KW * C_IN) are copied
# into scratch and reduced as one dot product (conv2d_s8's windowed path): row-by-row
# setup would dominate. Measured on mps2_an386 (first layers of KWS, VWW, ResNet-8).
# Copying a window pays off only over enough output channels (VWW's first layer, 8
# channels, is faster without).
WINDOWED_MAX_ROW = 16
WINDOWED_MAX_BYTES = 1024
WINDOWED_MIN_CHANNELS = 16


def _int8_requant(op: Operator, graph: Graph, x: Tensor, w: Tensor, y: Tensor,
                  out_channels: int, channel_axis: int, shift_type: str = "int8_t") -> dict:
    """shift_type: the C type of the struct's output_shift entries (int8_t for CONV_2D and
    DEPTHWISE_CONV_2D: kernel_params._OUTPUT_SHIFT_S8)."""
    in_scale, in_zp = per_tensor(op, graph, x, "input")
    out_scale, out_zp = per_tensor(op, graph, y, "output")
    q = w.quant
    if q is None or not q.scale:
        raise unsupported(op, graph, f"filter tensor '{w.name}' is int8 without quantization "
                          "parameters.")
    if any(int(z) != 0 for z in q.zero_point):
        raise unsupported(op, graph, f"filter tensor '{w.name}' has a non-zero zero point; TFLite "
                          "int8 weights are symmetric (zero point 0). Re-quantize the model with "
                          "the TFLite converter.")
    if len(q.scale) == 1:
        scales = [float(q.scale[0])] * out_channels
    elif len(q.scale) == out_channels and q.axis == channel_axis:
        scales = [float(s) for s in q.scale]
    else:
        raise unsupported(op, graph, f"filter tensor '{w.name}' has {len(q.scale)} scales along "
                          f"axis {q.axis}; expected 1 or {out_channels} along axis {channel_axis} "
                          "(one per output channel).")
    mult, shift = per_channel_multipliers(in_scale, scales, out_scale)
    act_min, act_max = activation_range(activation(op, graph), "int8", out_scale, out_zp)
    return dict(input_offset=-in_zp, output_offset=out_zp,
                output_multiplier=kernel_params.ConstArray("int32_t", mult),
                output_shift=kernel_params.ConstArray(shift_type, shift),
                activation_min=act_min, activation_max=act_max)


def folded_bias(w: Tensor, bias, input_offset: int, channel_axis: int):
    """bias + input_offset * (sum of each output channel's weights), as int32 values, or
    None when the weights or bias are not constants. Lets the kernels skip adding the input
    offset to every input of windows fully inside the image (same integer result)."""
    if not w.is_constant or (bias is not None and not bias.is_constant):
        return None
    axes = tuple(a for a in range(w.data.ndim) if a != channel_axis)
    sums = w.data.astype(np.int64).sum(axis=axes)
    b = bias.data.astype(np.int64).reshape(-1) if bias is not None else 0
    folded = b + int(input_offset) * sums
    if np.any(folded < -(2**31)) or np.any(folded >= 2**31):
        return None
    return [int(v) for v in folded]


def mve_gemm_scratch_bytes(window: int, in_c: int) -> int:
    """Scratch of the Helium conv2d_s8_gemm (kernels/arm/conv2d_mve.cpp): four windows
    padded to 16 bytes, interleaved; plus one contiguous window to interleave from when
    C_IN % 16 != 0 and a window spans several 16-byte chunks."""
    padded = (window + 15) // 16 * 16
    return 4 * padded + (padded if in_c % 16 != 0 and padded > 16 else 0)


def _float_range(op: Operator, graph: Graph) -> dict:
    lo, hi = activation_range_float(activation(op, graph))
    return dict(activation_min=lo, activation_max=hi)


def lower_conv2d(op: Operator, graph: Graph) -> KernelCall:
    (x, w, bias), (y,) = _inputs3(op, graph)
    if is_hybrid(x, w):  # float32 activations, int8 weights: ops/hybrid.py
        return lower_conv2d_hybrid(op, graph, x, w, bias, y)
    dtype = "int16" if is_s16(x) else weighted_dtype(op, graph, x, w, bias, y, SUPPORTED_DTYPES)
    for t, role in ((x, "input"), (w, "filter"), (y, "output")):
        require_rank(op, graph, t, 4, role)
    n, in_h, in_w, in_c = x.shape
    out_c, f_h, f_w, f_c = w.shape
    if f_c < 1 or in_c % f_c != 0 or out_c % (in_c // f_c) != 0:
        raise malformed(op, graph, f"input depth {in_c} and filter shape {list(w.shape)} do not "
                        "form a (grouped) convolution.")
    stride_h, stride_w, dil_h, dil_w = strides(op, graph)
    out_h, out_w, pad_top, pad_left = conv_output(op, graph, x, y, bias, f_h, f_w, out_c,
                                                  (stride_h, stride_w, dil_h, dil_w))
    fields = dict(shape=dict(
        batches=n, input_height=in_h, input_width=in_w, input_channels=in_c, filter_height=f_h,
        filter_width=f_w, filter_input_channels=f_c, output_height=out_h, output_width=out_w,
        output_channels=out_c, stride_height=stride_h, stride_width=stride_w,
        dilation_height=dil_h, dilation_width=dil_w, pad_top=pad_top, pad_left=pad_left))
    if dtype == "int16":  # 16x8 quantization: ops/_s16.py
        return lower_conv2d_s16(op, graph, x, w, bias, y, fields["shape"])
    if dtype == "float32":
        fields.update(_float_range(op, graph))
        return KernelCall(template="ops/conv2d.j2",
                          params=dict(dtype=dtype, struct="Conv2DF32Params", fields=fields),
                          row_streaming=n == 1)
    fields.update(_int8_requant(op, graph, x, w, y, out_c, channel_axis=0))
    multipliers, shifts = fields["output_multiplier"].values, fields["output_shift"].values
    folded = folded_bias(w, bias, fields["input_offset"], channel_axis=0)
    fields["folded_bias"] = kernel_params.ConstArray("int32_t", folded) if folded is not None else None
    params = dict(dtype=dtype, struct="Conv2DS8Params", fields=fields)
    scratch = 0
    window = f_h * f_w * f_c
    if (folded is not None and f_c == in_c
            and f_w * f_c < WINDOWED_MAX_ROW and window <= WINDOWED_MAX_BYTES
            and out_c >= WINDOWED_MIN_CHANNELS):
        scratch = (window + 3) // 4 * 4
    params["windowed"] = scratch > 0
    # Layers without groups (pointwise: the bulk of KWS/VWW MACs; ResNet's 3x3) run as a
    # GEMM over groups of output pixels whose windows are copied to scratch
    # (conv2d_s8_gemm; it reads whole weight words: windows of at least 4 values). The
    # portable build uses the windowed path (the condition above) or the row loops instead.
    params["gemm"] = folded is not None and f_c == in_c and window >= 4
    if params["gemm"]:  # conv2d_s8_gemm_bytes: five widened windows (+ an int8 one)
        gemm_bytes = 40 * ((window + 3) // 4) + (window if in_c % 4 else 0)
        scratch = max((gemm_bytes + 15) // 16 * 16, mve_gemm_scratch_bytes(window, in_c))
    # The DSP GEMM's fast requantization where it is provably exact (one flag: its
    # constants follow from the multipliers and shifts already emitted).
    fields["fast_requant"] = False
    if folded is not None:
        bounds = accumulator_bound(w.data, bias.data if bias is not None else None,
                                   channel_axis=0)
        fields["fast_requant"] = split_fast_requant(multipliers, shifts, bounds)
    fields["right_shifts_only"] = all(int(v) <= -1 for v in shifts)
    # conv2d_s8_gemm_fast's precondition: the DSP cores then link no general requantization.
    params["gemm_fast"] = bool(params["gemm"] and fields["fast_requant"])
    return KernelCall(template="ops/conv2d.j2", params=params, scratch_bytes=scratch,
                      row_streaming=n == 1)


def lower_depthwise_conv2d(op: Operator, graph: Graph) -> KernelCall:
    (x, w, bias), (y,) = _inputs3(op, graph)
    if op.options.get(DEPTHWISE_AS_CONV):  # one input channel, filter re-laid out (passes.py)
        option = op.options.get("depth_multiplier", w.shape[0])
        if option != w.shape[0]:  # the check depthwise_geometry makes, on the new layout
            raise malformed(op, graph, f"option depth_multiplier is {option}, but {w.shape[0]} "
                            "filter channels over 1 input channel make it "
                            f"{w.shape[0]}.")
        return lower_conv2d(op, graph)
    if is_hybrid(x, w):  # float32 activations, int8 weights: ops/hybrid.py
        return lower_depthwise_conv2d_hybrid(op, graph, x, w, bias, y)
    dtype = "int16" if is_s16(x) else weighted_dtype(op, graph, x, w, bias, y, SUPPORTED_DTYPES)
    for t, role in ((x, "input"), (w, "filter"), (y, "output")):
        require_rank(op, graph, t, 4, role)
    out_c = w.shape[3]
    entry = ""
    fields = dict(shape=depthwise_geometry(op, graph, x, w, bias, y))
    if dtype == "int16":  # 16x8 quantization: ops/_s16.py
        return lower_depthwise_conv2d_s16(op, graph, x, w, bias, y, fields["shape"])
    if dtype == "int8":
        struct = "DepthwiseConv2DS8Params"
        fields.update(_int8_requant(op, graph, x, w, y, out_c, channel_axis=3))
        folded = folded_bias(w, bias, fields["input_offset"], channel_axis=3)
        fields["folded_bias"] = kernel_params.ConstArray("int32_t", folded) if folded is not None else None
        fields["fast_requant"] = _depthwise_fast_requant(w, bias, fields)
        shape = fields["shape"]
        if (shape["depth_multiplier"] == 1 and shape["input_channels"] % 4 == 0
                and shape["filter_height"] == 3 and shape["filter_width"] == 3
                and shape["dilation_height"] == 1 and shape["dilation_width"] == 1
                and folded is not None and fields["fast_requant"]):
            # depthwise_conv2d_s8_3x3's precondition: the DSP cores then link no fallback.
            entry = "_3x3"
    else:
        struct = "DepthwiseConv2DF32Params"
        fields.update(_float_range(op, graph))
    return KernelCall(template="ops/depthwise_conv2d.j2",
                      params=dict(dtype=dtype, struct=struct, fields=fields, entry=entry),
                      row_streaming=x.shape[0] == 1)


def _depthwise_fast_requant(w: Tensor, bias, fields: dict) -> bool:
    """Whether the FastRequant form (kernel_util.hpp) is provably exact for an int8
    depthwise layer (the kernels build its entries from the multipliers and shifts). The
    bound is on the window's final sum, whichever way a kernel adds it up (from
    folded_bias with raw inputs, or from the bias with offset inputs)."""
    if not w.is_constant or (bias is not None and not bias.is_constant):
        return False
    bound = accumulator_bound(w.data, bias.data if bias is not None else None, channel_axis=3)
    return fast_requant(fields["output_multiplier"].values, fields["output_shift"].values,
                        fields["output_offset"], bound) is not None


def _inputs3(op: Operator, graph: Graph):
    ins, outs = io_tensors(op, graph, 2, 3)
    while len(ins) < 3:
        ins.append(None)
    return ins, outs


register("CONV_2D", lower_conv2d, dtypes=("int8", "float32", "hybrid", "int16"))
register("DEPTHWISE_CONV_2D", lower_depthwise_conv2d, dtypes=("int8", "float32", "hybrid", "int16"))

__all__: List[str] = ["lower_conv2d", "lower_depthwise_conv2d"]
