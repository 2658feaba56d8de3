"""Conformance of the dense-family operators against tflite_micro.

Every model is built here with TensorFlow (seeded weights, seeded representative data),
converted with tf.lite.TFLiteConverter (full-integer int8 and float32), compiled for the
host by utensor and compared with tflite_micro on seeded random inputs: int8 bit-exact,
float32 within 1e-5 relative (test/opcheck.py). Several operators share one model where
they can: one compile per model is the cost.

Operators: FULLY_CONNECTED, QUANTIZE, DEQUANTIZE, SOFTMAX, ADD, SUB, MUL, RELU, RELU6,
LEAKY_RELU, LOGISTIC, TANH, HARD_SWISH. Unsupported inputs are checked to fail in the
converter with a message naming the operator.
"""

import os

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
tf = pytest.importorskip("tensorflow")
ops = pytest.importorskip("keras").ops

from opcheck import assert_matches_reference, quantize_int8  # noqa: E402
from utensor import convert  # noqa: E402
from utensor.errors import UnsupportedError  # noqa: E402
from utensor.reference import Reference  # noqa: E402

SAMPLES = 4


# ---------------------------------------------------------------------------- builders

def _keras_model(build, input_shapes, seed):
    """A Keras functional model from `build(inputs) -> outputs`, weights seeded."""
    tf.keras.utils.set_random_seed(seed)
    # Named in0, in1, ... so the representative data can address them by name.
    inputs = [tf.keras.Input(shape=s[1:], batch_size=s[0], name=f"in{i}")
              for i, s in enumerate(input_shapes)]
    outputs = build(*inputs)
    return tf.keras.Model(inputs, outputs)


def to_tflite(model, input_shapes, quantize, seed=0, io_type=None, ranges=None,
              per_channel_dense=False):
    """Convert a Keras model. quantize=True: full-integer int8, representative data
    uniform in `ranges[i]` (default [-2, 2]); io_type: the model's input/output type
    (tf.int8 by default for quantized models, tf.float32 / tf.uint8 to get QUANTIZE and
    DEQUANTIZE operators)."""
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    if quantize:
        ranges = ranges or [(-2.0, 2.0)] * len(input_shapes)

        def representative():
            rng = np.random.RandomState(seed)
            for _ in range(32):
                # By name: the converted model's input order need not be the Keras order.
                yield {f"in{i}": rng.uniform(lo, hi, size=s).astype(np.float32)
                       for i, (s, (lo, hi)) in enumerate(zip(input_shapes, ranges))}

        quantize_int8(converter, representative, io_type)
        if per_channel_dense:
            converter._experimental_disable_per_channel_quantization_for_dense_layers = False
    return converter.convert()


def op_types(tflite_bytes):
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".tflite") as f:
        f.write(tflite_bytes)
        f.flush()
        graph = convert.read_model(f.name, name="probe")
    return [op.op_type for op in graph.operators]


def patch_model(tflite_bytes, edit):
    """Apply `edit(model: ModelT)` through TFLite's flatbuffer object API."""
    import flatbuffers
    from tensorflow.lite.python import schema_py_generated as schema

    model = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(tflite_bytes, 0))
    edit(model, schema)
    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def float_inputs(model_bytes, seed, scale=3.0):
    """Seeded float inputs wider than [-1, 1] so activations see both sides."""
    ref = Reference(model_bytes)
    rng = np.random.RandomState(seed)
    return [[rng.uniform(-scale, scale, size=d["shape"]).astype(np.float32)
             for d in ref.input_details] for _ in range(SAMPLES)]


def check(tflite_bytes, expected_ops=(), seed=0, inputs=None):
    ops = op_types(tflite_bytes)
    for name in expected_ops:
        assert name in ops, f"the converter did not produce {name}: {ops}"
    assert_matches_reference(tflite_bytes, samples=SAMPLES, seed=seed, inputs=inputs)


# ------------------------------------------------------------------- FULLY_CONNECTED

def _dense_branches(a, b):
    """FC with each fused activation, without bias, and on a 3-D input (keep_num_dims)."""
    l = tf.keras.layers
    return [
        l.Dense(9)(a),
        l.Dense(7, activation="relu")(a),
        l.Dense(6, activation=ops.relu6, use_bias=False)(a),
        l.Dense(5, activation="relu")(l.Dense(11)(a)),
        l.Dense(4)(b),
    ]


