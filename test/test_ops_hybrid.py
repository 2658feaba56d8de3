"""Hybrid (dynamic-range quantized) CONV_2D, DEPTHWISE_CONV_2D and FULLY_CONNECTED: float32
activations, int8 weights.

TensorFlow Lite Micro cannot run these models ("Hybrid models are not supported on TFLite
Micro"), so the reference here is TensorFlow Lite's interpreter with its builtin kernels
(utensor.reference.TFLiteReference: tf.lite.Interpreter without the XNNPACK delegate, whose
hybrid path computes differently). Outputs must agree within 1e-5 relative (opcheck.compare).
Models are small Keras models converted with `optimizations = [Optimize.DEFAULT]` and no
representative dataset; TensorFlow only quantizes weights of at least 1024 elements.
"""

import os
import tempfile

import numpy as np
import pytest

from opcheck import compare
from utensor.errors import UnsupportedError
from utensor.hostbuild import HostModel
from utensor.reference import Reference, TFLiteReference

tf = pytest.importorskip("tensorflow")

KWS_FLOAT = "/work/shared/models/mlperf_tiny/kws_ref_model_float32.tflite"


def _dynamic_range(layers, input_shape, seed=0, batch=1, per_channel=True):
    """A Keras model of `layers` with seeded weights, converted with dynamic-range
    quantization; returns the .tflite bytes."""
    inp = tf.keras.Input(shape=input_shape, batch_size=batch)
    x = inp
    for layer in layers:
        x = layer(x)
    model = tf.keras.Model(inp, x)
    rng = np.random.RandomState(seed)
    for w in model.weights:
        # Spread the per-channel magnitudes so per-channel scales really differ.
        scale = np.linspace(0.05, 0.5, w.shape[-1]).astype(np.float32)
        w.assign((rng.randn(*w.shape) * scale).astype(np.float32))
    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    conv.optimizations = [tf.lite.Optimize.DEFAULT]
    if not per_channel:
        conv._experimental_disable_per_channel = True
    return conv.convert()


def _hybrid_conv_scales(tflite_bytes, op_name="CONV_2D"):
    """Number of distinct filter scales of each hybrid `op_name` (float input, int8 filter)."""
    interp = tf.lite.Interpreter(model_content=tflite_bytes)
    details = {d["index"]: d for d in interp.get_tensor_details()}
    found = []
    for op in interp._get_ops_details():
        if op["op_name"] == op_name:
            x, w = details[op["inputs"][0]], details[op["inputs"][1]]
            if x["dtype"] == np.float32 and w["dtype"] == np.int8:
                found.append(len(set(w["quantization_parameters"]["scales"].tolist())))
    return found


def _check(tflite_bytes, samples=3, seed=0, inputs=None, exact=True):
    """Host run vs tf.lite: within 1e-5 relative, and with `exact` bit for bit (models made
    of hybrid convolutions only: utensor repeats TFLite's float arithmetic exactly)."""
    work = tempfile.mkdtemp(prefix="utensor-hybrid-")
    path = os.path.join(work, "hybrid_under_test.tflite")
    with open(path, "wb") as f:
        f.write(tflite_bytes)
    model = HostModel(path, work_dir=work, sanitize=True)
    ref = TFLiteReference(tflite_bytes)
    rng = np.random.RandomState(seed)
    if inputs is None:
        shape = ref.input_details[0]["shape"]
        inputs = [[rng.uniform(-1.0, 1.0, size=shape).astype(np.float32)] for _ in range(samples)]
    ours = model.run(inputs)
    problems = []
    for k, sample in enumerate(inputs):
        for j, (a, r) in enumerate(zip(ours[k], ref.invoke(sample))):
            problems += compare(a, r, f"sample {k} output {j}")
            if exact and not problems and not np.array_equal(np.asarray(a).reshape(r.shape), r):
                problems.append(f"sample {k} output {j}: within tolerance but not bit-exact")
    assert not problems, "utensor differs from tf.lite:\n" + "\n".join(problems[:40])
    return ours


L = tf.keras.layers

