"""Issue 15 fast paths on the emulated boards, bit-exact against tflite_micro: a float
input QUANTIZE (float32 division, inline rounding), one-channel DEPTHWISE_CONV_2D with
depth multipliers run as CONV_2D (passes.depthwise_as_conv; the DSP and Helium GEMMs),
and MAX_POOL_2D windows over channel counts that take the SSUB8/SEL (multiple of 4), the
portable (6 channels on DSP cores) and the predicated Helium tail (12, 20 channels)."""

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
from opcheck import assert_bit_exact_on_board, have_qemu_tools, quantize_int8  # noqa: E402

L = tf.keras.layers


def _model_bytes():
    tf.keras.utils.set_random_seed(15)
    x = tf.keras.Input(shape=(21, 18, 1), name="in0")
    outs = [
        L.DepthwiseConv2D((10, 8), strides=2, padding="same", depth_multiplier=8,
                          activation="relu")(x),
        L.MaxPooling2D(2)(L.DepthwiseConv2D(3, depth_multiplier=32, activation="relu")(x)),
        L.DepthwiseConv2D((5, 3), depth_multiplier=4, padding="same", activation="relu6")(x),
        L.DepthwiseConv2D((1, 4), strides=(1, 2), depth_multiplier=3, padding="same")(x),
        L.MaxPooling2D(3, strides=2, padding="same")(L.Conv2D(12, 1)(x)),
        L.MaxPooling2D((2, 3), strides=(1, 2))(L.Conv2D(6, 1)(x)),
        L.MaxPooling2D(7, strides=3, padding="same")(L.Conv2D(20, 1)(x)),
    ]
    rng = np.random.RandomState(15)

    def representative():
        for _ in range(16):
            yield {"in0": rng.uniform(-2.0, 2.0, size=(1, 21, 18, 1)).astype(np.float32)}

    conv = tf.lite.TFLiteConverter.from_keras_model(tf.keras.Model(x, outs))
    return quantize_int8(conv, representative, tf.float32).convert()


@pytest.mark.skipif(not have_qemu_tools(), reason="needs pio, arm-none-eabi-gcc and qemu-system-arm")
@pytest.mark.parametrize("board", ["mps2_an386", "mps3_an547", "mps2_an385"])  # DSP, MVE, portable
def test_first_layer_paths_on_qemu_are_bit_exact(board, tmp_path):
    path = tmp_path / "kern_first_layers.tflite"
    path.write_bytes(_model_bytes())
    assert_bit_exact_on_board(str(path), board, 3, 7, str(tmp_path / "build"))
