"""FLOOR_DIV float32 divides in double, as TFLite Micro's FloorDiv does: 1.3803922 /
0.03137255 is 43.99999... exactly but 44.0 in float32, so floor gives 43 (TFLM) or 44.
Found on the boards by test_families_qemu.py (UTENSOR_FAMILIES_SEED=1, FLOOR_DIV float32
draw 1001, int8-fed inputs)."""

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")


def test_floor_div_rounds_like_tflite_micro():
    from opcheck import assert_matches_reference

    a = tf.keras.Input((3,), batch_size=1)
    b = tf.keras.Input((3,), batch_size=1)
    model = tf.keras.Model([a, b], tf.keras.layers.Lambda(lambda t: tf.math.floordiv(t[0], t[1]))([a, b]))
    data = tf.lite.TFLiteConverter.from_keras_model(model).convert()
    from conformance import op_types

    assert op_types(data) == ["FLOOR_DIV"]
    x = np.array([[1.3803922, 2.5, -1.3803922]], np.float32)
    y = np.array([[0.03137255, 0.5, 0.03137255]], np.float32)
    assert np.floor(x[0, 0] / y[0, 0]) == 44.0  # the float32 quotient
    assert np.floor(np.float64(x[0, 0]) / np.float64(y[0, 0])) == 43.0  # the double one
    assert_matches_reference(data, inputs=[[x, y]], name="floor_div_double")