CASES = {
    # name: (input shape, layers, per_channel)
    "3x3_same_relu": ((12, 10, 8), [L.Conv2D(16, 3, padding="same", activation="relu")], True),
    "3x3_valid_stride2": ((13, 11, 8), [L.Conv2D(16, 3, strides=2, padding="valid")], True),
    "5x3_same_stride_2x1_relu6": ((9, 7, 6), [L.Conv2D(12, (5, 3), strides=(2, 1), padding="same",
                                                       activation="relu6")], True),
    "1x1_pointwise": ((6, 5, 32), [L.Conv2D(40, 1)], True),
    "per_tensor_3x3_same": ((12, 10, 8), [L.Conv2D(16, 3, padding="same")], False),
    "per_tensor_4x2_stride2_relu": ((11, 9, 8), [L.Conv2D(16, (4, 2), strides=2, padding="same",
                                                         activation="relu")], False),
    "two_layers": ((10, 8, 8), [L.Conv2D(16, 3, padding="same", activation="relu"),
                                L.Conv2D(8, 3, padding="valid")], True),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_hybrid_conv_matches_tflite(name):
    shape, layers, per_channel = CASES[name]
    model = _dynamic_range(layers, shape, per_channel=per_channel)
    scales = _hybrid_conv_scales(model)
    assert scales, "TensorFlow did not produce a hybrid CONV_2D; the test would prove nothing"
    if per_channel:
        assert all(s > 1 for s in scales), scales  # EvalHybridPerChannel (asymmetric inputs)
    else:
        assert all(s == 1 for s in scales), scales  # EvalHybrid (symmetric inputs)
    _check(model)


def test_hybrid_conv_batch_of_two():
    # Each image gets its own quantization factor: a batch-wide one would differ.
    model = _dynamic_range([L.Conv2D(16, 3, padding="same")], (8, 6, 8), batch=2)
    rng = np.random.RandomState(3)
    x = rng.uniform(-1, 1, size=(2, 8, 6, 8)).astype(np.float32)
    x[1] *= 20.0
    _check(model, inputs=[[x]])


def test_hybrid_conv_zero_and_constant_inputs():
    # All-zero input: TFLite quantizes to zeros with factor 1 (output = bias only);
    # a constant positive image: asymmetric range widened to include 0.
    model = _dynamic_range([L.Conv2D(16, 3, padding="same")], (6, 6, 8))
    shape = (1, 6, 6, 8)
    _check(model, inputs=[[np.zeros(shape, np.float32)], [np.full(shape, 0.75, np.float32)],
                          [np.full(shape, -3.0, np.float32)]])


def test_tflite_micro_cannot_run_hybrid():
    # Why the reference is tf.lite here: if TFLM ever learns hybrid kernels, switch back.
    model = _dynamic_range([L.Conv2D(16, 3, padding="same")], (6, 6, 8))
    with pytest.raises(RuntimeError):
        Reference(model, arena_size=4 << 20)


DEPTHWISE_CASES = {
    "3x3_same_m16": ((6, 6, 8), [L.DepthwiseConv2D(3, depth_multiplier=16, padding="same")]),
    "5x3_valid_stride2_m4_relu": ((11, 9, 32), [L.DepthwiseConv2D((5, 3), strides=2, depth_multiplier=4,
                                                                  padding="valid", activation="relu")]),
    "3x3_same_stride2_c128_relu6": ((8, 7, 128), [L.DepthwiseConv2D(3, strides=2, padding="same",
                                                                    activation="relu6")]),
    "conv_then_depthwise": ((8, 6, 16), [L.Conv2D(128, 1, activation="relu"),
                                         L.DepthwiseConv2D(3, padding="same")]),
}


@pytest.mark.parametrize("name", sorted(DEPTHWISE_CASES))
def test_hybrid_depthwise_matches_tflite(name):
    shape, layers = DEPTHWISE_CASES[name]
    model = _dynamic_range(layers, shape)
    scales = _hybrid_conv_scales(model, "DEPTHWISE_CONV_2D")
    assert scales and all(s > 1 for s in scales), scales  # per-channel, as TF writes them
    _check(model)


def test_hybrid_depthwise_per_tensor_is_refused():
    # One filter scale: TFLite's kernel indexes a scale per channel; refused, named.
    model = _dynamic_range([L.DepthwiseConv2D(3, depth_multiplier=16, padding="same")], (6, 6, 8),
                           per_channel=False)
    assert _hybrid_conv_scales(model, "DEPTHWISE_CONV_2D") == [1]
    work = tempfile.mkdtemp(prefix="utensor-hybrid-")
    path = os.path.join(work, "dw.tflite")
    with open(path, "wb") as f:
        f.write(model)
    with pytest.raises(UnsupportedError, match="dw.tflite: operator #0 DEPTHWISE_CONV_2D: hybrid "
                                               "quantization with a single filter scale"):
        HostModel(path, work_dir=work)


def _hybrid_fc_info(tflite_bytes):
    """(weights dtype, distinct scales, asymmetric_quantize_inputs) of each FULLY_CONNECTED."""
    import utensor.tflite.reader as reader
    work = tempfile.mkdtemp(prefix="utensor-hybrid-")
    path = os.path.join(work, "m.tflite")
    with open(path, "wb") as f:
        f.write(tflite_bytes)
    g = reader.read_tflite(path)
    out = []
    for op in g.operators:
        if op.op_type == "FULLY_CONNECTED":
            w = g.tensor(op.inputs[1])
            out.append((w.dtype, len(set(w.quant.scale)) if w.quant else 0,
                        bool(op.options.get("asymmetric_quantize_inputs"))))
    return out


FC_CASES = {
    # name: (input shape, layers, batch, per_channel)
    "flatten_640_to_5": ((8, 8, 10), [L.Flatten(), L.Dense(5)], 1, True),
    "300_relu": ((300,), [L.Dense(300, activation="relu")], 1, True),
    "per_tensor_64_to_40": ((64,), [L.Dense(40)], 1, False),
    "batch3_relu6": ((32,), [L.Dense(64, activation="relu6")], 3, True),
    "two_layers": ((48,), [L.Dense(64, activation="relu"), L.Dense(32)], 1, True),
}


@pytest.mark.parametrize("name", sorted(FC_CASES))
def test_hybrid_fully_connected_matches_tflite(name):
    shape, layers, batch, per_channel = FC_CASES[name]
    model = _dynamic_range(layers, shape, batch=batch, per_channel=per_channel)
    info = _hybrid_fc_info(model)
    assert info and all(dt == "int8" and asym for dt, _, asym in info), info
    assert all((n > 1) == per_channel for _, n, _ in info), info
    rng = np.random.RandomState(7)
    in_shape = (batch,) + shape
    samples = [[rng.uniform(-1, 1, size=in_shape).astype(np.float32)] for _ in range(3)]
    samples.append([np.zeros(in_shape, np.float32)])  # TFLite's all-zero shortcut: bias only
    _check(model, inputs=samples)


@pytest.mark.skipif(not os.path.isfile(KWS_FLOAT), reason="MLPerf Tiny models not present")
def test_kws_float32_hybrid_on_host():
    with open(KWS_FLOAT, "rb") as f:
        model = f.read()
    assert _hybrid_conv_scales(model) == [1] * 5  # five hybrid convs, per-tensor path
    _check(model, samples=10, seed=0, exact=False)  # float layers sum in another order
