"""16x8 UNIDIRECTIONAL_SEQUENCE_LSTM models (int16 activations, int8 weights, int64 biases,
int16 cell state), written as flatbuffers.

TensorFlow 2.21's converter refuses to quantize an LSTM to 16x8 ("Quantization to 16x8-bit
not yet supported for op: 'UNIDIRECTIONAL_SEQUENCE_LSTM'", kept checked by
test_lstm_int.py), yet TFLite Micro runs the 16x8 LSTM (EvalLstm<int16_t, int8_t, int16_t,
int64_t>). So the float model of lstm_models.build_lstm_model is calibrated here with a
float LSTM in numpy over seeded sequences (the state carried, as the tests stream them) and
quantized the way TensorFlow's 16x8 recipe quantizes the layers it does take:
- activations (input, output state, output, the optional head's output): int16, symmetric
  (zero point 0), scale max|calibrated range| / 32767;
- weights: int8, symmetric, one scale per tensor (max|w| / 127), as TensorFlow's quantizer
  writes LSTM weights;
- gate biases: int64, scale = input scale x that gate's input weights scale;
- cell state: int16 with a power-of-two scale 2^pot / 32768, pot the smallest of 0..10 with
  2^pot >= max|calibrated cell| (TensorFlow's GetPowerOfTwoScale, which is how its int8
  models get their 2^-15 .. 2^-11 cell scales);
- the optional FULLY_CONNECTED head: int8 weights, int64 bias, int16 output.
No intermediate tensors: TFLite Micro's LSTM (the standard cell) never reads them.
"""

from typing import Dict, List, Optional, Sequence

import numpy as np

from lstm_models import build_lstm_model

INT16_MAX = 32767


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def float_lstm(x: np.ndarray, w_x: Sequence[np.ndarray], w_h: Sequence[np.ndarray], b: Sequence[np.ndarray],
               h: np.ndarray, c: np.ndarray, time_major: bool, clip: float = 0.0):
    """The float LSTM over one invoke: x [B, T, I] (or [T, B, I]); h, c [B, U] updated in
    place. Returns the output sequence and the largest |cell| seen."""
    xs = np.transpose(x, (1, 0, 2)) if time_major else x
    batches, steps = xs.shape[0], xs.shape[1]
    out = np.zeros((batches, steps, h.shape[1]))
    cmax = 0.0
    for bi in range(batches):
        for t in range(steps):
            v = xs[bi, t]
            g = [w_x[k] @ v + w_h[k] @ h[bi] + b[k] for k in range(4)]
            i, f, cg, o = _sigmoid(g[0]), _sigmoid(g[1]), np.tanh(g[2]), _sigmoid(g[3])
            c[bi] = f * c[bi] + i * cg
            if clip > 0:
                c[bi] = np.clip(c[bi], -clip, clip)
            cmax = max(cmax, float(np.max(np.abs(c[bi]))))
            h[bi] = o * np.tanh(c[bi])
            out[bi, t] = h[bi]
    return (np.transpose(out, (1, 0, 2)) if time_major else out), cmax


def pot_cell_scale(cell_range: float) -> float:
    """TensorFlow's GetPowerOfTwoScale for the int16 cell state: 2^pot / 32768."""
    pot = 0
    for _ in range(10):
        if 2.0 ** pot < cell_range:
            pot += 1
    return 2.0 ** pot / 32768.0


def calibration_sequences(shape, seed: int, sequences: int = 4, steps: int = 12) -> List[List[np.ndarray]]:
    rng = np.random.RandomState(seed)
    return [[rng.uniform(-1.5, 1.5, size=shape) for _ in range(steps)] for _ in range(sequences)]


class _Fb:
    """The float flatbuffer opened for editing with TFLite's object API."""

    def __init__(self, model: bytes):
        from tensorflow.lite.python import schema_py_generated as fb  # pylint: disable=import-outside-toplevel

        self.fb = fb
        self.m = fb.ModelT.InitFromObj(fb.Model.GetRootAsModel(model, 0))
        self.sg = self.m.subgraphs[0]

    def data(self, index: int) -> np.ndarray:
        t = self.sg.tensors[index]
        return np.frombuffer(bytes(bytearray(self.m.buffers[t.buffer].data)), dtype=np.float32).reshape(t.shape)

    def quantize(self, index: int, dtype: str, scale: float, zero_point: int = 0,
                 values: Optional[np.ndarray] = None) -> None:
        fb = self.fb
        t = self.sg.tensors[index]
        t.type = {"int8": fb.TensorType.INT8, "int16": fb.TensorType.INT16, "int64": fb.TensorType.INT64}[dtype]
        q = fb.QuantizationParametersT()
        q.scale, q.zeroPoint = [float(np.float32(scale))], [int(zero_point)]
        t.quantization = q
        if values is not None:
            self.m.buffers[t.buffer].data = list(np.ascontiguousarray(values.astype(dtype)).tobytes())

    def bytes(self) -> bytes:
        import flatbuffers  # pylint: disable=import-outside-toplevel

        self.m.description = "utensor test: 16x8 UNIDIRECTIONAL_SEQUENCE_LSTM"
        b = flatbuffers.Builder(4096)
        b.Finish(self.m.Pack(b), file_identifier=b"TFL3")
        return bytes(b.Output())


