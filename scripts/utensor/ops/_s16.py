"""Lowering of TFLite's 16x8 quantization ("int16": int16 activations, symmetric with zero
point 0; int8 symmetric weights; int64 bias) for the weighted operators.

Kernels: the *_s16 functions of runtime/include/utensor/kernels/{fully_connected,conv2d,
depthwise_conv2d}.hpp: portable (runtime/src/kernels/reference/s16_weighted.cpp), DSP and
Helium (runtime/src/kernels/arm/s16_weighted_{dsp,mve}.cpp; they sum in int32 where
acc32_proven says every sum fits, else in int64). The arithmetic is TFLite Micro's
reference_integer_ops for int16: int64 accumulators requantized by the int64
MultiplyByQuantizedMultiplier (multiplier rounded to Q15, one rounding shift); multipliers
as for int8 (QuantizeMultiplier of the same double products). CONV_2D with an int32 bias
accumulates in int32 in TFLite Micro: conv2d_s16_acc32 does the same (with no bias it
takes the int64 path).
"""

import numpy as np

from ..ir import Graph, Operator, Tensor
from ..quantization import activation_range, conv_multiplier, per_channel_multipliers, quantize_multiplier
from .. import kernel_params
from . import KernelCall, kernel_call
from ._common import activation, describe_dtypes, malformed, per_tensor, unsupported

SUPPORTED = ("16x8: int16 input/output (zero point 0), int8 weights (zero point 0), int64 bias "
             "or none{extra}")


def is_s16(x: Tensor) -> bool:
    return x is not None and x.dtype == "int16"


def _check_dtypes(op: Operator, graph: Graph, x, w, bias, y, bias_dtypes) -> None:
    ok = (x.dtype == "int16" and y.dtype == "int16" and w.dtype == "int8"
          and (bias is None or bias.dtype in bias_dtypes))
    if not ok:
        extra = " (CONV_2D also an int32 bias)" if "int32" in bias_dtypes else ""
        raise unsupported(op, graph, f"dtypes input/weights/bias/output "
                          f"{describe_dtypes([x, w, bias, y])} are not supported; supported: "
                          f"{SUPPORTED.format(extra=extra)}.")


def zero_point_scale(op: Operator, graph: Graph, t: Tensor, role: str) -> float:
    """The scale of a per-tensor int16 tensor, after checking TFLite Micro's zero point 0."""
    scale, zp = per_tensor(op, graph, t, role)
    if zp != 0:
        raise unsupported(op, graph, f"{role} tensor '{t.name}' is int16 with zero point {zp}; "
                          "TFLite's 16x8 quantization (and TFLite Micro) needs zero point 0.")
    return scale


def _weight_scales(op: Operator, graph: Graph, w: Tensor, channels: int, axis: int):
    q = w.quant
    if q is None or not q.scale:
        raise unsupported(op, graph, f"weights tensor '{w.name}' is int8 without quantization "
                          "parameters.")
    if any(int(z) != 0 for z in q.zero_point):
        raise unsupported(op, graph, f"weights tensor '{w.name}' has a non-zero zero point; "
                          "16x8 weights are symmetric (zero point 0).")
    if len(q.scale) == 1:
        return [float(q.scale[0])], False
    if len(q.scale) == channels and q.axis == axis:
        return [float(s) for s in q.scale], True
    raise unsupported(op, graph, f"weights tensor '{w.name}' has {len(q.scale)} scales along axis "
                      f"{q.axis}; expected 1 or {channels} along axis {axis}.")


def _check_shifts(op: Operator, graph: Graph, shifts) -> None:
    # The int64 requantization shifts by 15 - shift: TFLite requires shift in [-31, 7].
    bad = [s for s in shifts if not -31 <= s <= 7]
    if bad:
        raise malformed(op, graph, f"its scales give a rescale shift of {bad[0]}, outside the "
                        "[-31, 7] TFLite's 16x8 kernels support.")


def _requant(op, graph, x, w, y, channels, axis, per_tensor_fc=False) -> dict:
    in_scale = zero_point_scale(op, graph, x, "input")
    out_scale = zero_point_scale(op, graph, y, "output")
    scales, per_channel = _weight_scales(op, graph, w, channels, axis)
    if per_tensor_fc and not per_channel:
        m, s = quantize_multiplier(conv_multiplier(in_scale, scales[0], out_scale))
        mult, shift = [m], [s]
    else:
        if not per_channel:
            scales = scales * channels
        mult, shift = per_channel_multipliers(in_scale, scales, out_scale)
    _check_shifts(op, graph, shift)
    act_min, act_max = activation_range(activation(op, graph), "int16", out_scale, 0)
    return dict(output_multiplier=kernel_params.ConstArray("int32_t", mult),
                output_shift=kernel_params.ConstArray("int32_t", shift),
                activation_min=act_min, activation_max=act_max), per_channel


def acc32_proven(w: Tensor, channel_axis: int, terms: int) -> int:
    """1 when every output's sum of products provably fits int32, so the DSP/Helium kernels
    may accumulate in int32 (TFLite's int64 sum is then the same number): |x| <= 32768, so
    |sum w * x| <= 32768 * sum |w| over the output's filter. Runtime weights: the bound
    of `terms` products of 128 * 32768 each."""
    if w.is_constant:
        a = np.abs(np.asarray(w.data, np.int64))
        axes = tuple(i for i in range(a.ndim) if i != channel_axis)
        largest = int(a.sum(axis=axes).max()) if a.size else 0
    else:
        largest = 128 * terms
    return 1 if 32768 * largest <= 2**31 - 1 else 0


def lower_fully_connected_s16(op: Operator, graph: Graph, x, w, bias, y, shape: dict) -> KernelCall:
    _check_dtypes(op, graph, x, w, bias, y, ("int64",))
    fields, per_channel = _requant(op, graph, x, w, y, shape["output_depth"], 0, per_tensor_fc=True)
    fields.update(shape=shape, per_channel=per_channel,
                  acc32=acc32_proven(w, 0, shape["accum_depth"]))
    return kernel_call("fully_connected_s16", "FullyConnectedS16Params", fields, inputs=(0, 1, 2))


def lower_conv2d_s16(op: Operator, graph: Graph, x, w, bias, y, shape: dict) -> KernelCall:
    _check_dtypes(op, graph, x, w, bias, y, ("int64", "int32"))
    fields, _ = _requant(op, graph, x, w, y, shape["output_channels"], 0)
    fields.update(shape=shape, acc32=acc32_proven(
        w, 0, shape["filter_height"] * shape["filter_width"] * shape["filter_input_channels"]))
    # TFLite Micro sums in int32 only for an int32 bias; with none it takes the int64 path
    # (measured: the int32 requantization differs by 1 on some outputs of a bias-less layer).
    fn = "conv2d_s16_acc32" if bias is not None and bias.dtype == "int32" else "conv2d_s16"
    return kernel_call(fn, "Conv2DS16Params", fields, inputs=(0, 1, 2))


def lower_depthwise_conv2d_s16(op: Operator, graph: Graph, x, w, bias, y, shape: dict) -> KernelCall:
    _check_dtypes(op, graph, x, w, bias, y, ("int64",))
    fields, _ = _requant(op, graph, x, w, y, w.shape[3], 3)
    fields.update(shape=shape, acc32=acc32_proven(w, 3, shape["filter_height"] * shape["filter_width"]))
    return kernel_call("depthwise_conv2d_s16", "DepthwiseConv2DS16Params", fields, inputs=(0, 1, 2))
