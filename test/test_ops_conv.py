"""Conformance of the kernels-conv operators against tflite_micro.

CONV_2D, DEPTHWISE_CONV_2D, AVERAGE_POOL_2D, MAX_POOL_2D, PAD/PADV2, MEAN, CONCATENATION,
TRANSPOSE and STRIDED_SLICE, int8 (full-integer quantization, per-channel weights) and
float32. Each model is built with TensorFlow in the test (seeded), converted with
tf.lite.TFLiteConverter, compiled by utensor for the host (ASan/UBSan) and run on seeded
random inputs next to tflite_micro: int8 must match byte for byte, float32 within 1e-5.
Several variants share one model (parallel branches, one output each) so that one
conversion and one compile cover them.
"""

import os
import tempfile

import numpy as np
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
tf = pytest.importorskip("tensorflow")

from opcheck import assert_bit_exact_on_board, assert_matches_reference, have_qemu_tools, quantize_int8  # noqa: E402
from utensor import ir  # noqa: E402
from utensor.errors import UnsupportedError  # noqa: E402
from utensor.ops import lower  # noqa: E402
from utensor.ops._spatial import out_size, pad_before  # noqa: E402
from utensor.ops.reduce import mean_multiplier  # noqa: E402
from utensor.ops.slice import resolve_axis  # noqa: E402
from utensor.tflite import read_tflite  # noqa: E402

L = tf.keras.layers
DTYPES = ["int8", "float32"]


def to_tflite(model, shapes, dtype, seed=0, rep=None):
    """Convert a Keras model; int8 with a seeded representative dataset."""
    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    if dtype == "int8":
        rng = np.random.RandomState(seed)

        def dataset():
            for _ in range(32):
                yield [rep(rng, s) if rep else rng.uniform(-1, 1, s).astype(np.float32) for s in shapes]

        quantize_int8(conv, dataset)
    return conv.convert()


def branches(shape, make_layers, seed, stem=None):
    """A Keras model with one input and one output per branch (all fed by `stem(input)`
    when given: the TFLite quantizer leaves some ops on a raw model input in float)."""
    tf.keras.utils.set_random_seed(seed)
    inp = tf.keras.Input(shape[1:], batch_size=shape[0])
    x = stem(inp) if stem is not None else inp
    outs = [f(x) for f in make_layers()]
    model = tf.keras.Model(inp, outs)
    # Non-trivial biases: Keras initializes them to zero.
    rng = np.random.RandomState(seed)
    for layer in model.layers:
        for w in layer.weights:
            if "bias" in w.name:
                w.assign(rng.uniform(-0.5, 0.5, w.shape).astype(np.float32))
    return model


def read_graph(tflite_bytes):
    with tempfile.NamedTemporaryFile(suffix=".tflite") as f:
        f.write(tflite_bytes)
        f.flush()
        return read_tflite(f.name)


def op_kinds(tflite_bytes):
    """{"OP_TYPE:output dtype"} of a model: the tests check they exercise what they claim."""
    g = read_graph(tflite_bytes)
    return {f"{op.op_type}:{g.tensor(op.outputs[0]).dtype}" for op in g.operators}


def function_to_tflite(fn, shapes, dtype, seed=0):
    """Convert a tf.function of float32 inputs (Keras wraps some ops so that the int8
    quantizer leaves them in float; plain functions do not)."""
    specs = [tf.TensorSpec(s, tf.float32) for s in shapes]
    f = tf.function(fn, input_signature=specs)
    conv = tf.lite.TFLiteConverter.from_concrete_functions([f.get_concrete_function()], f)
    if dtype == "int8":
        rng = np.random.RandomState(seed)

        def dataset():
            for _ in range(32):
                yield [rng.uniform(-1, 1, s).astype(np.float32) for s in shapes]

        quantize_int8(conv, dataset)
    return conv.convert()


# ---- CONV_2D -------------------------------------------------------------------------

def conv_branches():
    return [
        L.Conv2D(8, 3, padding="same", activation="relu"),
        L.Conv2D(5, 3, strides=2, padding="same"),  # odd total padding: extra bottom/right
        L.Conv2D(4, (5, 3), strides=(2, 1), padding="valid", activation="relu6"),
        L.Conv2D(6, 1, padding="valid", use_bias=False),
        L.Conv2D(3, 3, dilation_rate=2, padding="same", activation="relu"),
        L.Conv2D(7, (2, 4), strides=3, padding="same"),
        L.Conv2D(4, 3, groups=2, padding="same"),  # grouped: filter depth = C_IN / 2
        L.Conv2D(16, 3, strides=2, padding="same", activation="relu"),  # windowed int8 path
    ]


