"""Lowering of hybrid ("dynamic range quantized") CONV_2D and DEPTHWISE_CONV_2D: float32
input and output, int8 weights, float32 bias, as TensorFlow's dynamic-range converter writes them
(`converter.optimizations = [tf.lite.Optimize.DEFAULT]` without a representative dataset).

Kernel: runtime/include/utensor/kernels/conv2d_hybrid.hpp, TFLite's conv.cc EvalHybrid
(per-tensor weights: symmetric input quantization) and EvalHybridPerChannel (per-channel
weights: asymmetric input quantization). As in TFLite, conv weights with one scale per
output channel but all scales equal take the per-tensor path; hybrid DEPTHWISE_CONV_2D
(depthwise_conv.cc EvalHybridPerChannel) always quantizes its input asymmetrically. TensorFlow Lite Micro cannot run
these models; the reference is tf.lite.Interpreter's builtin kernels.

`lower_conv2d_hybrid` / `lower_depthwise_conv2d_hybrid` are called by ops/conv.py when it
meets float32 input with int8 weights; they validate everything the kernels rely on.
"""

import math
from typing import List

import numpy as np

from ..ir import Graph, Operator, Tensor
from ..quantization import activation_range_float
from .. import kernel_params
from . import KernelCall, kernel_call
from ._common import activation, describe_dtypes, malformed, unsupported
from ._spatial import conv_output, depthwise_geometry, positive_option, require_rank

SUPPORTED = ("float32 input and output, int8 filter (symmetric: zero point 0; one scale or one per "
             "output channel), float32 bias or none")


def is_hybrid(x: Tensor, w: Tensor) -> bool:
    """True for float32 activations with integer weights (TFLite's is_hybrid test)."""
    return x.dtype == "float32" and w.dtype in ("int8", "uint8")


def _filter_scales(op: Operator, graph: Graph, w: Tensor, out_c: int, axis: int = 0) -> List[float]:
    q = w.quant
    if q is None or not q.scale:
        raise unsupported(op, graph, f"filter tensor '{w.name}' is int8 without quantization "
                          "parameters; a hybrid convolution needs the filter's scale.")
    if any(int(z) != 0 for z in q.zero_point):
        raise unsupported(op, graph, f"filter tensor '{w.name}' has a non-zero zero point; hybrid "
                          "weights are symmetric (zero point 0). Re-convert the model with the "
                          "TFLite converter.")
    if len(q.scale) != 1 and not (len(q.scale) == out_c and q.axis == axis):
        raise unsupported(op, graph, f"filter tensor '{w.name}' has {len(q.scale)} scales along "
                          f"axis {q.axis}; expected 1 or {out_c} along axis {axis} (one per output "
                          "channel).")
    scales = [float(np.float32(s)) for s in q.scale]
    if not all(math.isfinite(s) and s > 0 for s in scales):
        raise malformed(op, graph, f"filter tensor '{w.name}' has a zero, negative or non-finite scale.")
    return scales


def _check_tensors(op: Operator, graph: Graph, x: Tensor, w: Tensor, bias, y: Tensor) -> None:
    if w.dtype != "int8":
        raise unsupported(op, graph, f"hybrid quantization with {w.dtype} weights is not supported; "
                          f"supported: {SUPPORTED}. Re-convert with a current TensorFlow (its "
                          "dynamic-range quantization writes int8 weights).")
    if y.dtype != "float32" or (bias is not None and bias.dtype != "float32"):
        raise unsupported(op, graph, f"dtypes input/filter/bias/output {describe_dtypes([x, w, bias, y])} "
                          f"are not a hybrid convolution utensor supports; supported: {SUPPORTED}.")
    if not w.is_constant:
        raise unsupported(op, graph, f"filter tensor '{w.name}' is not a constant; hybrid "
                          "convolution needs constant weights.")
    if bias is not None and not bias.is_constant:
        raise unsupported(op, graph, f"bias tensor '{bias.name}' is not a constant.")
    for t, role in ((x, "input"), (w, "filter"), (y, "output")):
        require_rank(op, graph, t, 4, role)


def _strides(op: Operator, graph: Graph):
    stride_h = positive_option(op, graph, "stride_h")
    stride_w = positive_option(op, graph, "stride_w")
    dil_h = positive_option(op, graph, "dilation_h_factor")
    dil_w = positive_option(op, graph, "dilation_w_factor")
    if (dil_h, dil_w) != (1, 1):
        raise unsupported(op, graph, f"dilation {dil_h}x{dil_w} is not supported for hybrid "
                          "convolution (only 1x1). Keep the layer float32 or quantize the model "
                          "fully (a representative dataset).")
    return stride_h, stride_w, dil_h, dil_w