DENSE_SHAPES = [(3, 20), (2, 3, 10)]


@pytest.mark.parametrize("per_channel", [False, True], ids=["per_tensor", "per_channel"])
def test_fully_connected_int8(per_channel):
    model = _keras_model(_dense_branches, DENSE_SHAPES, seed=1)
    tfl = to_tflite(model, DENSE_SHAPES, quantize=True, seed=1, per_channel_dense=per_channel)
    check(tfl, ["FULLY_CONNECTED"], seed=11)


def test_fully_connected_float32():
    model = _keras_model(_dense_branches, DENSE_SHAPES, seed=2)
    tfl = to_tflite(model, DENSE_SHAPES, quantize=False)
    check(tfl, ["FULLY_CONNECTED"], seed=12)


def test_fully_connected_relu_n1_to_1_int8():
    model = _keras_model(lambda a: tf.keras.layers.Dense(
        8, activation=lambda x: ops.clip(x, -1.0, 1.0))(a), [(2, 12)], seed=3)
    tfl = to_tflite(model, [(2, 12)], quantize=True, seed=3)
    check(tfl, ["FULLY_CONNECTED"], seed=13)


def _random_dense_case(seed):
    """Seeded random FC shapes: batch, depth (not always a multiple of 4), units."""
    rng = np.random.RandomState(seed)
    shapes = [(int(rng.randint(1, 4)), int(rng.randint(1, 70))) for _ in range(3)]
    units = [int(rng.randint(1, 40)) for _ in range(3)]
    acts = [None, "relu", ops.relu6]

    def build(*xs):
        return [tf.keras.layers.Dense(u, activation=a)(x) for x, u, a in zip(xs, units, acts)]
    return build, shapes


@pytest.mark.parametrize("seed", [101, 102])
def test_fully_connected_random_shapes_int8(seed):
    build, shapes = _random_dense_case(seed)
    model = _keras_model(build, shapes, seed=seed)
    tfl = to_tflite(model, shapes, quantize=True, seed=seed, ranges=[(-3, 1), (0, 5), (-1, 1)])
    check(tfl, ["FULLY_CONNECTED"], seed=seed)


def _weights_as_inputs(m, schema):
    """Turn every FULLY_CONNECTED weight tensor into a model input (no constant data), so
    the converter cannot fold the input zero point into the bias: the kernels' own
    input-offset path runs."""
    sg = m.subgraphs[0]
    fc = [i for i, c in enumerate(m.operatorCodes)
          if max(c.builtinCode, c.deprecatedBuiltinCode) == schema.BuiltinOperator.FULLY_CONNECTED]
    for op in sg.operators:
        if op.opcodeIndex in fc:
            w = op.inputs[1]
            sg.tensors[w].buffer = 0
            sg.inputs = list(sg.inputs) + [w]


def test_fully_connected_int8_runtime_weights():
    model = _keras_model(_dense_branches, DENSE_SHAPES, seed=31)
    tfl = patch_model(to_tflite(model, DENSE_SHAPES, quantize=True, seed=31,
                                ranges=[(0, 4), (-3, 0)]), _weights_as_inputs)
    check(tfl, ["FULLY_CONNECTED"], seed=32)


# ------------------------------------------------------------- QUANTIZE / DEQUANTIZE

def _small_net(a):
    l = tf.keras.layers
    return l.Dense(10, activation="softmax")(l.Dense(16, activation="relu")(a))


def test_quantize_dequantize_float_io():
    """float32 model input -> QUANTIZE -> int8 graph -> DEQUANTIZE -> float32 output."""
    model = _keras_model(_small_net, [(2, 24)], seed=4)
    tfl = to_tflite(model, [(2, 24)], quantize=True, seed=4, io_type=tf.float32)
    check(tfl, ["QUANTIZE", "DEQUANTIZE", "SOFTMAX"], inputs=float_inputs(tfl, 14))


def test_quantize_uint8_io():
    """uint8 input -> QUANTIZE (uint8 -> int8) ... QUANTIZE (int8 -> uint8) -> uint8 output."""
    model = _keras_model(_small_net, [(1, 24)], seed=5)
    tfl = to_tflite(model, [(1, 24)], quantize=True, seed=5, io_type=tf.uint8)
    check(tfl, ["QUANTIZE"], seed=15)


