"""ARG_MAX / ARG_MIN with an int64 output (tf.math.argmax(output_type=tf.int64)): TFLite
Micro's kernel fails at invoke ("Only int32_t are supported currently, got INT64"), so
utensor refuses the model at conversion, naming the operator and the supported dtype.
Found by test_families_qemu.py under UTENSOR_FAMILIES_SEED=1 (utensor ran it, status 0)."""

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")


@pytest.mark.parametrize("fn,name", [(tf.math.argmax, "ARG_MAX"), (tf.math.argmin, "ARG_MIN")])
@pytest.mark.parametrize("dtype", ["float32", "int8"])
def test_int64_output_is_refused_like_tflite_micro(tmp_path, fn, name, dtype):
    from opcheck import quantize_int8
    from utensor import convert
    from utensor.errors import UnsupportedError
    from utensor.reference import Reference

    x = tf.keras.Input((4, 5), batch_size=1)
    model = tf.keras.Model(x, tf.keras.layers.Lambda(lambda t: fn(t, axis=2, output_type=tf.int64))(x))
    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    if dtype == "int8":
        def representative():
            r = np.random.RandomState(0)
            for _ in range(8):
                yield [r.uniform(-1, 1, (1, 4, 5)).astype(np.float32)]
        quantize_int8(conv, representative)
    data = conv.convert()
    ref = Reference(data)
    with pytest.raises(RuntimeError):
        ref.invoke([np.zeros(d["shape"], d["dtype"]) for d in ref.input_details])
    path = tmp_path / "arg64.tflite"
    path.write_bytes(data)
    with pytest.raises(UnsupportedError, match=f"{name}.*output dtype int64 is not supported"):
        convert.convert_file(str(path))
