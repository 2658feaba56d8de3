"""SVDF models built directly as TFLite flatbuffers (TensorFlow's schema object API).

No Keras layer becomes SVDF: TensorFlow's converter only fuses it from a legacy TF1 graph
pattern. So the tests write the flatbuffer themselves, the same tensors and options TFLite's
own SVDF tests use: input [batch, input_size], weights_feature [num_filters, input_size],
weights_time [num_filters, memory_size], bias [num_units] (num_units = num_filters / rank),
activation_state [batch, memory_size * num_filters] (a variable tensor), output
[batch, num_units]. Stacked layers feed each layer's output to the next. int8 models follow
the TFLite quantizer's layout: int8 input/feature weights/output, int16 time weights and
state (zero point 0), int32 bias with scale = state scale * time weights scale.
tflite_micro runs them as the oracle.
"""

from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

import numpy as np


@dataclass
class SvdfLayer:
    num_units: int
    rank: int
    memory_size: int
    # A clamp (NONE, RELU, RELU6, RELU_N1_TO_1); float only: TFLM's integer SVDF applies none.
    activation: str = "NONE"
    # TFLM reads the bias unconditionally (tflite_micro crashes without one): False only
    # to check that utensor refuses such a layer.
    bias: bool = True
    # Trained parameters (a Keras model's, see examples/keyword_svdf/train.py) instead of
    # random ones: weights_feature [num_filters, input], weights_time [num_filters, memory],
    # bias [num_units] as float32. int8 models then also need the calibrated ranges: the
    # real value of the int16 state's full scale and the output's (min, max).
    weights_feature: Optional[np.ndarray] = None
    weights_time: Optional[np.ndarray] = None
    bias_values: Optional[np.ndarray] = None
    state_max: Optional[float] = None
    output_range: Optional[Tuple[float, float]] = None


def _asymmetric_int8(lo: float, hi: float) -> Tuple[float, int]:
    """TFLite's int8 (scale, zero point) for a real range (widened to hold 0)."""
    lo, hi = min(float(lo), 0.0), max(float(hi), 0.0)
    scale = (hi - lo) / 255 or 1.0 / 255
    return scale, int(np.clip(np.round(-128 - lo / scale), -128, 127))


