"""16x8 forms the conformance generator cannot draw, against tflite_micro on the host
(ASan/UBSan): TRANSPOSE_CONV with a fused activation (TensorFlow's converter never fuses
one into it; the files are patched as in test_transpose_conv_models.py)."""

import numpy as np
import pytest

pytest.importorskip("tensorflow")

from opcheck import assert_matches_reference, quantize_int16  # noqa: E402
from test_transpose_conv_models import _patch  # noqa: E402

SEED = 5


def _tconv_16x8():
    import tensorflow as tf  # pylint: disable=import-outside-toplevel

    tf.keras.utils.set_random_seed(SEED)
    x = tf.keras.Input(shape=(5, 6, 3), batch_size=1)
    y = tf.keras.layers.Conv2DTranspose(
        4, (3, 2), strides=(2, 3), padding="same",
        bias_initializer=tf.keras.initializers.RandomNormal(stddev=0.5))(x)
    converter = tf.lite.TFLiteConverter.from_keras_model(tf.keras.Model(x, y))

    def representative():
        rng = np.random.RandomState(SEED)
        for _ in range(16):
            yield [rng.uniform(-2, 2, size=(1, 5, 6, 3)).astype(np.float32)]
    quantize_int16(converter, representative)
    return converter.convert()


@pytest.mark.parametrize("act", ["RELU", "RELU6", "RELU_N1_TO_1"])
def test_transpose_conv_16x8_fused_activation_matches_tflite_micro(act):
    def edit(m, op, schema):  # pylint: disable=unused-argument
        op.builtinOptions.fusedActivationFunction = getattr(schema.ActivationFunctionType, act)
    data = _patch(_tconv_16x8(), edit)
    rng = np.random.RandomState(SEED)
    inputs = [[rng.randint(-32768, 32768, size=(1, 5, 6, 3)).astype(np.int16)] for _ in range(3)]
    assert_matches_reference(data, inputs=inputs, name=f"tconv16_{act.lower()}")


@pytest.mark.parametrize("op,message", [
    ("TRANSPOSE", "TRANSPOSE.*int32.*supported: int8, int16 or float32"),
    ("ARG_MAX", "ARG_MAX.*int32.*supported: int8 or float32 in"),
    ("ARG_MIN", "ARG_MIN.*int32.*supported: int8 or float32 in"),
])
def test_int32_forms_tflite_micro_refuses_are_refused(op, message, tmp_path):
    """tflite_micro fails TRANSPOSE ("Type INT32 is currently not supported by Transpose")
    and ARG_MAX/ARG_MIN ("Only float32, uint8_t and int8_t are supported currently") on
    int32 inputs: utensor refuses them at conversion, naming what is supported."""
    import conformance
    from conformance_ops_int16b import as_dtype
    from utensor import convert, passes
    from utensor.errors import UnsupportedError
    from utensor.reference import Reference

    d = conformance.draw(op, "float32", 0)
    data = as_dtype("int32")(d.tflite, "float32")
    ref = Reference(data)
    with pytest.raises(RuntimeError):
        ref.invoke([np.zeros(x["shape"], x["dtype"]) for x in ref.input_details])
    path = tmp_path / "m.tflite"
    path.write_bytes(data)
    with pytest.raises(UnsupportedError, match=message):
        convert.lower_graph(passes.run_all(convert.read_model(str(path)), ()))
