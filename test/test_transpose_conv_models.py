"""TRANSPOSE_CONV in whole models: a small U-Net style encoder/decoder (Conv2D, MaxPool,
Conv2DTranspose, CONCATENATION of the skip connections, and the bottleneck upsampled by
RESIZE_NEAREST_NEIGHBOR and RESIZE_BILINEAR into the decoder), int8 and float32, against
tflite_micro on the host (ASan/UBSan) and through `utensor verify` on two emulated boards
(Cortex-M4F and Cortex-M55); plus the fused activation (TRANSPOSE_CONV version 4), which
TensorFlow's converter never emits, on patched files; and the converter's refusals.

The QEMU tests need pio, arm-none-eabi-gcc and qemu-system-arm (skipped otherwise).
"""

import numpy as np
import pytest

pytest.importorskip("tensorflow")

from conformance import op_types  # noqa: E402
from opcheck import (assert_bit_exact_on_board, assert_matches_reference,  # noqa: E402
                     have_qemu_tools, quantize_int8)

SHAPE = (1, 16, 16, 2)
SEED = 13


def _unet():
    import tensorflow as tf  # pylint: disable=import-outside-toplevel

    tf.keras.utils.set_random_seed(SEED)
    l = tf.keras.layers
    rand_bias = tf.keras.initializers.RandomNormal(stddev=0.3)
    x = tf.keras.Input(shape=SHAPE[1:], batch_size=1, name="image")
    c1 = l.Conv2D(8, 3, padding="same", activation="relu", bias_initializer=rand_bias)(x)
    c2 = l.Conv2D(16, 3, padding="same", activation="relu", bias_initializer=rand_bias)(
        l.MaxPooling2D(2)(c1))
    b = l.Conv2D(16, 3, padding="same", activation="relu", bias_initializer=rand_bias)(
        l.MaxPooling2D(2)(c2))
    # Stride 2 SAME with a bias and a ReLU, then stride 2 VALID without a bias.
    u2 = l.Conv2DTranspose(16, 3, strides=2, padding="same", activation="relu",
                           bias_initializer=rand_bias)(b)
    # The bottleneck also reaches each decoder level resized (nearest x2, bilinear x4),
    # through tf.image.resize: Keras 3's UpSampling2D writes nearest as TILE-based repeats.
    def resize(t, size, method):
        return l.Lambda(lambda u: tf.image.resize(u, size, method=method))(t)

    c3 = l.Conv2D(12, 3, padding="same", activation="relu", bias_initializer=rand_bias)(
        l.Concatenate()([u2, c2, resize(b, (8, 8), "nearest")]))
    u1 = l.Conv2DTranspose(8, 2, strides=2, padding="valid", use_bias=False)(c3)
    y = l.Conv2D(1, 1, bias_initializer=rand_bias)(
        l.Concatenate()([u1, c1, resize(b, (16, 16), "bilinear")]))
    return tf.keras.Model(x, y)


def _convert(model, dtype):
    import tensorflow as tf  # pylint: disable=import-outside-toplevel

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    if dtype == "int8":
        def representative():
            rng = np.random.RandomState(SEED)
            for _ in range(32):
                yield [rng.uniform(-1, 1, size=SHAPE).astype(np.float32)]
        quantize_int8(converter, representative)
    return converter.convert()


@pytest.fixture(scope="module", params=["int8", "float32"])
def unet(request, tmp_path_factory):
    data = _convert(_unet(), request.param)
    path = tmp_path_factory.mktemp("tconv") / f"unet_{request.param}.tflite"
    path.write_bytes(data)
    return request.param, str(path), data


def test_unet_has_the_decoder_operators(unet):
    ops = op_types(unet[2])
    for name in ("CONV_2D", "MAX_POOL_2D", "TRANSPOSE_CONV", "CONCATENATION", "RESIZE_NEAREST_NEIGHBOR",
                 "RESIZE_BILINEAR"):
        assert name in ops, ops
    assert ops.count("TRANSPOSE_CONV") == 2


def test_unet_matches_tflite_micro_on_host(unet):
    assert_matches_reference(unet[2], samples=3, seed=SEED, name=f"unet_{unet[0]}")


