"""Conformance entries of the table-driven and fixed-point activations (issues 13 and 14):
int16 LOGISTIC and TANH (TFLite Micro interpolates in its sigmoid table), int16 SOFTMAX (its
exp and 1/(1+x) tables), int8 LOG_SOFTMAX (gemmlowp fixed-point exp and log), ...

Keras builds each model and TensorFlow's 16x8 recipe quantizes it; the converter always
picks a calibrated (non power-of-two) input scale, so a draw may rewrite the input scale to
one of the power-of-two scales TFLite Micro's kernels special-case, or to any scale in a
wide range, to reach every branch of the Prepare arithmetic.
"""

import numpy as np

from conformance import Case, random_shape, register
from conformance_ops import _ops


def _input_scale_rewrite(rng):
    """A rewrite(tflite, dtype) that sets the first input's scale, or None to keep it."""
    pick = rng.randint(4)
    if pick == 0:
        return None, "converter"
    if pick == 1:
        scale = float(2.0 ** -int(rng.randint(10, 15)))  # 2^-10 .. 2^-14, the exact cases
    else:
        scale = float(np.float32(10.0 ** rng.uniform(-5.0, 0.7)))  # up to ~5 (the int32 bound)

    def rewrite(tflite, dtype):
        if dtype != "int16":
            return tflite
        from lut16_models import set_input_scale  # pylint: disable=import-outside-toplevel

        return set_input_scale(tflite, scale)
    return rewrite, scale


def _sigmoid_like(op, fn, value_range):
    def draw(rng, dtype):  # pylint: disable=unused-argument
        shape = random_shape(rng, rank=rng.randint(2, 5), hi=9)
        rewrite, scale = _input_scale_rewrite(rng)
        return Case([shape], lambda x: fn()(x), {"shape": shape, "input_scale": scale},
                    value_range=value_range, rewrite=rewrite)
    register(op, dtypes=("int16",), seeds=8, label="s16")(draw)


_sigmoid_like("LOGISTIC", lambda: _ops().sigmoid, (-8.0, 8.0))
_sigmoid_like("TANH", lambda: _ops().tanh, (-4.0, 4.0))


@register("SOFTMAX", dtypes=("int16",), seeds=8, label="s16")
def softmax_s16(rng, dtype):  # pylint: disable=unused-argument
    """Rows of 1 to 40 values; beta and the input scale sometimes rewritten (Keras' softmax
    has beta 1), scaled differences reaching past the exp table's [-10, 0] or not."""
    shape = random_shape(rng, rank=rng.randint(2, 5), hi=6)
    shape = shape[:-1] + (int(rng.randint(1, 41)),)
    rewrite, scale = _input_scale_rewrite(rng)
    beta = float(np.float32(rng.choice([1.0, 0.5, 2.0, rng.uniform(0.05, 4.0)])))

    def rewrite_all(tflite, dtype):
        from lut16_models import set_input_scale  # pylint: disable=import-outside-toplevel

        if dtype != "int16":
            return tflite
        tflite = rewrite(tflite, dtype) if rewrite else tflite
        return set_input_scale(tflite, beta=beta)
    return Case([shape], lambda x: _ops().softmax(x, axis=-1),
                {"shape": shape, "input_scale": scale, "beta": beta}, value_range=(-6.0, 6.0),
                rewrite=rewrite_all)


@register("LOG_SOFTMAX", dtypes=("int8",), seeds=8, label="s8")
def log_softmax_s8(rng, dtype):  # pylint: disable=unused-argument
    """Rows of 1 to 64 values over a drawn float range (the converter's input scale follows it),
    or the input scale rewritten to anything in [2^-10, 4]; the output is always 16/256, 127."""
    import tensorflow as tf  # pylint: disable=import-outside-toplevel

    shape = random_shape(rng, rank=rng.randint(2, 5), hi=6)
    shape = shape[:-1] + (int(rng.randint(1, 65)),)
    half = float(rng.choice([0.5, 2.0, 6.0, 20.0]))
    scale = None if rng.rand() < 0.5 else float(np.float32(2.0 ** rng.uniform(-10.0, 2.0)))

    def rewrite(tflite, dtype):
        if dtype != "int8" or scale is None:
            return tflite
        from lut16_models import set_input_scale  # pylint: disable=import-outside-toplevel

        return set_input_scale(tflite, scale)
    return Case([shape], lambda x: tf.keras.layers.Lambda(lambda t: tf.nn.log_softmax(t, axis=-1))(x),
                {"shape": shape, "range": half, "input_scale": scale or "converter"},
                value_range=(-half, half), rewrite=rewrite)


def _div_excluded(graph, sample):
    """The elements where TFLite Micro's int8 DIV is undefined C++ (ops/_div_s8.py): input 2
    at its zero point (GetReciprocal shifts by 32) and a final rounding shift past 31 bits
    (a small dividend over a large divisor: quotients below half an output step). utensor defines
    those (saturation by sign; the exact rounding, 0) and test_lut16.py checks them; the x86
    oracle's values there are whatever its shifts happened to give."""
    from utensor.ops._div_s8 import tflm_defined  # pylint: disable=import-outside-toplevel
    from utensor.quantization import f32, quantize_multiplier  # pylint: disable=import-outside-toplevel

    t1, t2 = (graph.tensor(i) for i in graph.inputs)
    y = graph.tensor(graph.outputs[0])
    (s1, z1), (s2, z2), (so, _) = ((float(t.quant.scale[0]), int(t.quant.zero_point[0])) for t in (t1, t2, y))
    _, shift = quantize_multiplier(float(f32(s1)) / (float(f32(s2)) * float(f32(so))))
    n, d = np.broadcast_arrays(sample[0].astype(np.int64) - z1, sample[1].astype(np.int64) - z2)
    defined = np.vectorize(lambda a, b: tflm_defined(int(a), int(b), shift))(n, d)
    return [~defined.reshape(y.shape)]


@register("DIV", dtypes=("int8",), seeds=10, label="s8")
def div_s8(rng, dtype):  # pylint: disable=unused-argument
    """int8 DIV over broadcast shapes and drawn input ranges (the divisor's range sometimes
    one-signed, as a model dividing by a positive quantity has it). Excluded from the
    comparison, and only those: the elements where TFLite Micro's arithmetic is undefined
    (_div_excluded: divisor at its zero point; a final rounding shift beyond 31 bits, where
    the quotient is below half an output step), which test_lut16.py shows to be exactly
    that region."""
    import keras  # pylint: disable=import-outside-toplevel

    a = random_shape(rng, rank=rng.randint(2, 5), hi=7)
    b = (1,) + tuple(dim if rng.rand() < 0.6 else 1 for dim in a[1:])
    shapes = [a, b] if rng.rand() < 0.5 else [b, a]
    lo = float(rng.choice([-4.0, -1.0, 0.25]))
    act = [None, "relu", "relu6"][rng.randint(3)]

    def build(x, y):
        q = keras.ops.divide(x, y)
        return q if act is None else keras.layers.Activation(act)(q)
    return Case(shapes, build, {"shapes": shapes, "range": (lo, 4.0), "activation": act},
                value_range=(lo, 4.0), exclude=_div_excluded)
