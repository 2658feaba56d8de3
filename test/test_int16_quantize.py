"""QUANTIZE and DEQUANTIZE in TFLite's 16x8 quantization, against tflite_micro on the host:
a float32-I/O model (QUANTIZE float32 -> int16 in, DEQUANTIZE int16 -> float32 out) whose
concatenation of differently scaled branches makes the converter requantize int16 -> int16."""

import numpy as np
import pytest

pytest.importorskip("tensorflow")

from opcheck import assert_matches_reference, quantize_int16  # noqa: E402


def _model(seed):
    import tensorflow as tf

    tf.keras.utils.set_random_seed(seed)
    layers = tf.keras.layers
    inp = tf.keras.Input(shape=(6, 5), batch_size=1)
    a = layers.Dense(7, activation="relu")(inp)
    b = layers.Dense(3)(inp)
    out = layers.Concatenate(axis=-1)([a, layers.Lambda(lambda t: t * 9.0)(b)])
    converter = tf.lite.TFLiteConverter.from_keras_model(tf.keras.Model(inp, out))

    def representative():
        rng = np.random.RandomState(seed)
        for _ in range(24):
            yield [rng.uniform(-3.0, 3.0, size=(1, 6, 5)).astype(np.float32)]

    quantize_int16(converter, representative, io_type=tf.float32)
    return converter.convert()


@pytest.mark.parametrize("seed", [0, 1])
def test_float_io_16x8_matches_tflite_micro(seed, tmp_path):
    from utensor import convert

    data = _model(seed)
    path = tmp_path / "q16.tflite"
    path.write_bytes(data)
    graph = convert.read_model(str(path), name="q16")
    kinds = {(op.op_type, graph.tensor(op.inputs[0]).dtype, graph.tensor(op.outputs[0]).dtype)
             for op in graph.operators if op.op_type in ("QUANTIZE", "DEQUANTIZE")}
    assert ("QUANTIZE", "float32", "int16") in kinds and ("DEQUANTIZE", "int16", "float32") in kinds
    rng = np.random.RandomState(seed)
    # Beyond the calibrated range too: QUANTIZE saturates there.
    inputs = [[rng.uniform(-5.0, 5.0, size=(1, 6, 5)).astype(np.float32)] for _ in range(4)]
    assert_matches_reference(data, inputs=inputs, name="q16")


def test_int16_requantize_is_exercised():
    """The concatenation's differently scaled branch becomes QUANTIZE int16 -> int16."""
    import tempfile

    from utensor import convert

    with tempfile.NamedTemporaryFile(suffix=".tflite") as f:
        f.write(_model(0))
        f.flush()
        graph = convert.read_model(f.name, name="q16")
    assert any(op.op_type == "QUANTIZE" and graph.tensor(op.inputs[0]).dtype == "int16"
               and graph.tensor(op.outputs[0]).dtype == "int16" for op in graph.operators)