def _sym(values: np.ndarray, qmax: int) -> float:
    m = float(np.max(np.abs(values))) if values.size else 0.0
    return (m if m > 0 else 1.0) / qmax


def _weights(f: _Fb, index: int) -> float:
    w = f.data(index).astype(np.float64)
    scale = float(np.float32(_sym(w, 127)))
    f.quantize(index, "int8", scale, 0, np.clip(np.round(w / scale), -127, 127))
    return scale


def build_lstm16_model(input_size: int, units: List[int], time_steps: int, seed: int, batch: int = 1,
                       time_major: bool = False, cell_clip: float = 0.0, head: Optional[int] = None,
                       calibration: Optional[Dict] = None) -> bytes:
    """The float model of build_lstm_model (same arguments, same weights), quantized 16x8.
    `calibration` (a dict) receives the float model's outputs on the calibration set, for
    checking that the quantized model means the same."""
    model = build_lstm_model(input_size, units, time_steps, seed, batch=batch, time_major=time_major,
                             cell_clip=cell_clip, head=head)
    f = _Fb(model)
    ops = f.sg.operators
    lstms = [op for op in ops if len(op.inputs) == 24]
    seq_shape = (time_steps, batch) if time_major else (batch, time_steps)
    sequences = calibration_sequences(seq_shape + (input_size,), seed + 1)
    # Float forward pass over every calibration sequence, layer by layer, state carried.
    layer_in = [[x for x in seq] for seq in sequences]
    x_scale = _sym(np.array([x for seq in sequences for x in seq]), INT16_MAX)
    f.quantize(lstms[0].inputs[0], "int16", x_scale)
    for op in lstms:
        w_x = [f.data(op.inputs[s]).astype(np.float64) for s in (1, 2, 3, 4)]
        w_h = [f.data(op.inputs[s]).astype(np.float64) for s in (5, 6, 7, 8)]
        b = [f.data(op.inputs[s]).astype(np.float64) for s in (12, 13, 14, 15)]
        n = w_x[0].shape[0]
        outs, cmax = [], 0.0
        for seq in layer_in:
            h, c = np.zeros((batch, n)), np.zeros((batch, n))
            ys = []
            for x in seq:
                y, m = float_lstm(x, w_x, w_h, b, h, c, time_major, cell_clip)
                ys.append(y)
                cmax = max(cmax, m)
            outs.append(ys)
        h_scale = float(np.float32(_sym(np.array([y for ys in outs for y in ys]), INT16_MAX)))
        for k, s in enumerate((1, 2, 3, 4)):
            w_scale = _weights(f, op.inputs[s])
            bias_scale = float(np.float32(x_scale)) * w_scale
            f.quantize(op.inputs[12 + k], "int64", bias_scale, 0, np.round(b[k] / bias_scale))
        for s in (5, 6, 7, 8):
            _weights(f, op.inputs[s])
        f.quantize(op.inputs[18], "int16", h_scale)
        f.quantize(op.inputs[19], "int16", pot_cell_scale(cmax))
        f.quantize(op.outputs[0], "int16", h_scale)
        layer_in, x_scale = outs, h_scale
    result = layer_in
    if head:
        fc = ops[-1]
        w = f.data(fc.inputs[1]).astype(np.float64)
        bias = f.data(fc.inputs[2]).astype(np.float64)
        result = [[y @ w.T + bias for y in ys] for ys in layer_in]
        w_scale = _weights(f, fc.inputs[1])
        bias_scale = float(np.float32(x_scale)) * w_scale
        f.quantize(fc.inputs[2], "int64", bias_scale, 0, np.round(bias / bias_scale))
        f.quantize(fc.outputs[0], "int16", _sym(np.array([y for ys in result for y in ys]), INT16_MAX))
    if calibration is not None:
        calibration["inputs"], calibration["outputs"] = sequences, result
    return f.bytes()


def quantize_input(model: bytes, x: np.ndarray) -> np.ndarray:
    """A float input sequence as the 16x8 model's int16 input."""
    f = _Fb(model)
    t = f.sg.tensors[f.sg.inputs[0]]
    return np.clip(np.round(x / t.quantization.scale[0]), -32768, 32767).astype(np.int16)


def output_scale(model: bytes) -> float:
    f = _Fb(model)
    return float(f.sg.tensors[f.sg.outputs[0]].quantization.scale[0])
