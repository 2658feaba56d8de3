"""Conformance entries of the last (operator, dtype) pairs TFLite Micro runs (issues 13 and 14):
SOFTMAX int8 -> int16, int32 DIV, int8 RSQRT. Registered with the conformance generator
(test/conformance.py), imported by test/conformance_ops.py.

The TensorFlow converter does not emit some of these forms; those models are built from a
converted model by retyping tensors through TensorFlow's flatbuffer object API
(tensorflow.lite.tools.flatbuffer_utils), and tflite_micro is still the oracle.
"""

import numpy as np

from conformance import Case, random_shape, register


def _flatbuffer_edit(edit):
    """A Case.rewrite applying edit(model object, its schema module) to int8 models."""
    def rewrite(tflite: bytes, dtype: str) -> bytes:
        if dtype != "int8":
            return tflite
        from tensorflow.lite.python import schema_py_generated as schema  # pylint: disable=import-outside-toplevel
        from tensorflow.lite.tools import flatbuffer_utils  # pylint: disable=import-outside-toplevel

        model = flatbuffer_utils.convert_bytearray_to_object(bytearray(tflite))
        edit(model, schema)
        return bytes(flatbuffer_utils.convert_object_to_bytearray(model))
    return rewrite


def _softmax_output_int16(model, schema):
    """The SOFTMAX output (the model's output) retyped int16 with TFLite Micro's required
    quantization for int8 -> int16: scale 1/65536, zero point -32768."""
    g = model.subgraphs[0]
    t = g.tensors[int(g.outputs[0])]
    assert t.type == schema.TensorType.INT8, t.type
    t.type = schema.TensorType.INT16
    t.quantization.scale = [1.0 / 65536]
    t.quantization.zeroPoint = [-32768]


@register("SOFTMAX", dtypes=("int8",), seeds=8, label="s8_s16")
def softmax_s8_s16(rng, dtype):  # pylint: disable=unused-argument
    """int8 in, int16 out. TensorFlow's converter always gives an int8 softmax an int8 output;
    this model is that converted int8 model with its output tensor retyped to int16 (scale
    1/65536, zero point -32768) with flatbuffer_utils, which TFLite Micro accepts. Rows of 1
    to 300 values (a row of 256 or more takes the precomputed exp table), drawn float ranges
    (the input scale follows)."""
    import keras  # pylint: disable=import-outside-toplevel

    shape = random_shape(rng, rank=int(rng.randint(2, 5)), hi=6)
    depth = int(rng.choice([int(rng.randint(1, 41)), int(rng.randint(250, 301))]))
    shape = shape[:-1] + (depth,)
    half = float(rng.choice([0.5, 2.0, 6.0, 20.0]))
    return Case([shape], lambda x: keras.ops.softmax(x, axis=-1), {"shape": shape, "range": half},
                value_range=(-half, half), rewrite=_flatbuffer_edit(_softmax_output_int16))
