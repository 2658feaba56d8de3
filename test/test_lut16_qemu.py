"""The LUT / fixed-point activations of issues 13 and 14 on emulated Cortex-M cores,
against tflite_micro with `utensor verify`: one 16x8 model (int16 LOGISTIC, TANH, SOFTMAX)
and one int8 LOG_SOFTMAX model, on mps2_an386 (Cortex-M4F) and mps3_an547 (Cortex-M55).
The kernels are portable (no Arm variant); this checks them compiled by arm-none-eabi-gcc.
int8 DIV is not streamed here: random inputs reach the divisions whose TFLM arithmetic is
undefined, which only the host test (test_lut16.py) can leave out of the comparison.

Needs pio, arm-none-eabi-gcc and qemu-system-arm (skipped otherwise); about two minutes.
"""

import numpy as np
import pytest

from opcheck import assert_bit_exact_on_board, have_qemu_tools, quantize_int8, quantize_int16

pytestmark = pytest.mark.skipif(not have_qemu_tools(),
                                reason="needs pio, arm-none-eabi-gcc and qemu-system-arm")
tf = pytest.importorskip("tensorflow")


def _representative(shape):
    def gen():
        rng = np.random.RandomState(0)
        for _ in range(24):
            yield [rng.uniform(-5.0, 5.0, size=shape).astype(np.float32)]
    return gen


def _activations_int16():
    x = tf.keras.Input(shape=(24,), batch_size=1)
    model = tf.keras.Model(x, [tf.keras.ops.sigmoid(x), tf.keras.ops.tanh(x * 0.7), tf.keras.ops.softmax(x)])
    c = tf.lite.TFLiteConverter.from_keras_model(model)
    quantize_int16(c, _representative((1, 24)))
    return c.convert()


def _log_softmax_int8():
    x = tf.keras.Input(shape=(3, 20), batch_size=1)
    model = tf.keras.Model(x, tf.keras.layers.Lambda(lambda t: tf.nn.log_softmax(t, axis=-1))(x))
    c = tf.lite.TFLiteConverter.from_keras_model(model)
    quantize_int8(c, _representative((1, 3, 20)))
    return c.convert()


@pytest.mark.parametrize("board", ["mps2_an386", "mps3_an547"])
@pytest.mark.parametrize("name,build", [("act16", _activations_int16), ("logsm8", _log_softmax_int8)])
def test_lut_activations_bit_exact_on_board(tmp_path, board, name, build):
    path = tmp_path / f"{name}.tflite"
    path.write_bytes(build())
    assert_bit_exact_on_board(path, board, samples=10, seed=3, build_dir=tmp_path / "build")
