"""UNIDIRECTIONAL_SEQUENCE_LSTM models built as TFLite flatbuffers (TensorFlow's schema
object API).

With Keras 3 (TF 2.21), TensorFlow's converter turns a Keras LSTM into a WHILE loop over
subgraphs, not into the fused operator (that needs Keras 2's `tf_keras`, whose LSTM carries
the `experimental_implements` annotation the converter fuses). So the tests write the fused
operator as TFLite defines it: 24 inputs (input, 4 input weights, 4 recurrent weights, 3
peephole weights, 4 gate biases, projection weights and bias, output state and cell state
(variable tensors), 4 layer-norm coefficients), -1 for the optional ones left out, and one
output [batch, time, units] (batch major) or [time, batch, units] (time major).
tflite_micro runs them as the oracle.
"""

from typing import List, Optional

import numpy as np


def build_lstm_model(input_size: int, units: List[int], time_steps: int, seed: int, batch: int = 1,
                     time_major: bool = False, cell_clip: float = 0.0, head: Optional[int] = None) -> bytes:
    """float32 stacked LSTM layers (each returning its whole sequence: TANH, no peephole,
    projection, layer norm or CIFG), then optionally a FULLY_CONNECTED head of `head` units
    over every time step (keep_num_dims)."""
    import flatbuffers  # pylint: disable=import-outside-toplevel
    from tensorflow.lite.python import schema_py_generated as fb  # pylint: disable=import-outside-toplevel

    rng = np.random.RandomState(seed)
    buffers: List = [fb.BufferT()]
    tensors: List = []
    T = fb.TensorType

    def tensor(name, shape, data: Optional[np.ndarray] = None, variable=False) -> int:
        t = fb.TensorT()
        t.name, t.shape, t.type, t.isVariable = name, list(shape), T.FLOAT32, variable
        t.buffer = 0
        if data is not None:
            b = fb.BufferT()
            b.data = list(np.ascontiguousarray(data, dtype=np.float32).tobytes())
            buffers.append(b)
            t.buffer = len(buffers) - 1
        tensors.append(t)
        return len(tensors) - 1

    codes = []

    def opcode(op) -> int:
        if op not in codes:
            codes.append(op)
        return codes.index(op)

    seq_shape = (time_steps, batch) if time_major else (batch, time_steps)
    x = tensor("input", seq_shape + (input_size,))
    first, width, ops = x, input_size, []
    for k, n in enumerate(units):
        scale = 1.0 / np.sqrt(width + n)
        w_in = [tensor(f"lstm{k}/w_x{g}", (n, width), rng.uniform(-2, 2, (n, width)) * scale) for g in "ifco"]
        w_rec = [tensor(f"lstm{k}/w_h{g}", (n, n), rng.uniform(-2, 2, (n, n)) * scale) for g in "ifco"]
        bias = [tensor(f"lstm{k}/b_{g}", (n,), rng.uniform(-0.5, 0.5, (n,)) + (1.0 if g == "f" else 0.0))
                for g in "ifco"]
        h = tensor(f"lstm{k}/output_state", (batch, n), variable=True)
        c = tensor(f"lstm{k}/cell_state", (batch, n), variable=True)
        y = tensor(f"lstm{k}/output", seq_shape + (n,))
        op = fb.OperatorT()
        op.opcodeIndex = opcode(fb.BuiltinOperator.UNIDIRECTIONAL_SEQUENCE_LSTM)
        op.inputs = [x] + w_in + w_rec + [-1, -1, -1] + bias + [-1, -1, h, c, -1, -1, -1, -1]
        op.outputs = [y]
        op.builtinOptionsType = fb.BuiltinOptions.UnidirectionalSequenceLSTMOptions
        o = fb.UnidirectionalSequenceLSTMOptionsT()
        o.fusedActivationFunction = fb.ActivationFunctionType.TANH
        o.cellClip, o.projClip, o.timeMajor = float(cell_clip), 0.0, bool(time_major)
        op.builtinOptions = o
        ops.append(op)
        x, width = y, n
    if head:
        w = tensor("head/weights", (head, width), rng.uniform(-1, 1, (head, width)))
        b = tensor("head/bias", (head,), rng.uniform(-0.1, 0.1, (head,)))
        y = tensor("head/output", seq_shape + (head,))
        op = fb.OperatorT()
        op.opcodeIndex = opcode(fb.BuiltinOperator.FULLY_CONNECTED)
        op.inputs, op.outputs = [x, w, b], [y]
        op.builtinOptionsType = fb.BuiltinOptions.FullyConnectedOptions
        op.builtinOptions = fb.FullyConnectedOptionsT()
        op.builtinOptions.keepNumDims = True
        ops.append(op)
        x = y
    model = fb.ModelT()
    model.version = 3
    model.operatorCodes = []
    for c_ in codes:
        oc = fb.OperatorCodeT()
        oc.builtinCode = c_
        oc.deprecatedBuiltinCode = min(c_, 127)
        oc.version = 1
        model.operatorCodes.append(oc)
    sub = fb.SubGraphT()
    sub.tensors, sub.operators, sub.inputs, sub.outputs, sub.name = tensors, ops, [first], [x], "main"
    model.subgraphs, model.buffers = [sub], buffers
    model.description = "utensor test: UNIDIRECTIONAL_SEQUENCE_LSTM"
    builder = flatbuffers.Builder(4096)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())