def _image_elements(op: Operator, graph: Graph, x: Tensor) -> int:
    n, in_h, in_w, in_c = x.shape
    if n * in_h * in_w * in_c >= 2**31:
        raise unsupported(op, graph, f"input of {n * in_h * in_w * in_c} elements is too large.")
    return in_h * in_w * in_c


def lower_conv2d_hybrid(op: Operator, graph: Graph, x: Tensor, w: Tensor, bias, y: Tensor) -> KernelCall:
    _check_tensors(op, graph, x, w, bias, y)
    n, in_h, in_w, in_c = x.shape
    out_c, f_h, f_w, f_c = w.shape
    if min(n, in_h, in_w, in_c, out_c, f_h, f_w, f_c) < 1:
        raise malformed(op, graph, f"input shape {list(x.shape)} or filter shape {list(w.shape)} "
                        "has an empty dimension.")
    if f_c != in_c:
        # TFLite refuses grouped hybrid convolution too ("Group convolution currently not
        # supported for hybrid kernel").
        raise unsupported(op, graph, f"filter depth {f_c} differs from input depth {in_c} (a grouped "
                          "convolution); hybrid convolution supports no groups, as in TFLite.")
    stride_h, stride_w, dil_h, dil_w = _strides(op, graph)
    out_h, out_w, pad_top, pad_left = conv_output(op, graph, x, y, bias, f_h, f_w, out_c,
                                                  (stride_h, stride_w, dil_h, dil_w))
    scales = _filter_scales(op, graph, w, out_c)
    # TFLite's Prepare: per-channel only when the scales actually differ.
    per_channel = any(s != scales[0] for s in scales)
    act_min, act_max = activation_range_float(activation(op, graph))
    image = _image_elements(op, graph, x)
    shape = dict(batches=n, input_height=in_h, input_width=in_w, input_channels=in_c,
                 filter_height=f_h, filter_width=f_w, filter_input_channels=f_c,
                 output_height=out_h, output_width=out_w, output_channels=out_c,
                 stride_height=stride_h, stride_width=stride_w, dilation_height=dil_h,
                 dilation_width=dil_w, pad_top=pad_top, pad_left=pad_left)
    fields = dict(shape=shape,
                  filter_scale=kernel_params.ConstArray("float", scales if per_channel else scales[:1]),
                  per_channel=per_channel, activation_min=act_min, activation_max=act_max)
    # Scratch: per batch a float factor and an int32 offset, then the int8 copy of the input
    # (conv2d_hybrid_scratch_bytes in the header).
    return _hybrid_call("conv2d_hybrid", "Conv2DHybridParams", fields, n * 8 + n * image)


def _hybrid_call(function: str, struct: str, fields: dict, scratch_bytes: int) -> KernelCall:
    """kernel(params, input, filter, bias or nullptr, output, scratch)."""
    return kernel_call(function, struct, fields, inputs=(0, 1, 2), scratch_type="uint8_t",
                       scratch_bytes=scratch_bytes)


def lower_depthwise_conv2d_hybrid(op: Operator, graph: Graph, x: Tensor, w: Tensor, bias,
                                  y: Tensor) -> KernelCall:
    _check_tensors(op, graph, x, w, bias, y)
    n, in_h, in_w, in_c = x.shape
    one, f_h, f_w, out_c = w.shape
    scales = _filter_scales(op, graph, w, out_c, axis=3)
    if len(scales) != out_c:
        # TFLite's kernel indexes one scale per channel; with a single scale its results
        # match no consistent arithmetic (measured), so there is nothing to reproduce.
        raise unsupported(op, graph, f"hybrid quantization with a single filter scale (per-tensor "
                          f"weights) is not supported for DEPTHWISE_CONV_2D; supported: {out_c} "
                          "scales, one per output channel (TensorFlow's default per-channel "
                          "dynamic-range quantization).")
    if min(n, in_h, in_w, in_c, f_h, f_w, out_c) < 1:
        raise malformed(op, graph, f"input shape {list(x.shape)} or filter shape {list(w.shape)} "
                        "has an empty dimension.")
    _strides(op, graph)  # refuses dilation, which the hybrid kernel does not do
    shape = depthwise_geometry(op, graph, x, w, bias, y)
    act_min, act_max = activation_range_float(activation(op, graph))
    image = _image_elements(op, graph, x)
    fields = dict(shape=shape, filter_scale=kernel_params.ConstArray("float", scales),
                  activation_min=act_min, activation_max=act_max)
    return _hybrid_call("depthwise_conv2d_hybrid", "DepthwiseConv2DHybridParams", fields,
                        n * 8 + n * image)