def build_svdf_model(input_size: int, layers: Sequence[SvdfLayer], dtype: str, seed: int,
                     batch: int = 1, input_range: Optional[Tuple[float, float]] = None,
                     description: str = "utensor test: stacked SVDF", state_dtype: str = "int16") -> bytes:
    """`input_range`: the int8 input's real (min, max) (default: a random zero point with
    scale 2/255). `state_dtype` (int8 models): "int16" (TFLite's quantizer) or "int8" (int8
    time weights and state, the state with a random zero point)."""
    import flatbuffers  # pylint: disable=import-outside-toplevel
    from tensorflow.lite.python import schema_py_generated as fb  # pylint: disable=import-outside-toplevel

    rng = np.random.RandomState(seed)
    buffers: List = [fb.BufferT()]  # buffer 0: empty, by convention
    tensors: List = []

    def quant(scale: float, zp: int = 0):
        q = fb.QuantizationParametersT()
        q.scale, q.zeroPoint = [float(scale)], [int(zp)]
        return q

    def tensor(name, shape, ttype, data: Optional[np.ndarray] = None, q=None, variable=False) -> int:
        t = fb.TensorT()
        t.name, t.shape, t.type = name, list(shape), ttype
        t.isVariable = variable
        t.quantization = q
        if data is not None:
            b = fb.BufferT()
            b.data = list(np.ascontiguousarray(data).tobytes())
            buffers.append(b)
            t.buffer = len(buffers) - 1
        else:
            t.buffer = 0
        tensors.append(t)
        return len(tensors) - 1

    T = fb.TensorType
    ops = []
    width = input_size
    if dtype == "float32":
        x = tensor("input", (batch, input_size), T.FLOAT32)
    else:
        in_scale, in_zp = 2.0 / 255, int(rng.randint(-20, 21))
        if input_range is not None:
            in_scale, in_zp = _asymmetric_int8(*input_range)
        x = tensor("input", (batch, input_size), T.INT8, q=quant(in_scale, in_zp))
    first = x
    for k, layer in enumerate(layers):
        filters = layer.num_units * layer.rank
        wf = rng.uniform(-1, 1, size=(filters, width)).astype(np.float32)
        wt = rng.uniform(-1, 1, size=(filters, layer.memory_size)).astype(np.float32)
        bias = rng.uniform(-0.5, 0.5, size=(layer.num_units,)).astype(np.float32)
        if layer.weights_feature is not None:
            wf, wt, bias = (np.asarray(a, np.float32) for a in
                            (layer.weights_feature, layer.weights_time, layer.bias_values))
            assert wf.shape == (filters, width) and wt.shape == (filters, layer.memory_size)
            assert bias.shape == (layer.num_units,)
        if dtype == "float32":
            wf_t = tensor(f"svdf{k}/weights_feature", wf.shape, T.FLOAT32, wf)
            wt_t = tensor(f"svdf{k}/weights_time", wt.shape, T.FLOAT32, wt)
            b_t = tensor(f"svdf{k}/bias", bias.shape, T.FLOAT32, bias) if layer.bias else -1
            st = tensor(f"svdf{k}/state", (batch, filters * layer.memory_size), T.FLOAT32, variable=True)
            y = tensor(f"svdf{k}/output", (batch, layer.num_units), T.FLOAT32)
        else:
            wf_scale = float(np.abs(wf).max()) / 127
            s_max = 32767 if state_dtype == "int16" else 127
            wt_scale = float(np.abs(wt).max()) / s_max
            # The state holds feature dot products: inputs in about [-1, 1] (the first layer)
            # or [-4, 4] times weights in [-1, 1] over `width` terms.
            st_scale = float(rng.uniform(0.5, 2.0)) * 4 * width ** 0.5 / s_max
            st_zp = 0 if state_dtype == "int16" else int(rng.randint(-10, 11))
            out_scale = float(rng.uniform(0.02, 0.08))
            out_zp = int(rng.randint(-30, 31))
            if layer.state_max is not None:
                st_scale = float(layer.state_max) / s_max
            if layer.output_range is not None:
                out_scale, out_zp = _asymmetric_int8(*layer.output_range)
            b_scale = np.float32(st_scale) * np.float32(wt_scale)
            wf_t = tensor(f"svdf{k}/weights_feature", wf.shape, T.INT8,
                          np.clip(np.round(wf / wf_scale), -127, 127).astype(np.int8), quant(wf_scale))
            wt_t = tensor(f"svdf{k}/weights_time", wt.shape, T.INT16 if s_max > 127 else T.INT8,
                          np.clip(np.round(wt / wt_scale), -s_max, s_max).astype(state_dtype), quant(wt_scale))
            b_t = tensor(f"svdf{k}/bias", bias.shape, T.INT32,
                         np.clip(np.round(bias / float(b_scale)), -2 ** 31, 2 ** 31 - 1).astype(np.int32), quant(float(b_scale))) if layer.bias else -1
            st = tensor(f"svdf{k}/state", (batch, filters * layer.memory_size), T.INT16 if s_max > 127 else T.INT8,
                        q=quant(st_scale, st_zp), variable=True)
            y = tensor(f"svdf{k}/output", (batch, layer.num_units), T.INT8, q=quant(out_scale, out_zp))
            in_scale = out_scale
        op = fb.OperatorT()
        op.opcodeIndex = 0
        op.inputs = [x, wf_t, wt_t, b_t, st]
        op.outputs = [y]
        op.builtinOptionsType = fb.BuiltinOptions.SVDFOptions
        op.builtinOptions = fb.SVDFOptionsT()
        op.builtinOptions.rank = layer.rank
        op.builtinOptions.fusedActivationFunction = getattr(fb.ActivationFunctionType, layer.activation)
        ops.append(op)
        x, width = y, layer.num_units

    code = fb.OperatorCodeT()
    code.builtinCode = code.deprecatedBuiltinCode = fb.BuiltinOperator.SVDF
    code.version = 1 if dtype == "float32" else 3
    sub = fb.SubGraphT()
    sub.tensors, sub.operators, sub.inputs, sub.outputs = tensors, ops, [first], [x]
    sub.name = "main"
    model = fb.ModelT()
    model.version, model.operatorCodes, model.subgraphs, model.buffers = 3, [code], [sub], buffers
    model.description = description
    builder = flatbuffers.Builder(4096)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def keyword_spotter(dtype: str, seed: int = 0) -> bytes:
    """A stacked SVDF keyword spotter in the shape of TFLM's micro_speech predecessor:
    40 filterbank features per frame, two SVDF layers (rank 2 and 1), then a classifier-sized
    SVDF head."""
    layers = [SvdfLayer(num_units=16, rank=2, memory_size=8, activation="RELU" if dtype == "float32" else "NONE"),
              SvdfLayer(num_units=12, rank=1, memory_size=4),
              SvdfLayer(num_units=4, rank=1, memory_size=2)]
    return build_svdf_model(40, layers, dtype, seed)