@pytest.mark.parametrize("dtype", DTYPES)
def test_conv2d(dtype):
    shape = (1, 11, 10, 4)
    b = to_tflite(branches(shape, conv_branches, seed=1), [shape], dtype)
    assert op_kinds(b) == {f"CONV_2D:{dtype}"}
    assert_matches_reference(b, samples=3, seed=2)


@pytest.mark.parametrize("dtype", DTYPES)
def test_conv2d_batch2_single_channel(dtype):
    shape = (2, 9, 7, 1)
    layers = lambda: [L.Conv2D(4, (4, 3), strides=(1, 2), padding="same", activation="relu"),
                      L.Conv2D(2, 2, padding="valid"),
                      L.Conv2D(18, (5, 3), padding="same")]  # windowed int8 path, batch 2
    b = to_tflite(branches(shape, layers, seed=3), [shape], dtype)
    assert_matches_reference(b, samples=2, seed=4)


# ---- DEPTHWISE_CONV_2D -----------------------------------------------------------------

def depthwise_branches():
    return [
        L.DepthwiseConv2D(3, padding="same", activation="relu"),
        L.DepthwiseConv2D(3, strides=2, padding="same", depth_multiplier=2),
        L.DepthwiseConv2D((2, 4), strides=(1, 2), padding="valid", activation="relu6"),
        L.DepthwiseConv2D(3, dilation_rate=2, padding="same"),
        L.DepthwiseConv2D(2, padding="valid", depth_multiplier=3, use_bias=False),
        L.DepthwiseConv2D(5, strides=3, padding="same"),
    ]


@pytest.mark.parametrize("dtype", DTYPES)
def test_depthwise_conv2d(dtype):
    shape = (1, 12, 9, 5)
    b = to_tflite(branches(shape, depthwise_branches, seed=5), [shape], dtype)
    assert op_kinds(b) == {f"DEPTHWISE_CONV_2D:{dtype}"}
    assert_matches_reference(b, samples=3, seed=6)


# ---- AVERAGE_POOL_2D / MAX_POOL_2D ---------------------------------------------------

def pool_branches():
    return [
        L.AveragePooling2D(2, padding="valid"),
        L.AveragePooling2D(2, padding="same"),  # odd sizes: partial windows at the edge
        L.AveragePooling2D(3, strides=1, padding="same"),  # counts exclude the padding
        L.AveragePooling2D((3, 2), strides=(2, 1), padding="valid"),
        L.MaxPooling2D(3, strides=2, padding="same"),
        L.MaxPooling2D(2, padding="valid"),
        L.MaxPooling2D((1, 3), strides=(1, 2), padding="same"),
    ]


@pytest.mark.parametrize("dtype", DTYPES)
def test_pooling(dtype):
    shape = (1, 9, 7, 6)
    b = to_tflite(branches(shape, pool_branches, seed=7), [shape], dtype)
    assert op_kinds(b) == {f"AVERAGE_POOL_2D:{dtype}", f"MAX_POOL_2D:{dtype}"}
    assert_matches_reference(b, samples=3, seed=8)


# ---- PAD / PADV2 -----------------------------------------------------------------------

def pads(x):
    return (
        tf.pad(x, [[0, 0], [2, 0], [1, 1], [0, 2]]),
        tf.pad(x, [[0, 0], [1, 1], [0, 2], [0, 0]], constant_values=0.5),  # PADV2
        tf.pad(tf.reshape(x, (5, 4, 3)), [[1, 2], [0, 3], [0, 0]]),  # rank 3
    )


@pytest.mark.parametrize("dtype", DTYPES)
def test_pad(dtype):
    b = function_to_tflite(pads, [(1, 5, 4, 3)], dtype, seed=9)
    assert {f"PAD:{dtype}", f"PADV2:{dtype}"} <= op_kinds(b)
    assert_matches_reference(b, samples=3, seed=10)


# ---- MEAN -----------------------------------------------------------------------------

def mean_branches():
    return [
        L.GlobalAveragePooling2D(),  # MEAN over (1, 2), keep_dims false
        L.GlobalAveragePooling2D(keepdims=True),
        L.Lambda(lambda x: tf.reduce_mean(x, axis=[2])),
        L.Lambda(lambda x: tf.reduce_mean(x, axis=[-1], keepdims=True)),
    ]


