"""A 1-D convolutional audio model (Conv1D, DepthwiseConv1D, Dense, as TensorFlow lowers
them: RESHAPE around CONV_2D / DEPTHWISE_CONV_2D, FULLY_CONNECTED) quantized with TFLite's
16x8 recipe (int16 activations, int8 weights, int64 bias): bit-exact with tflite_micro on
the host and, through `utensor verify`, on the Cortex-M4 (DSP) and Cortex-M55 (Helium)
boards, whose int8 fast paths int16 must never reach."""

import os

import numpy as np
import pytest

pytest.importorskip("tensorflow")

from opcheck import assert_bit_exact_on_board, assert_matches_reference, have_qemu_tools, quantize_int16  # noqa: E402

EXPECTED_OPS = {"RESHAPE", "CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"}


def audio_model(dtype: str = "int16") -> bytes:
    """The audio model, 16x8-quantized ("int16") or as float32 (also `utensor bench`'s 16x8
    conv model in BENCHMARKS.md)."""
    import tensorflow as tf

    tf.keras.utils.set_random_seed(1)
    layers = tf.keras.layers
    bias = tf.keras.initializers.RandomUniform(-0.5, 0.5, seed=3)
    inp = tf.keras.Input(shape=(49, 10), batch_size=1)  # 49 frames of 10 MFCCs
    x = layers.Conv1D(16, 5, strides=2, padding="same", activation="relu", bias_initializer=bias)(inp)
    x = layers.DepthwiseConv1D(3, padding="valid", activation="relu", bias_initializer=bias)(x)
    x = layers.Conv1D(24, 3, dilation_rate=2, activation="relu6", bias_initializer=bias)(x)
    x = layers.Flatten()(x)
    x = layers.Dense(12, bias_initializer=bias)(x)
    converter = tf.lite.TFLiteConverter.from_keras_model(tf.keras.Model(inp, x))

    def representative():
        rng = np.random.RandomState(0)
        for _ in range(32):
            yield [rng.uniform(-2.0, 2.0, size=(1, 49, 10)).astype(np.float32)]

    if dtype == "int16":
        quantize_int16(converter, representative)
    return converter.convert()


@pytest.fixture(scope="module")
def audio16(tmp_path_factory):
    path = tmp_path_factory.mktemp("audio16") / "audio16.tflite"
    path.write_bytes(audio_model("int16"))
    return path


def test_audio16_is_16x8(audio16):
    from utensor import convert

    graph = convert.read_model(str(audio16), name="audio16")
    assert {op.op_type for op in graph.operators} == EXPECTED_OPS
    for op in graph.operators:
        if op.op_type in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"):
            x, w, b = (graph.tensor(i) for i in op.inputs)
            assert (x.dtype, w.dtype, b.dtype) == ("int16", "int8", "int64")


def test_audio16_matches_tflite_micro_on_host(audio16):
    assert_matches_reference(audio16.read_bytes(), samples=5, seed=11, name="audio16")


@pytest.mark.skipif(not have_qemu_tools(), reason="needs pio, arm-none-eabi-gcc and qemu-system-arm")
@pytest.mark.parametrize("board", ["mps2_an386", "mps3_an547"])  # DSP, Helium
def test_audio16_on_qemu_is_bit_exact(audio16, board, tmp_path):
    assert_bit_exact_on_board(audio16, board, samples=3, seed=5, build_dir=tmp_path / "build")