@pytest.mark.skipif(not have_qemu_tools(), reason="needs pio, arm-none-eabi-gcc and qemu-system-arm")
@pytest.mark.parametrize("board", ["mps2_an386", "mps3_an547"])
def test_unet_verify_on_qemu(unet, board, tmp_path):
    dtype, path, _ = unet
    if dtype == "int8":
        assert_bit_exact_on_board(path, board, 4, SEED, str(tmp_path))
        return
    import os  # pylint: disable=import-outside-toplevel
    import subprocess  # pylint: disable=import-outside-toplevel
    import sys  # pylint: disable=import-outside-toplevel

    from opcheck import REPO  # pylint: disable=import-outside-toplevel

    env = dict(os.environ, PYTHONPATH=os.path.join(REPO, "scripts"))
    r = subprocess.run([sys.executable, "-m", "utensor", "verify", path, "--board", board,
                        "--samples", "4", "--seed", str(SEED), "--build-dir", str(tmp_path)],
                       env=env, text=True, capture_output=True, timeout=900)
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"PASS: unet_float32 on {board}: 4/4 samples match" in r.stdout, r.stdout


# ---- fused activation and refusals, on one small layer -------------------------------------

def _layer(dtype, bias=True):
    import tensorflow as tf  # pylint: disable=import-outside-toplevel

    tf.keras.utils.set_random_seed(SEED)
    x = tf.keras.Input(shape=(5, 6, 3), batch_size=1)
    y = tf.keras.layers.Conv2DTranspose(
        4, (3, 2), strides=(2, 3), padding="same", use_bias=bias,
        bias_initializer=tf.keras.initializers.RandomNormal(stddev=0.5))(x)
    model = tf.keras.Model(x, y)
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    if dtype == "int8":
        def representative():
            rng = np.random.RandomState(SEED)
            for _ in range(16):
                yield [rng.uniform(-2, 2, size=(1, 5, 6, 3)).astype(np.float32)]
        quantize_int8(converter, representative)
    return converter.convert()


def _patch(data, edit):
    from test_ops_dense import patch_model  # pylint: disable=import-outside-toplevel

    def apply(m, schema):
        for op in m.subgraphs[0].operators:
            code = m.operatorCodes[op.opcodeIndex]
            if max(code.builtinCode, code.deprecatedBuiltinCode) == schema.BuiltinOperator.TRANSPOSE_CONV:
                edit(m, op, schema)
    return patch_model(data, apply)


@pytest.mark.parametrize("dtype", ["int8", "float32"])
@pytest.mark.parametrize("act", ["RELU", "RELU6", "RELU_N1_TO_1"])
def test_fused_activation_matches_tflite_micro(dtype, act):
    """TFLite Micro clamps TRANSPOSE_CONV's output by its fused activation (both dtypes)."""
    def edit(m, op, schema):
        op.builtinOptions.fusedActivationFunction = getattr(schema.ActivationFunctionType, act)
    data = _patch(_layer(dtype), edit)
    rng = np.random.RandomState(SEED)
    if dtype == "float32":
        inputs = [[rng.uniform(-3, 3, size=(1, 5, 6, 3)).astype(np.float32)] for _ in range(3)]
    else:
        inputs = [[rng.randint(-128, 128, size=(1, 5, 6, 3)).astype(np.int8)] for _ in range(3)]
    assert_matches_reference(data, inputs=inputs, name=f"tconv_{act.lower()}_{dtype}")


def test_layer_without_bias_matches_tflite_micro():
    assert_matches_reference(_layer("int8", bias=False), samples=2, seed=SEED, name="tconv_nobias")


def _convert_bytes(data, tmp_path):
    from utensor import convert  # pylint: disable=import-outside-toplevel

    path = tmp_path / "m.tflite"
    path.write_bytes(data)
    return convert.convert_file(str(path))


def test_output_shape_disagreeing_with_the_output_is_refused(tmp_path):
    from utensor.errors import ModelFormatError  # pylint: disable=import-outside-toplevel

    def edit(m, op, schema):  # pylint: disable=unused-argument
        buf = m.buffers[m.subgraphs[0].tensors[op.inputs[0]].buffer]
        shape = np.frombuffer(bytes(bytearray(buf.data)), np.int32).copy()
        shape[1] += 1
        buf.data = list(shape.tobytes())
    with pytest.raises(ModelFormatError, match="output_shape input is"):
        _convert_bytes(_patch(_layer("float32"), edit), tmp_path)


def test_unknown_padding_is_refused(tmp_path):
    from utensor.errors import ModelFormatError  # pylint: disable=import-outside-toplevel

    def edit(m, op, schema):  # pylint: disable=unused-argument
        op.builtinOptions.padding = 7
    with pytest.raises(ModelFormatError, match="option padding = 7 is not a valid Padding"):
        _convert_bytes(_patch(_layer("float32"), edit), tmp_path)