@pytest.mark.parametrize("dtype", DTYPES)
def test_mean(dtype):
    shape = (1, 7, 5, 6)
    b = to_tflite(branches(shape, mean_branches, seed=11), [shape], dtype)
    assert op_kinds(b) == {f"MEAN:{dtype}"}
    assert_matches_reference(b, samples=4, seed=12)


def with_output_quant_of_input(tflite_bytes, op_position=0):
    """The model with operator `op_position`'s output given its input's quantization
    (rewritten with TensorFlow's flatbuffer schema classes)."""
    import flatbuffers
    from tensorflow.lite.python import schema_py_generated as schema

    model = schema.ModelT.InitFromObj(schema.Model.GetRootAsModel(tflite_bytes, 0))
    sub = model.subgraphs[0]
    op = sub.operators[op_position]
    src, dst = sub.tensors[op.inputs[0]].quantization, sub.tensors[op.outputs[0]].quantization
    dst.scale, dst.zeroPoint = list(src.scale), list(src.zeroPoint)
    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def test_mean_int8_equal_quantization():
    """MEAN with equal input and output quantization. Older TFLite Micro took a truncating
    sum / count path here; the current one requantizes (rounds) as in every other case."""
    shape = (1, 6, 5, 4)
    b = to_tflite(branches(shape, lambda: [L.GlobalAveragePooling2D(),
                                           L.GlobalAveragePooling2D(keepdims=True)], seed=13),
                  [shape], "int8")
    b = with_output_quant_of_input(with_output_quant_of_input(b, 0), 1)
    g = read_graph(b)
    for op in g.operators:
        x, y = g.tensor(op.inputs[0]), g.tensor(op.outputs[0])
        assert x.quant.scale == y.quant.scale and x.quant.zero_point == y.quant.zero_point
    assert_matches_reference(b, samples=4, seed=14)


# ---- CONCATENATION, TRANSPOSE, STRIDED_SLICE -------------------------------------------

# The int8 quantizer of TF 2.21 leaves some ops in float when a function has many outputs:
# a few outputs per model keep every variant in int8 (the tests check the op dtypes).
def concats(x):
    return (
        tf.concat([x, x[:, :, :, :2], x[:, :, :, 3:]], axis=3),
        tf.concat([x[:, :2], x], axis=1),
    )


def transposes(x):
    return (
        tf.transpose(x, [0, 2, 1, 3]),
        tf.transpose(x, [0, 3, 1, 2]),
        tf.transpose(tf.reshape(x, (6, 5, 4)), [2, 0, 1]),
    )


def strided_slices(x):
    return (
        x[:, 1:5:2, ::-1, 1:],
        x[:, -2, :, 0:3],  # shrink axis
        x[:, ::-2, 1:-1, ::2],
        x[:, 4:1:-1, -1:, :],
    )


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("fn, kinds", [
    (concats, ("CONCATENATION", "STRIDED_SLICE")),
    (transposes, ("TRANSPOSE",)),
    (strided_slices, ("STRIDED_SLICE",)),
])
def test_concat_transpose_strided_slice(dtype, fn, kinds):
    b = function_to_tflite(fn, [(1, 6, 5, 4)], dtype, seed=15)
    found = op_kinds(b) - {f"RESHAPE:{dtype}"}  # RESHAPE is an alias, no kernel
    assert found == {f"{k}:{dtype}" for k in kinds}, found
    assert_matches_reference(b, samples=3, seed=16)


# ---- converter-side arithmetic and errors (no compile) ---------------------------------

def test_padding_matches_tensorflow_same_convention():
    # in 10, filter 3, stride 2 SAME: out 5, total padding 1 -> 0 before, 1 after.
    assert out_size("SAME", 10, 3, 2, 1) == 5
    assert pad_before(2, 1, 10, 3, 5) == 0
    # in 7, filter 4, stride 1 SAME: total 3 -> 1 before, 2 after.
    assert pad_before(1, 1, 7, 4, out_size("SAME", 7, 4, 1, 1)) == 1
    # dilation 2, filter 3 (effective 5), in 9, SAME stride 1: total 4 -> 2 before.
    assert pad_before(1, 2, 9, 3, 9) == 2
    assert out_size("VALID", 9, 3, 1, 2) == 5
    # Cross-check against TensorFlow itself: SAME conv of a one-hot input locates the pad.
    x = np.zeros((1, 7, 1, 1), np.float32)
    x[0, 0, 0, 0] = 1.0
    w = np.zeros((4, 1, 1, 1), np.float32)
    w[:, 0, 0, 0] = [1, 10, 100, 1000]
    y = tf.nn.conv2d(x, w, strides=1, padding="SAME").numpy()[0, :, 0, 0]
    assert y[0] == 10.0  # tap 1 lands on row 0 for output 0: exactly one row padded before


