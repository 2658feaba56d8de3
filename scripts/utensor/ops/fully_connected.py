"""Lowering of FULLY_CONNECTED (int8 per-tensor and per-channel weights, float32).

Kernel: runtime/include/utensor/kernels/fully_connected.hpp. int8 requantization follows
TFLite Micro's CalculateOpDataFullyConnected: per-tensor weights use
GetQuantizedConvolutionMultipler, per-channel weights input * filter[c] / output in double;
both through QuantizeMultiplier. With constant weights the input zero point is folded into
the bias here (bias + (-input_zp) * sum of the weight row): the same integers, computed once.
"""


import numpy as np

from ..ir import Graph, Operator
from ..quantization import (
    activation_range, activation_range_float, conv_multiplier, per_channel_multipliers,
    quantize_multiplier,
)
from .. import kernel_params
from . import KernelCall, register
from .hybrid import is_hybrid, lower_fully_connected_hybrid
from ._common import activation, malformed, per_tensor, unsupported, weighted_dtype
from ._dense import io_tensors
from ._requant import accumulator_bound, fast_requant
from ._s16 import is_s16, lower_fully_connected_s16

SUPPORTED = (
    "int8 input/weights/output with optional int32 bias, float32 throughout, float32 "
    "activations with int8 weights (hybrid), or 16x8 (int16 activations, int8 weights, int64 bias)"
)


def _shape(op, graph, x, w, bias, y):
    if len(w.shape) != 2:
        raise unsupported(op, graph, f"weights tensor '{w.name}' has shape {list(w.shape)}; "
                          "FULLY_CONNECTED needs 2-D weights [output depth, input depth].")
    out_depth, depth = (int(d) for d in w.shape)
    if depth <= 0 or x.num_elements % depth != 0:
        raise malformed(op, graph, f"input '{x.name}' of shape {list(x.shape)} is not a whole "
                        f"number of rows of {depth} (the weights' input depth).")
    batches = x.num_elements // depth
    if y.num_elements != batches * out_depth or (y.shape and y.shape[-1] != out_depth):
        raise malformed(op, graph, f"output '{y.name}' has shape {list(y.shape)}; expected "
                        f"{batches} rows of {out_depth}.")
    if bias is not None and bias.num_elements != out_depth:
        raise malformed(op, graph, f"bias '{bias.name}' has {bias.num_elements} elements; "
                        f"expected {out_depth}.")
    return batches, depth, out_depth


def _int8_params(op, graph, x, w, bias, y, out_depth) -> dict:
    """Everything the int8 kernel needs, worked out: zero points, multipliers and shifts,
    the bias with the input zero point folded in, the fast requantization table and the
    interleaved weights (None where not used)."""
    in_scale, in_zp = per_tensor(op, graph, x, "input")
    out_scale, out_zp = per_tensor(op, graph, y, "output")
    q = w.quant
    if q is None or not q.scale:
        raise unsupported(op, graph, f"weights tensor '{w.name}' is int8 without quantization "
                          "parameters.")
    if any(int(z) != 0 for z in q.zero_point):
        raise unsupported(op, graph, f"weights tensor '{w.name}' has a non-zero zero point; "
                          "TFLite int8 weights are symmetric (zero point 0). Re-quantize the "
                          "model with the TFLite converter.")
    if len(q.scale) == 1:
        # TFLM's GetQuantizedConvolutionMultipler refuses a bias scale (0 when absent) far
        # from input scale * weight scale; so does utensor, rather than compute otherwise.
        if bias is not None:
            bias_scale = float(bias.quant.scale[0]) if bias.quant and bias.quant.scale else 0.0
            product = conv_multiplier(in_scale, float(q.scale[0]), 1.0)
            if abs(product - float(np.float32(bias_scale))) / float(np.float32(out_scale)) > 0.02:
                raise malformed(op, graph, f"bias '{bias.name}' has scale {bias_scale:g}, but input scale "
                                f"x weight scale is {product:g}; they must agree.")
        m, s = quantize_multiplier(conv_multiplier(in_scale, float(q.scale[0]), out_scale))
        mult, shift, per_channel = [m], [s], False
    elif len(q.scale) == out_depth and q.axis == 0:
        mult, shift = per_channel_multipliers(in_scale, [float(v) for v in q.scale], out_scale)
        per_channel = True
    else:
        raise unsupported(op, graph, f"weights tensor '{w.name}' has {len(q.scale)} scales along "
                          f"axis {q.axis}; expected 1 or {out_depth} along axis 0.")
    act_min, act_max = activation_range(activation(op, graph), "int8", out_scale, out_zp)
    params = dict(input_offset=-in_zp, output_offset=out_zp, multipliers=mult, shifts=shift,
                  per_channel=per_channel, act_min=act_min, act_max=act_max, folded_bias=None)
    foldable = w.is_constant and (bias is None or bias.is_constant)
    if foldable and in_zp != 0:
        rows = np.asarray(w.data, dtype=np.int64).reshape(out_depth, -1).sum(axis=1)
        base = np.zeros(out_depth, np.int64) if bias is None else np.asarray(bias.data, np.int64).reshape(-1)
        folded = base + rows * (-in_zp)
        # TFLite accumulates in int32; keep the fold only when it cannot change wrap-around.
        if folded.min() >= -(2**31) and folded.max() < 2**31:
            params["folded_bias"] = [int(v) for v in folded]
            params["input_offset"] = 0
    params.update(_fast_params(w, bias, params, in_zp, out_zp, out_depth,
                               _largest_fc(graph) >= INTERLEAVE_MIN_MACS) if foldable else
                  dict(fast_requant=None, filter_interleaved=None))
    return params


