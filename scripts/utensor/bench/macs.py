"""Multiply-accumulates per operator, from shapes alone (what a layer must compute,
whatever the kernel): the denominator of "MACs per instruction"."""

import numpy as np

from ..ir import Graph


def _elements(shape) -> int:
    return int(np.prod(shape)) if len(shape) else 1


def operator_macs(graph: Graph, op) -> int:
    """MACs of one operator; 0 for operators without multiply-accumulates (pooling,
    elementwise, softmax, reshape...)."""
    if not op.outputs or op.outputs[0] < 0:
        return 0
    from ..ops._residual_block import parts_of  # pylint: disable=import-outside-toplevel

    if parts_of(op) is not None:  # a fused residual block: its convolutions' MACs
        return sum(operator_macs(graph, part) for part in parts_of(op))
    out = graph.tensor(op.outputs[0]).shape
    weights = graph.tensor(op.inputs[1]).shape if len(op.inputs) > 1 and op.inputs[1] >= 0 else ()
    if op.op_type == "CONV_2D" and len(weights) == 4:
        # filter [out_ch, kh, kw, in_ch / groups]: each output element reads one window.
        return _elements(out) * weights[1] * weights[2] * weights[3]
    if op.op_type == "DEPTHWISE_CONV_2D" and len(weights) == 4:
        # filter [1, kh, kw, out_ch]: one window of one channel per output element.
        return _elements(out) * weights[1] * weights[2]
    if op.op_type == "FULLY_CONNECTED" and len(weights) == 2:
        # weights [units, depth]: depth MACs per output element.
        return _elements(out) * weights[1]
    if op.op_type == "SVDF" and len(weights) == 2 and len(op.inputs) > 2 and op.inputs[2] >= 0:
        # per batch: the feature matrix [filters, input] and the time weights [filters, memory].
        batches = out[0] if out else 1
        return batches * weights[0] * (weights[1] + graph.tensor(op.inputs[2]).shape[1])
    if op.op_type == "UNIDIRECTIONAL_SEQUENCE_LSTM" and len(op.inputs) > 6 and op.inputs[2] >= 0:
        # per batch and time step: four gates of [units, input] and [units, units] weights.
        units, n_in = graph.tensor(op.inputs[2]).shape
        steps = _elements(out) // max(units, 1)
        return steps * 4 * units * (n_in + units)
    return 0