def test_mean_multiplier_folds_count():
    # QuantizedMeanOrSum: count 49 -> shift reduced by floor(log2 49) = 5.
    m, s = mean_multiplier(0.5, 0.25, 49)
    assert s == 2 - 5
    assert m == ((1 << 30) << 5) // 49


def test_strided_slice_axis_resolution():
    assert resolve_axis(5, 1, 5, 2, False, False, False, False) == (1, 2)
    assert resolve_axis(5, 0, 0, -1, True, True, False, False) == (4, 5)
    assert resolve_axis(6, -2, 0, 1, False, False, True, False) == (4, 1)
    assert resolve_axis(6, 1, 2, 1, False, False, False, True) == (1, 2)  # offset: end = 1 + 2


def _graph(op_type, x_dtype, w_dtype, options):
    q = ir.Quantization((0.1,), (0,))
    tensors = [
        ir.Tensor(0, "x", x_dtype, (1, 4, 4, 2), q if x_dtype == "int8" else None),
        ir.Tensor(1, "w", w_dtype, (3, 3, 3, 2), ir.Quantization((0.02,), (0,)),
                  data=np.ones((3, 3, 3, 2), np.int8 if w_dtype == "int8" else np.float32)),
        ir.Tensor(2, "y", x_dtype, (1, 4, 4, 3), q if x_dtype == "int8" else None),
    ]
    op = ir.Operator(5, op_type, [0, 1, -1], [2], options)
    return ir.Graph("m", tensors, [op], [0], [2], source_path="model.tflite"), op


def test_unsupported_fused_activation_is_named():
    g, op = _graph("CONV_2D", "int8", "int8",
                   {"padding": "SAME", "stride_h": 1, "stride_w": 1,
                    "fused_activation_function": "TANH"})
    with pytest.raises(UnsupportedError, match=r"model.tflite: operator #5 CONV_2D: fused activation TANH"):
        lower(op, g)


def test_hybrid_depthwise_conv_is_refused():
    # (Hybrid CONV_2D goes to ops/hybrid.py; hybrid DEPTHWISE_CONV_2D is not supported.)
    g, op = _graph("DEPTHWISE_CONV_2D", "float32", "int8",
                   {"padding": "SAME", "stride_h": 1, "stride_w": 1})
    with pytest.raises(UnsupportedError, match="hybrid quantization"):
        lower(op, g)


def test_int8_conv_lowering_values():
    g, op = _graph("CONV_2D", "int8", "int8", {"padding": "SAME", "stride_h": 1, "stride_w": 1,
                                               "fused_activation_function": "RELU"})
    p = lower(op, g).params
    # scale = f32(0.1) * f32(0.02) / f32(0.1) in double, in [2^-6, 2^-5): shift -5 and
    # multiplier round(scale * 2^36).
    scale = float(np.float32(0.1)) * float(np.float32(0.02)) / float(np.float32(0.1))
    f = p["fields"]
    assert f["output_shift"].values == [-5] * 3
    assert f["output_multiplier"].values == [int(np.floor(scale * 2**36 + 0.5))] * 3
    assert (f["activation_min"], f["activation_max"]) == (0, 127)
    assert (f["shape"]["pad_top"], f["shape"]["pad_left"]) == (1, 1)  # a 3x3 SAME conv


# ---- on emulated boards: the Arm (DSP) inner loops, judged by tflite_micro -------------