def lower_fully_connected_hybrid(op: Operator, graph: Graph, x: Tensor, w: Tensor, bias,
                                 y: Tensor) -> KernelCall:
    """FULLY_CONNECTED as TFLite's fully_connected.cc EvalHybridDense: each input row
    quantized on its own (asymmetric_quantize_inputs picks the method), then
    bias + float(sum) * scale, activation. Runs on the conv2d_hybrid kernel as a 1x1
    convolution over a 1x1 image per row (the same integers and float expressions)."""
    if w.dtype != "int8":
        raise unsupported(op, graph, f"hybrid quantization with {w.dtype} weights is not supported; "
                          f"supported: {SUPPORTED}.")
    if y.dtype != "float32" or (bias is not None and bias.dtype != "float32"):
        raise unsupported(op, graph, f"dtypes input/weights/bias/output {describe_dtypes([x, w, bias, y])} "
                          f"are not a hybrid FULLY_CONNECTED utensor supports; supported: {SUPPORTED}.")
    if not w.is_constant or (bias is not None and not bias.is_constant):
        raise unsupported(op, graph, f"weights '{w.name}' or bias are not constants; hybrid "
                          "FULLY_CONNECTED needs constant weights.")
    fmt = op.options.get("weights_format", "DEFAULT") or "DEFAULT"
    if fmt != "DEFAULT":
        raise unsupported(op, graph, f"weights_format {fmt} is not supported (only DEFAULT).")
    if len(w.shape) != 2:
        raise unsupported(op, graph, f"weights tensor '{w.name}' has shape {list(w.shape)}; "
                          "FULLY_CONNECTED needs 2-D weights [output depth, input depth].")
    units, depth = (int(d) for d in w.shape)
    if units < 1 or depth < 1 or x.num_elements % depth != 0 or x.num_elements == 0:
        raise malformed(op, graph, f"input '{x.name}' of shape {list(x.shape)} is not a whole "
                        f"number of rows of {depth} (the weights' input depth).")
    batches = x.num_elements // depth
    if y.num_elements != batches * units or (y.shape and y.shape[-1] != units):
        raise malformed(op, graph, f"output '{y.name}' has shape {list(y.shape)}; expected "
                        f"{batches} rows of {units}.")
    if bias is not None and bias.num_elements != units:
        raise malformed(op, graph, f"bias '{bias.name}' has {bias.num_elements} elements; "
                        f"expected {units}.")
    if x.num_elements >= 2**31:
        raise unsupported(op, graph, f"input of {x.num_elements} elements is too large.")
    scales = _filter_scales(op, graph, w, units, axis=0)
    asymmetric = bool(op.options.get("asymmetric_quantize_inputs", False))
    distinct = any(s != scales[0] for s in scales)
    if distinct and not asymmetric:
        raise unsupported(op, graph, "per-channel weights with symmetric input quantization "
                          "(asymmetric_quantize_inputs false) are not supported; TensorFlow's "
                          "dynamic-range converter writes asymmetric_quantize_inputs true.")
    act_min, act_max = activation_range_float(activation(op, graph))
    # A 1x1 convolution over a 1x1 image per row.
    shape = dict(batches=batches, input_height=1, input_width=1, input_channels=depth,
                 filter_height=1, filter_width=1, filter_input_channels=depth, output_height=1,
                 output_width=1, output_channels=units, stride_height=1, stride_width=1,
                 dilation_height=1, dilation_width=1, pad_top=0, pad_left=0)
    # The asymmetric kernel path computes scale = factor * filter_scale[c] per output:
    # with one weight scale that is TFLite's (factor * filter scale) exactly.
    scale = (scales if len(scales) == units else scales * units) if asymmetric else scales[:1]
    fields = dict(shape=shape, filter_scale=kernel_params.ConstArray("float", scale),
                  per_channel=asymmetric, activation_min=act_min, activation_max=act_max)
    return _hybrid_call("conv2d_hybrid", "Conv2DHybridParams", fields,
                        batches * 8 + batches * depth)


__all__ = ["is_hybrid", "lower_conv2d_hybrid", "lower_depthwise_conv2d_hybrid",
           "lower_fully_connected_hybrid"]
