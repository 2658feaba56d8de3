"""Conformance entries of the last (operator, dtype) pairs TFLite Micro runs (issues 13 and 14):
SOFTMAX int8 -> int16, int32 DIV, int8 RSQRT. Registered with the conformance generator
(test/conformance.py), imported by test/conformance_ops.py.

The TensorFlow converter does not emit some of these forms; those models are built from a
converted model by retyping tensors through TensorFlow's flatbuffer object API
(tensorflow.lite.tools.flatbuffer_utils), and tflite_micro is still the oracle.
"""

import numpy as np

from conformance import Case, random_shape, register


def _flatbuffer_edit(edit, dtypes=("int8",)):
    """A Case.rewrite applying edit(model object, its schema module) to the models of `dtypes`."""
    def rewrite(tflite: bytes, dtype: str) -> bytes:
        if dtype not in dtypes:
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


def _fused_activation(name):
    """An edit giving every DIV the fused activation `name` (the converter fuses none into an
    int32 DIV: TensorFlow has no int32 RELU to fuse)."""
    def edit(model, schema):
        code = schema.ActivationFunctionType.__dict__[name]
        for o in model.subgraphs[0].operators:
            c = model.operatorCodes[o.opcodeIndex]
            if max(c.builtinCode, c.deprecatedBuiltinCode) == schema.BuiltinOperator.DIV:
                o.builtinOptions.fusedActivationFunction = code
    return edit


@register("DIV", dtypes=("float32",), seeds=8, label="i32")
def div_i32(rng, dtype):  # pylint: disable=unused-argument
    """int32 DIV (tf.raw_ops.Div on int32: C division). The model takes float32 inputs (the
    recipe is float32; int32 tensors carry no quantization) and CASTs them to int32 after a
    drawn scale, so dividends reach 1e8 and both operands take both signs; the divisor is
    2 * cast(y) + 1 (never zero: a zero divisor fails TFLite Micro's invocation, which
    test_gaps2.py checks) or a constant of nonzero values. Shapes broadcast as for the other
    binary operators; the fused activation is sometimes rewritten (NONE, RELU, RELU6,
    RELU_N1_TO_1) with flatbuffer_utils."""
    import tensorflow as tf  # pylint: disable=import-outside-toplevel

    a = random_shape(rng, rank=int(rng.randint(2, 5)), hi=6)
    b = (1,) + tuple(d if rng.rand() < 0.6 else 1 for d in a[1:])
    scale_a = float(rng.choice([1.0, 30.0, 1e6, 5e7]))
    scale_b = float(rng.choice([1.0, 3.0, 100.0, 1e4]))
    act = ["NONE", "RELU", "RELU6", "RELU_N1_TO_1"][rng.randint(4)]
    const_b = bool(rng.rand() < 0.3)
    if const_b:
        values = rng.randint(1, 50, size=b) * rng.choice([-1, 1], size=b)
        shapes = [a]

        def build(x):
            return tf.keras.layers.Lambda(lambda t: tf.raw_ops.Div(
                x=tf.cast(t * scale_a, tf.int32), y=tf.constant(values, tf.int32)))(x)
    else:
        shapes = [a, b] if rng.rand() < 0.5 else [b, a]

        def build(x, y):
            return tf.keras.layers.Lambda(lambda t: tf.raw_ops.Div(
                x=tf.cast(t[0] * scale_a, tf.int32),
                y=tf.cast(t[1] * scale_b, tf.int32) * 2 + 1))([x, y])
    return Case(shapes, build, {"shapes": shapes, "scales": (scale_a, scale_b), "activation": act,
                                "constant_divisor": const_b},
                value_range=(-3.0, 3.0), expect_ops=["DIV", "CAST"],
                rewrite=_flatbuffer_edit(_fused_activation(act), dtypes=("float32",)) if act != "NONE" else None)


@register("RSQRT", dtypes=("int8",), seeds=6, label="s8")
def rsqrt_s8(rng, dtype):  # pylint: disable=unused-argument
    """int8 RSQRT over drawn positive ranges. The converter calibrates a non-negative input to
    zero point -128, so every int8 input is valid here (the inputs are drawn over all 256
    values); TFLite Micro fails the invocation on an input below a higher zero point, which
    test_gaps2.py checks with the zero point rewritten."""
    import keras  # pylint: disable=import-outside-toplevel

    shape = random_shape(rng, rank=int(rng.randint(2, 5)), hi=9)
    hi = float(rng.choice([0.5, 4.0, 30.0, 500.0]))
    return Case([shape], lambda x: keras.ops.rsqrt(x), {"shape": shape, "range": (hi / 100, hi)},
                value_range=(hi / 100, hi))