def mixed_branches():
    big = tf.keras.initializers.RandomUniform(-20.0, 20.0, seed=7)
    return [
        L.Conv2D(6, 3, strides=2, padding="same", activation="relu"),  # clipped windows
        L.Conv2D(7, (3, 2), padding="valid"),  # odd channel count: a pair and a single
        L.Conv2D(5, 1, padding="same"),
        L.Conv2D(17, (4, 3), strides=(2, 1), padding="same"),  # windowed: 4 blocks + 1
        L.DepthwiseConv2D(3, padding="same", activation="relu6"),  # 4 channels: one block
        L.DepthwiseConv2D(3, strides=2, padding="same", depth_multiplier=2),
        L.DepthwiseConv2D(3, strides=2, padding="same"),  # DSP 3x3 kernel, full int8 range
        # Channel counts the Helium 3x3 kernel takes (eight per vector): two blocks, edges.
        tf.keras.Sequential([L.Conv2D(16, 1), L.DepthwiseConv2D(3, padding="same")]),
        tf.keras.Sequential([L.Conv2D(8, 1),
                             L.DepthwiseConv2D(3, strides=2, padding="same", activation="relu6")]),
        # Three blocks, large weights into RELU6: effective scales above 1 (left shifts),
        # so the general requantization (not the assembly loops).
        tf.keras.Sequential([L.Conv2D(24, 1, kernel_initializer=big),
                             L.DepthwiseConv2D(3, padding="same", activation="relu6",
                                               depthwise_initializer=big)]),
        # Width 9, stride 2: pad_left 1, so a left edge pixel; widths 2 and 1: edge pixels
        # only, then windows clipped on both sides.
        tf.keras.Sequential([L.Conv2D(8, (1, 2)), L.DepthwiseConv2D(3, strides=2, padding="same")]),
        tf.keras.Sequential([L.Conv2D(8, (1, 9)), L.DepthwiseConv2D(3, padding="same")]),
        tf.keras.Sequential([L.Conv2D(8, (1, 10)), L.DepthwiseConv2D(3, padding="same")]),
        L.AveragePooling2D(3, strides=2, padding="same"),
        L.AveragePooling2D((11, 10)),  # one whole-image window, as KWS and ResNet-8 end
        tf.keras.Sequential([L.Conv2D(6, 1), L.AveragePooling2D(2)]),  # 6 channels: fallback
        tf.keras.Sequential([L.Conv2D(8, 1), L.AveragePooling2D(3, strides=2, padding="same")]),
    ]


@pytest.mark.skipif(not have_qemu_tools(), reason="needs pio, arm-none-eabi-gcc and qemu-system-arm")
@pytest.mark.parametrize("board", ["mps2_an386", "mps2_an385", "mps3_an547"])  # DSP, portable, MVE
def test_int8_on_qemu_is_bit_exact(board, tmp_path):
    shape = (1, 11, 10, 4)
    b = to_tflite(branches(shape, mixed_branches, seed=21), [shape], "int8")
    assert op_kinds(b) == {"CONV_2D:int8", "DEPTHWISE_CONV_2D:int8", "AVERAGE_POOL_2D:int8"}
    path = tmp_path / "conv_mix_int8.tflite"
    path.write_bytes(b)
    assert_bit_exact_on_board(str(path), board, 4, 3,
                              str(tmp_path / "build"))


def gemm_branches():
    big = tf.keras.initializers.RandomUniform(-20.0, 20.0, seed=5)
    return [
        # 3 input channels: int8 window copies, a 27-value window (tail quad), 35 pixels
        # (the last block of three repeats a pixel)
        L.Conv2D(8, 3, strides=2, padding="same", activation="relu"),
        L.Conv2D(6, 3, padding="valid"),  # 77 pixels = 4k + 1: a five-pixel block
        L.Conv2D(7, (3, 4), padding="valid"),  # 70 pixels: two single pixels, odd channels
        L.Conv2D(5, 1),  # a 3-value window: the general loops
        # a 12-value window over 3 channels, then pointwise over 8 (rows of 13 = 4k + 1)
        lambda x: L.Conv2D(12, 1)(L.Conv2D(8, (2, 2), padding="same")(x)),
        # large weights into a RELU6 output: effective scales above 1 (a left shift), so
        # the general requantization; 117 pixels = 4k + 1 without the five-pixel block
        L.Conv2D(4, (1, 2), padding="same", activation="relu6", kernel_initializer=big),
    ]