# The interleaved 4-row kernel costs about 1.2 KB of code beside the row loop's, once per
# firmware: a model uses it only when one of its FULLY_CONNECTED layers has at least this
# many multiply-accumulates per input row. Below, e.g. a classifier's last 64 x 12 layer
# (kws), the row loop costs ~900 instructions more per inference, 0.02% of the model, and
# the firmware links 1.2 KB less (issue 15).
INTERLEAVE_MIN_MACS = 2048


def _largest_fc(graph) -> int:
    """The most multiply-accumulates per input row of any FULLY_CONNECTED in the graph."""
    largest = 0
    for other in graph.operators:
        if other.op_type == "FULLY_CONNECTED" and len(other.inputs) > 1 and other.inputs[1] >= 0:
            wshape = graph.tensor(other.inputs[1]).shape
            if len(wshape) == 2:
                largest = max(largest, int(wshape[0]) * int(wshape[1]))
    return largest


def _fast_params(w, bias, params, in_zp, out_zp, out_depth, worth_interleaving=True) -> dict:
    """Constant weights: the fast requantization table when it is provably exact, and the
    weights interleaved for the DSP kernel when the input offset is folded."""
    weights = np.asarray(w.data, dtype=np.int64).reshape(out_depth, -1)
    if params["folded_bias"] is not None:
        acc_bias, input_range = params["folded_bias"], 128
    else:
        acc_bias = None if bias is None else np.asarray(bias.data, np.int64).reshape(-1)
        input_range = max(127 - in_zp, in_zp + 128)  # |x - zero point| for int8 x
    bounds = accumulator_bound(weights, acc_bias, 0, input_range)
    if not params["per_channel"]:
        bounds = [max(bounds)]
    table = fast_requant(params["multipliers"], params["shifts"], out_zp, bounds)
    depth = weights.shape[1]
    # The DSP kernel's 4-row assembly: needs all three (fully_connected.hpp), and the model
    # must have a layer large enough to pay for its code (see INTERLEAVE_MIN_MACS).
    interleaved = None
    if (table is not None and params["input_offset"] == 0 and depth % 8 == 0 and out_depth >= 4
            and worth_interleaving):
        interleaved = interleave_rows4(weights)
    return dict(fast_requant=table, filter_interleaved=interleaved)


