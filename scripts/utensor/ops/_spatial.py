"""Helpers shared by the spatial lowerings (conv, pooling, pad, reduce, concat, transpose,
slice): TFLite's padding arithmetic and shape checks, on top of _common's messages.
"""

from typing import Dict, List, Optional, Sequence, Tuple

from ..ir import Graph, Operator, Tensor
from ._common import malformed, unsupported

PADDINGS = ("SAME", "VALID")


def padding(op: Operator, graph: Graph) -> str:
    pad = op.options.get("padding", "SAME")
    if pad not in PADDINGS:
        raise unsupported(op, graph, f"padding {pad} is not supported (SAME or VALID).")
    return pad


def positive_option(op: Operator, graph: Graph, name: str, default: int = 1) -> int:
    value = op.options.get(name, default)
    value = default if value is None else int(value)
    if value < 1:
        raise malformed(op, graph, f"option {name} is {value}; it must be at least 1.")
    return value


def out_size(pad: str, image: int, filt: int, stride: int, dilation: int) -> int:
    """TFLite's ComputeOutSize."""
    effective = (filt - 1) * dilation + 1
    if pad == "SAME":
        return (image + stride - 1) // stride
    return (image + stride - effective) // stride


def pad_before(stride: int, dilation: int, image: int, filt: int, out: int) -> int:
    """TFLite's ComputePaddingWithOffset: the padding before the image; an odd total puts
    the extra element after it (bottom/right)."""
    effective = (filt - 1) * dilation + 1
    total = max((out - 1) * stride + effective - image, 0)
    return total // 2


# Operator option set by passes.fold_pad_into_conv: the (top, bottom, left, right)
# padding of a PAD folded into a VALID convolution, applied as if it were the input's.
FUSED_PADDING = "fused_padding"

# Operator option set by passes.depthwise_as_conv: the DEPTHWISE_CONV_2D's filter input now
# holds the CONV_2D layout [C_OUT, KH, KW, 1] and ops/conv.py lowers it as a convolution.
DEPTHWISE_AS_CONV = "depthwise_as_conv"


def axis_geometry(pad: str, image: int, filt: int, stride: int, dilation: int,
                  fused=(0, 0)):
    """(output size, padding before the image) along one axis: TFLite's
    ComputePaddingHeightWidth, or VALID over the image plus a folded PAD's (before, after)."""
    if fused != (0, 0):
        before, after = fused
        return out_size("VALID", image + before + after, filt, stride, dilation), before
    out = out_size(pad, image, filt, stride, dilation)
    return out, (pad_before(stride, dilation, image, filt, out) if pad == "SAME" else 0)


def spatial(op: Operator, graph: Graph, in_h: int, in_w: int, f_h: int, f_w: int,
            stride_h: int, stride_w: int, dil_h: int = 1, dil_w: int = 1):
    """(out_h, out_w, pad_top, pad_left) as TFLite's ComputePaddingHeightWidth (with a
    folded PAD's padding, see passes.fold_pad_into_conv)."""
    pad = padding(op, graph)
    top, bottom, left, right = op.options.get(FUSED_PADDING, (0, 0, 0, 0))
    out_h, pad_top = axis_geometry(pad, in_h, f_h, stride_h, dil_h, (top, bottom))
    out_w, pad_left = axis_geometry(pad, in_w, f_w, stride_w, dil_w, (left, right))
    return out_h, out_w, pad_top, pad_left


def conv_output(op: Operator, graph: Graph, x: Tensor, y: Tensor, bias: Optional[Tensor],
                f_h: int, f_w: int, out_c: int, stride_dil: Tuple[int, int, int, int]):
    """What every convolution lowering checks of its bias and output: a bias of out_c
    values and an NHWC output of the computed size. Returns (out_h, out_w, pad_top,
    pad_left); stride_dil is (stride_h, stride_w, dilation_h, dilation_w)."""
    if bias is not None and bias.num_elements != out_c:
        raise malformed(op, graph, f"bias '{bias.name}' has {bias.num_elements} values for "
                        f"{out_c} output channels.")
    stride_h, stride_w, dil_h, dil_w = stride_dil
    n, in_h, in_w = x.shape[0], x.shape[1], x.shape[2]
    geometry = spatial(op, graph, in_h, in_w, f_h, f_w, stride_h, stride_w, dil_h, dil_w)
    require_shape(op, graph, y, (n, geometry[0], geometry[1], out_c))
    return geometry