def test_requantize_int8_to_int8():
    """An int8 -> int8 QUANTIZE (new scale and zero point), made by re-typing the float
    input of a converted model as int8."""
    model = _keras_model(_small_net, [(2, 24)], seed=6)
    tfl = to_tflite(model, [(2, 24)], quantize=True, seed=6, io_type=tf.float32)

    def edit(m, schema):
        sg = m.subgraphs[0]
        t = sg.tensors[sg.inputs[0]]
        t.type = schema.TensorType.INT8
        t.quantization = schema.QuantizationParametersT()
        t.quantization.scale = [0.0371]
        t.quantization.zeroPoint = [7]

    check(patch_model(tfl, edit), ["QUANTIZE"], seed=16)


# ----------------------------------------------------------------------------- SOFTMAX

def _softmax_branches(a, b):
    l = tf.keras.layers
    return [l.Softmax()(l.Dense(12)(a)), l.Softmax()(b)]


SOFTMAX_SHAPES = [(2, 20), (1, 3, 5, 33)]


def _set_beta(beta):
    def edit(m, schema):
        for op in m.subgraphs[0].operators:
            if isinstance(op.builtinOptions, schema.SoftmaxOptionsT):
                op.builtinOptions.beta = beta
    return edit


@pytest.mark.parametrize("beta,wide", [(1.0, 6.0), (0.37, 6.0), (1.0, 300.0)],
                         ids=["beta1", "beta0.37", "wide_input_diff_min"])
def test_softmax_int8(beta, wide):
    """wide: input scale ~2.4, so differences below diff_min (-15) are dropped."""
    model = _keras_model(_softmax_branches, SOFTMAX_SHAPES, seed=7)
    tfl = to_tflite(model, SOFTMAX_SHAPES, quantize=True, seed=7, ranges=[(-2, 2), (-wide, wide)])
    if beta != 1.0:
        tfl = patch_model(tfl, _set_beta(beta))
    check(tfl, ["SOFTMAX"], seed=17)


def test_softmax_float32():
    model = _keras_model(_softmax_branches, SOFTMAX_SHAPES, seed=8)
    tfl = patch_model(to_tflite(model, SOFTMAX_SHAPES, quantize=False), _set_beta(0.6))
    check(tfl, ["SOFTMAX"], inputs=float_inputs(tfl, 18, scale=8.0))


# --------------------------------------------------------------------- ADD / SUB / MUL

BINARY_SHAPES = [(1, 4, 5, 3), (1, 1, 5, 3), (1, 4, 1, 1)]


def _binary_branches(a, b, c):
    """Same-shape and broadcast operands, differently quantized inputs, fused activations,
    constant operands."""
    const = np.linspace(-1.5, 2.0, 3, dtype=np.float32)
    return [
        ops.relu(ops.add(a, b)),
        ops.add(a, ops.add(ops.multiply(a, 0.5), 1.0)),
        ops.subtract(b, a),
        ops.subtract(a, c),
        ops.multiply(a, b),
        ops.relu6(ops.multiply(a, c)),
        ops.add(c, const),
        ops.multiply(a, const),
    ]


def test_add_sub_mul_int8():
    model = _keras_model(_binary_branches, BINARY_SHAPES, seed=9)
    tfl = to_tflite(model, BINARY_SHAPES, quantize=True, seed=9,
                    ranges=[(-1, 1), (-6, 5), (-0.3, 0.2)])
    check(tfl, ["ADD", "SUB", "MUL"], seed=19)


def test_add_sub_large_int8():
    """Tensors of >= 1024 elements: ADD/SUB use the converter's rescaling tables."""
    shapes = [(1, 16, 16, 8), (1, 16, 16, 8), (1, 1, 16, 8)]

    def build(a, b, c):
        return [ops.add(a, b), ops.relu(ops.subtract(b, a)), ops.add(a, c), ops.subtract(c, b)]

    model = _keras_model(build, shapes, seed=33)
    tfl = to_tflite(model, shapes, quantize=True, seed=33, ranges=[(-1, 1), (-7, 3), (0, 2)])
    check(tfl, ["ADD", "SUB"], seed=34)