def interleave_rows4(weights: np.ndarray) -> np.ndarray:
    """The DSP kernel's weight layout (fully_connected.hpp) for a depth that is a multiple
    of 4: per group of 4 rows, the 4 rows' bytes [4k, 4k + 4) one after the other for every
    k < depth / 4; the out_depth % 4 last rows unchanged. Same size."""
    out_depth, depth = weights.shape
    groups = out_depth // 4
    head = weights[:4 * groups].reshape(groups, 4, depth // 4, 4).transpose(0, 2, 1, 3)
    return np.concatenate([head.reshape(-1), weights[4 * groups:].reshape(-1)]).astype(np.int8)


def activation_peak(graph: Graph) -> int:
    """The largest sum of one operator's activation inputs and outputs: a lower bound of
    any arena for the graph."""
    peak = 0
    for op in graph.operators:
        tensors = [graph.tensor(i) for i in list(op.inputs) + list(op.outputs) if i >= 0]
        peak = max(peak, sum(t.nbytes for t in tensors if not t.is_constant))
    return peak


def widen_scratch(graph: Graph, x, y, params: dict) -> int:
    """Scratch for the DSP kernel to widen the input once (2 bytes per input; 18 instead of
    20 instructions per 16 multiply-accumulates), only where this layer's buffers and it
    stay within the arena any plan needs anyway: it never grows the arena."""
    if params.get("filter_interleaved") is None:
        return 0
    need = 2 * params["fields"]["shape"]["accum_depth"]
    return need if x.nbytes + y.nbytes + need <= activation_peak(graph) else 0


def lower_fully_connected(op: Operator, graph: Graph) -> KernelCall:
    (x, w, bias), (y,) = io_tensors(op, graph, 2, 3)
    if is_hybrid(x, w):  # float32 activations, int8 weights: ops/hybrid.py
        return lower_fully_connected_hybrid(op, graph, x, w, bias, y)
    if is_s16(x):  # 16x8 quantization: ops/_s16.py
        fmt = op.options.get("weights_format", "DEFAULT") or "DEFAULT"
        if fmt != "DEFAULT":
            raise unsupported(op, graph, f"weights_format {fmt} is not supported (only DEFAULT).")
        batches, depth, out_depth = _shape(op, graph, x, w, bias, y)
        return lower_fully_connected_s16(op, graph, x, w, bias, y, dict(
            batches=batches, accum_depth=depth, output_depth=out_depth))
    dtype = weighted_dtype(op, graph, x, w, bias, y, SUPPORTED)
    fmt = op.options.get("weights_format", "DEFAULT") or "DEFAULT"
    if fmt != "DEFAULT":
        raise unsupported(op, graph, f"weights_format {fmt} is not supported (only DEFAULT).")
    batches, depth, out_depth = _shape(op, graph, x, w, bias, y)
    shape = dict(batches=batches, accum_depth=depth, output_depth=out_depth)
    if dtype == "float32":
        lo, hi = activation_range_float(activation(op, graph))
        fields = dict(shape=shape, activation_min=lo, activation_max=hi)
        return KernelCall(template="ops/fully_connected.j2",
                          params=dict(dtype=dtype, struct="FullyConnectedF32Params", fields=fields))
    q = _int8_params(op, graph, x, w, bias, y, out_depth)
    fast = q["fast_requant"]
    # filter_layout and scratch: the template's (they depend on the build and the plan).
    fields = dict(
        shape=shape, input_offset=q["input_offset"], output_offset=q["output_offset"],
        output_multiplier=kernel_params.ConstArray("int32_t", q["multipliers"]),
        output_shift=kernel_params.ConstArray("int32_t", q["shifts"]),
        per_channel=q["per_channel"], activation_min=q["act_min"], activation_max=q["act_max"],
        fast_requant=kernel_params.ConstArray(
            "FastRequant", fast, "Requantization in the fast form the converter proved exact.")
        if fast is not None else None)
    params = dict(dtype=dtype, struct="FullyConnectedS8Params", fields=fields,
                  folded_bias=q["folded_bias"], filter_interleaved=q["filter_interleaved"])
    scratch = widen_scratch(graph, x, y, params)
    params["wide"] = scratch > 0
    # The entries whose preconditions these are (fully_connected.hpp): the DSP cores then
    # link only the loop the layer runs.
    if q["filter_interleaved"] is None:
        params["entry"] = "_rows"
    elif out_depth % 4 == 0:
        params["entry"] = "_groups4"
    return KernelCall(template="ops/fully_connected.j2", params=params, scratch_bytes=scratch)


register("FULLY_CONNECTED", lower_fully_connected, dtypes=("int8", "float32", "hybrid", "int16"))