def require_rank(op: Operator, graph: Graph, t: Tensor, rank: int, role: str) -> None:
    if len(t.shape) != rank:
        raise unsupported(op, graph, f"{role} tensor '{t.name}' has shape {list(t.shape)}; "
                          f"only rank-{rank} tensors are supported here.")


def require_shape(op: Operator, graph: Graph, t: Tensor, expected: Sequence[int]) -> None:
    if tuple(t.shape) != tuple(expected):
        raise malformed(op, graph, f"output tensor '{t.name}' has shape {list(t.shape)}, but the "
                        f"operator computes {list(expected)}.")


def same_quant(a: Tensor, b: Tensor) -> bool:
    if a.quant is None or b.quant is None:
        return a.quant is None and b.quant is None
    return (tuple(float(s) for s in a.quant.scale) == tuple(float(s) for s in b.quant.scale)
            and tuple(a.quant.zero_point) == tuple(b.quant.zero_point))


def constant_ints(op: Operator, graph: Graph, t: Optional[Tensor], role: str) -> List[int]:
    """The values of a constant integer tensor (axes, paddings, begin/end/strides)."""
    if t is None or not t.is_constant:
        raise unsupported(op, graph, f"{role} must be a constant tensor (computed at run time "
                          "is not supported).")
    if t.dtype not in ("int32", "int64", "int16", "int8"):
        raise malformed(op, graph, f"{role} tensor '{t.name}' has dtype {t.dtype}; expected int32.")
    return [int(v) for v in t.data.reshape(-1).tolist()]


def strides(op: Operator, graph: Graph) -> Tuple[int, int, int, int]:
    """(stride_h, stride_w, dilation_h, dilation_w) of a window operator, each at least 1."""
    return (positive_option(op, graph, "stride_h"), positive_option(op, graph, "stride_w"),
            positive_option(op, graph, "dilation_h_factor"),
            positive_option(op, graph, "dilation_w_factor"))


def depthwise_geometry(op: Operator, graph: Graph, x: Tensor, w: Tensor, bias: Optional[Tensor],
                       y: Tensor) -> Dict[str, int]:
    """The DepthwiseConv2DShape of a rank-4 depthwise convolution (by field name), after
    checking the filter, the depth_multiplier option, the bias and the output against each
    other."""
    n, in_h, in_w, in_c = x.shape
    one, f_h, f_w, out_c = w.shape
    # TFLite derives the multiplier from the shapes (the option is unreliable in old files).
    if one != 1 or in_c < 1 or out_c % in_c != 0:
        raise malformed(op, graph, f"filter shape {list(w.shape)} does not fit input depth "
                        f"{in_c} (expected [1, KH, KW, {in_c} * depth_multiplier]).")
    multiplier = out_c // in_c
    # TFLite Micro's kernel loops over the option, not the shapes: a file where they
    # disagree would make it read past the filter, so no answer is the right one.
    option = op.options.get("depth_multiplier", multiplier)
    if option != multiplier:
        raise malformed(op, graph, f"option depth_multiplier is {option}, but {out_c} filter channels "
                        f"over {in_c} input channels make it {multiplier}.")
    stride_h, stride_w, dil_h, dil_w = strides(op, graph)
    out_h, out_w, pad_top, pad_left = conv_output(op, graph, x, y, bias, f_h, f_w, out_c,
                                                  (stride_h, stride_w, dil_h, dil_w))
    return dict(batches=n, input_height=in_h, input_width=in_w, input_channels=in_c,
                depth_multiplier=multiplier, filter_height=f_h, filter_width=f_w,
                output_height=out_h, output_width=out_w, stride_height=stride_h,
                stride_width=stride_w, dilation_height=dil_h, dilation_width=dil_w,
                pad_top=pad_top, pad_left=pad_left)