@pytest.mark.skipif(not have_qemu_tools(), reason="needs pio, arm-none-eabi-gcc and qemu-system-arm")
@pytest.mark.parametrize("board", ["mps2_an386", "mps2_an500", "mps2_an385"])  # M4, M7, portable
def test_int8_conv_gemm_paths_on_qemu_are_bit_exact(board, tmp_path):
    # Every path of the DSP convolution GEMM (arm/conv2d_dsp.cpp) against tflite_micro.
    shape = (1, 9, 13, 3)
    wide = lambda rng, s: rng.uniform(-100, 100, s).astype(np.float32)  # noqa: E731
    b = to_tflite(branches(shape, gemm_branches, seed=4), [shape], "int8", rep=wide)
    assert op_kinds(b) == {"CONV_2D:int8"}
    g = read_graph(b)
    lowered = [lower(op, g).params["fields"] for op in g.operators]
    assert any(not f["fast_requant"] for f in lowered)  # the general requantization
    assert sum(f["fast_requant"] for f in lowered) >= 5
    path = tmp_path / "conv_gemm_int8.tflite"
    path.write_bytes(b)
    assert_bit_exact_on_board(str(path), board, 4, 5,
                              str(tmp_path / "build"))


# ---- Helium (M55) conv2d_s8_gemm: every window shape and requantization variant --------

def mve_gemm_branches():
    """Branches reaching each path of kernels/arm/conv2d_mve.cpp (input 1x10x9x16: 90
    pixels per stride-1 layer, i.e. groups of four and a 2-pixel remainder)."""
    conv = L.Conv2D
    return [
        conv(64, 1),  # C_IN 16 pointwise: whole 16-byte steps, direct windows
        lambda x: conv(24, 1)(conv(32, 1)(x)),  # C_IN 32: two steps per window
        conv(7, 3, padding="same", activation="relu6"),  # 3x3 over 16: borders, odd channels
        # ReLU into a concatenation's wider range: activation_min above -128 (the clamp)
        lambda x: L.Concatenate()([conv(4, 1, activation="relu")(x), conv(4, 1)(x)]),
        lambda x: conv(16, 3, strides=2, padding="same")(conv(3, 1)(x)),  # 27 bytes: step + tail
        lambda x: conv(12, (5, 4), strides=(1, 2))(conv(1, 1)(x)),  # C_IN 1, 20-byte windows
        lambda x: conv(16, 1)(conv(8, 1)(x)),  # 8-byte windows: a tail only
        conv(6, (2, 3), dilation_rate=(2, 1), padding="same"),  # vertical dilation
        conv(5, (4, 9)),  # 7 pixels: a group of four, then one of three
        lambda x: conv(2, 1, use_bias=False, name="cancel")(conv(4, 1, name="twin")(x)),
        # 64-byte windows: the remainder pixels' loop with the window held in registers
        lambda x: conv(8, 1)(conv(64, 1)(x)),
        # filter rows of one word (word gathers): kws's first layer (10x4 over one channel,
        # stride 2, padding on every side), 2x2 over two channels (right padding), 3x1 over 4
        lambda x: conv(8, (10, 4), strides=2, padding="same")(conv(1, 1)(x)),
        lambda x: conv(4, (2, 2), strides=(1, 2), padding="same")(conv(2, 1)(x)),
        lambda x: conv(6, (3, 1), padding="same")(conv(4, 1)(x)),
    ]


@pytest.mark.skipif(not have_qemu_tools(), reason="needs pio, arm-none-eabi-gcc and qemu-system-arm")
def test_int8_mve_gemm_on_qemu_is_bit_exact(tmp_path):
    shape = (1, 10, 9, 16)
    model = branches(shape, mve_gemm_branches, seed=5)
    # Two identical channels (of four: every GEMM window has >= 4 values), then a channel of
    # large weights that cancel on them next to one of small weights: a multiplier >= 0.5 (a
    # left shift), which takes the kernel's general (any shift) loop.
    twin = model.get_layer("twin")
    k, bias = twin.kernel.numpy(), twin.bias.numpy()
    k[..., 1] = k[..., 0]
    bias[1] = bias[0]
    twin.kernel.assign(k)
    twin.bias.assign(bias)
    model.get_layer("cancel").kernel.assign(
        np.array([[[[4.0, 0.01], [-4.0, 0.01], [0.0, 0.01], [0.0, 0.01]]]], np.float32))
    b = to_tflite(model, [shape], "int8")
    g = read_graph(b)
    calls = [lower(op, g) for op in g.operators if op.op_type == "CONV_2D"]
    assert all(c.params["gemm"] for c in calls)
    assert any(not c.params["fields"]["right_shifts_only"] for c in calls)
    assert any(c.params["fields"]["activation_min"] > -128 or c.params["fields"]["activation_max"] < 127
               for c in calls)
    path = tmp_path / "conv_mve_int8.tflite"
    path.write_bytes(b)
    assert_bit_exact_on_board(str(path), "mps3_an547", 3, 4,
                              str(tmp_path / "build"), layers=True)