def test_add_sub_mul_float32():
    model = _keras_model(_binary_branches, BINARY_SHAPES, seed=10)
    tfl = to_tflite(model, BINARY_SHAPES, quantize=False)
    check(tfl, ["ADD", "SUB", "MUL"], seed=20)


def test_add_sub_5d_broadcast_random_shapes_int8():
    """Rank-5 operands with seeded random broadcast patterns (TFLite's 6-D broadcast path).
    Model inputs and outputs stay 2-D (the generated model API is up to 4-D); RESHAPE
    makes the operands 5-D inside the graph."""
    rng = np.random.RandomState(5)
    full = [1] + [int(v) for v in rng.randint(2, 5, size=4)]
    shapes5 = [tuple(full)] + [tuple(d if rng.rand() < 0.5 else 1 for d in full) for _ in range(2)]
    flat = [(1, int(np.prod(s))) for s in shapes5]

    def build(a, b, c):
        a, b, c = (ops.reshape(x, s) for x, s in zip((a, b, c), shapes5))
        outs = [ops.add(a, b), ops.subtract(c, a), ops.relu(ops.add(b, c))]
        return [ops.reshape(o, (1, -1)) for o in outs]

    model = _keras_model(build, flat, seed=27)
    tfl = to_tflite(model, flat, quantize=True, seed=27, ranges=[(-1, 1), (-3, 2), (0, 4)])
    check(tfl, ["ADD", "SUB"], seed=28)


# ---------------------------------------------------------------------- activations

def _activation_branches(a):
    l = tf.keras.layers
    h = l.Dense(16)(a)  # a second, differently quantized input for every activation
    outs = []
    for x in (a, h):
        outs += [
            ops.relu(x),
            ops.relu6(x),
            ops.leaky_relu(x, negative_slope=0.2),
            ops.sigmoid(x),
            ops.tanh(x),
            ops.hard_swish(x),
        ]
    outs.append(ops.leaky_relu(h, negative_slope=1.7))
    return outs


ACT_OPS = ["RELU", "RELU6", "LEAKY_RELU", "LOGISTIC", "TANH", "HARD_SWISH"]


@pytest.mark.parametrize("lo,hi", [(-4.0, 4.0), (-1.0, 9.0)], ids=["symmetric", "skewed"])
def test_activations_int8(lo, hi):
    model = _keras_model(_activation_branches, [(2, 16)], seed=21)
    tfl = to_tflite(model, [(2, 16)], quantize=True, seed=21, ranges=[(lo, hi)])
    check(tfl, ACT_OPS, seed=22)


def test_activations_float32():
    model = _keras_model(_activation_branches, [(2, 16)], seed=23)
    tfl = to_tflite(model, [(2, 16)], quantize=False)
    check(tfl, ACT_OPS, inputs=float_inputs(tfl, 24, scale=12.0))


# ---------------------------------------------------------------------- unsupported

def test_hybrid_fully_connected_goes_to_the_hybrid_kernel(tmp_path):
    """Dynamic-range quantization (float activations, int8 weights) converts through the
    hybrid lowering (its results are checked against tf.lite in test_ops_hybrid.py)."""
    model = _keras_model(lambda a: tf.keras.layers.Dense(300)(a), [(1, 300)], seed=25)
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    path = tmp_path / "hybrid.tflite"
    path.write_bytes(converter.convert())
    conversion = convert.convert_file(str(path))
    assert "conv2d_hybrid" in conversion.emitted.source
    assert [(c.params["function"], c.params["struct"]) for c in conversion.calls] == [
        ("conv2d_hybrid", "Conv2DHybridParams")]


def test_int8_softmax_with_wrong_output_scale_is_refused(tmp_path):
    model = _keras_model(_softmax_branches, SOFTMAX_SHAPES, seed=26)
    tfl = to_tflite(model, SOFTMAX_SHAPES, quantize=True, seed=26)

    def edit(m, schema):
        sg = m.subgraphs[0]
        for op in sg.operators:
            if isinstance(op.builtinOptions, schema.SoftmaxOptionsT):
                sg.tensors[op.outputs[0]].quantization.scale = [0.01]

    path = tmp_path / "bad_softmax.tflite"
    path.write_bytes(patch_model(tfl, edit))
    with pytest.raises(UnsupportedError, match=r"SOFTMAX.*scale 1/256"):
        convert.convert_file(str(path))
