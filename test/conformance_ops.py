"""Option spaces of the operators utensor runs, registered with the conformance generator
(test/conformance.py). One entry per operator (or variant): what a seeded draw may pick
is everything TFLite Micro accepts for it, within sizes that keep a CI run short.
A new operator adds its entry here; test_conformance.py picks it up.
"""

import numpy as np

from conformance import Case, random_shape, register


def _layers():
    import tensorflow as tf  # pylint: disable=import-outside-toplevel

    return tf.keras.layers


def _ops():
    import keras  # pylint: disable=import-outside-toplevel

    return keras.ops


def _activation(rng):
    return [None, "relu", "relu6"][rng.randint(3)]


# ---- elementwise binary -----------------------------------------------------------------

def _binary(name, dtypes=("int8", "float32"), value_range=(-2.0, 2.0)):
    def draw(rng, dtype):  # pylint: disable=unused-argument
        a = random_shape(rng, rank=rng.randint(2, 6), hi=7)
        # Same rank (TensorFlow's converter fails on Keras inputs of different ranks), some
        # dims 1; every Keras input has a batch dimension, the partner keeps 1 there.
        b = (1,) + tuple(d if rng.rand() < 0.6 else 1 for d in a[1:])
        shapes = [a, b] if rng.rand() < 0.5 else [b, a]
        return Case(shapes, lambda x, y: BINARY[name]()(x, y), {"shapes": shapes},
                    value_range=value_range)
    register(name, dtypes=dtypes)(draw)


def _squared_difference():
    import tensorflow as tf  # pylint: disable=import-outside-toplevel

    return lambda x, y: _layers().Lambda(lambda t: tf.math.squared_difference(t[0], t[1]))([x, y])


BINARY = {
    "ADD": lambda: _ops().add, "SUB": lambda: _ops().subtract, "MUL": lambda: _ops().multiply,
    "MAXIMUM": lambda: _ops().maximum, "MINIMUM": lambda: _ops().minimum,
    "DIV": lambda: _ops().divide, "FLOOR_DIV": lambda: _ops().floor_divide,
    "FLOOR_MOD": lambda: _ops().mod, "SQUARED_DIFFERENCE": _squared_difference,
}
for _name in ("ADD", "SUB", "MUL"):
    _binary(_name, dtypes=("int8", "float32", "int16"))
for _name in ("MAXIMUM", "MINIMUM"):
    _binary(_name, dtypes=("int8", "float32", "int16"))
for _name in ("DIV", "FLOOR_DIV", "FLOOR_MOD", "SQUARED_DIFFERENCE"):
    _binary(_name, dtypes=("float32",), value_range=(-4.0, 4.0))  # both signs of divisor


# ---- FULLY_CONNECTED ----------------------------------------------------------------------

@register("FULLY_CONNECTED", dtypes=("int8", "float32", "int16"), seeds=5)
def fully_connected(rng, dtype):  # pylint: disable=unused-argument
    rank = rng.randint(2, 4)
    shape = random_shape(rng, rank, hi=6) if rank == 3 else (int(rng.randint(1, 4)), int(rng.randint(1, 65)))
    if rank == 3:
        shape = shape[:-1] + (int(rng.randint(1, 49)),)
    units = int(rng.randint(1, 40))
    act = _activation(rng)
    bias = bool(rng.rand() < 0.8)
    return Case([shape], lambda x: _layers().Dense(units, activation=act, use_bias=bias)(x),
                {"shape": shape, "units": units, "activation": act, "bias": bias})


# ---- convolutions and pooling --------------------------------------------------------------

def _spatial(rng, max_kernel=5):
    kh, kw = int(rng.randint(1, max_kernel + 1)), int(rng.randint(1, max_kernel + 1))
    stride = int(rng.randint(1, 3))
    dilation = int(rng.randint(1, 3)) if stride == 1 and rng.rand() < 0.3 else 1
    padding = ["same", "valid"][rng.randint(2)]
    h = int(rng.randint((kh - 1) * dilation + 1, 14))
    w = int(rng.randint((kw - 1) * dilation + 1, 14))
    return (kh, kw), stride, dilation, padding, h, w


@register("CONV_2D", dtypes=("int8", "float32", "int16"), seeds=6)
def conv2d(rng, dtype):  # pylint: disable=unused-argument
    kernel, stride, dilation, padding, h, w = _spatial(rng)
    cin, cout = int(rng.randint(1, 17)), int(rng.randint(1, 17))
    act = _activation(rng)
    bias = bool(rng.rand() < 0.8)
    shape = (1, h, w, cin)
    return Case([shape], lambda x: _layers().Conv2D(cout, kernel, strides=stride, padding=padding,
                                                    dilation_rate=dilation, activation=act,
                                                    use_bias=bias)(x),
                {"shape": shape, "filters": cout, "kernel": kernel, "stride": stride,
                 "dilation": dilation, "padding": padding, "activation": act, "bias": bias})


@register("DEPTHWISE_CONV_2D", dtypes=("int8", "float32", "int16"), seeds=6)
def depthwise_conv2d(rng, dtype):  # pylint: disable=unused-argument
    kernel, stride, dilation, padding, h, w = _spatial(rng)
    cin = int(rng.randint(1, 17))
    multiplier = [1, 1, 2, 4, 8][rng.randint(5)]
    act = _activation(rng)
    shape = (1, h, w, cin)
    return Case([shape], lambda x: _layers().DepthwiseConv2D(kernel, strides=stride, padding=padding,
                                                             depth_multiplier=multiplier,
                                                             dilation_rate=dilation, activation=act)(x),
                {"shape": shape, "kernel": kernel, "stride": stride, "dilation": dilation,
                 "padding": padding, "multiplier": multiplier, "activation": act})


def _pool(kind):
    def draw(rng, dtype):  # pylint: disable=unused-argument
        pool = (int(rng.randint(1, 5)), int(rng.randint(1, 5)))
        stride = (int(rng.randint(1, 4)), int(rng.randint(1, 4)))
        padding = ["same", "valid"][rng.randint(2)]
        shape = (1, int(rng.randint(pool[0], 14)), int(rng.randint(pool[1], 14)), int(rng.randint(1, 17)))
        layer = {"AVERAGE_POOL_2D": "AveragePooling2D", "MAX_POOL_2D": "MaxPooling2D"}[kind]
        return Case([shape], lambda x: getattr(_layers(), layer)(pool, strides=stride, padding=padding)(x),
                    {"shape": shape, "pool": pool, "stride": stride, "padding": padding})
    return draw


register("AVERAGE_POOL_2D", dtypes=("int8", "float32", "int16"), seeds=5)(_pool("AVERAGE_POOL_2D"))
register("MAX_POOL_2D", dtypes=("int8", "float32", "int16"), seeds=5)(_pool("MAX_POOL_2D"))


# ---- activations ---------------------------------------------------------------------------

def _unary(op, fn, value_range=(-4.0, 4.0), dtypes=("int8", "float32")):
    def draw(rng, dtype):  # pylint: disable=unused-argument
        shape = random_shape(rng, rank=rng.randint(2, 5), hi=9)
        return Case([shape], lambda x: fn()(x), {"shape": shape}, value_range=value_range)
    register(op, dtypes=dtypes)(draw)


_unary("LOGISTIC", lambda: _ops().sigmoid, (-8.0, 8.0))
_unary("TANH", lambda: _ops().tanh)
_unary("RELU", lambda: _ops().relu, dtypes=("int8", "float32", "int16"))
_unary("RELU6", lambda: _ops().relu6, (-3.0, 9.0), dtypes=("int8", "float32", "int16"))
_unary("HARD_SWISH", lambda: _ops().hard_swish, (-6.0, 6.0))


@register("LEAKY_RELU", dtypes=("int8", "float32", "int16"))
def leaky_relu(rng, dtype):  # pylint: disable=unused-argument
    shape = random_shape(rng, rank=rng.randint(2, 5), hi=9)
    alpha = float(np.round(rng.uniform(0.01, 0.9), 3))
    return Case([shape], lambda x: _layers().LeakyReLU(negative_slope=alpha)(x),
                {"shape": shape, "alpha": alpha})


@register("SOFTMAX")
def softmax(rng, dtype):  # pylint: disable=unused-argument
    shape = random_shape(rng, rank=rng.randint(2, 5), hi=12)
    return Case([shape], lambda x: _ops().softmax(x, axis=-1), {"shape": shape}, value_range=(-6.0, 6.0))


# ---- reductions and data movement -----------------------------------------------------------

@register("MEAN", dtypes=("int8", "float32", "int16"))
def mean(rng, dtype):  # pylint: disable=unused-argument
    shape = random_shape(rng, rank=4, hi=9)
    axes = [[1, 2], [1], [2], [3], [1, 2, 3]][rng.randint(5)]
    keep = bool(rng.rand() < 0.5)
    return Case([shape], lambda x: _ops().mean(x, axis=axes, keepdims=keep),
                {"shape": shape, "axes": axes, "keepdims": keep})


@register("CONCATENATION", dtypes=("int8", "float32", "int16"))
def concatenation(rng, dtype):  # pylint: disable=unused-argument
    base = random_shape(rng, rank=rng.randint(2, 5), hi=6)
    axis = int(rng.randint(1, len(base)))
    n = int(rng.randint(2, 4))
    shapes = [tuple(int(rng.randint(1, 6)) if k == axis else d for k, d in enumerate(base)) for _ in range(n)]
    return Case(shapes, lambda *xs: _layers().Concatenate(axis=axis)(list(xs)),
                {"shapes": shapes, "axis": axis})


@register("PAD", dtypes=("int8", "float32", "int16"))
def pad(rng, dtype):  # pylint: disable=unused-argument
    shape = random_shape(rng, rank=4, hi=8)
    pads = [[0, 0]] + [[int(rng.randint(0, 3)), int(rng.randint(0, 3))] for _ in range(3)]
    return Case([shape], lambda x: _ops().pad(x, pads), {"shape": shape, "pads": pads})


@register("TRANSPOSE", dtypes=("int8", "float32", "int16"))
def transpose(rng, dtype):  # pylint: disable=unused-argument
    rank = int(rng.randint(3, 5))  # model inputs hold up to 4 dims (emitter.MAX_IO_RANK)
    # Dims of 2 and more: moving a dim of 1 is a RESHAPE to TensorFlow's converter.
    shape = random_shape(rng, rank=rank, lo=2, hi=6)
    perm = [0] + [int(p) + 1 for p in rng.permutation(rank - 1)]
    if perm == list(range(rank)):
        perm = [0] + list(range(rank - 1, 0, -1))
    return Case([shape], lambda x: _ops().transpose(x, perm), {"shape": shape, "perm": perm})


@register("STRIDED_SLICE", dtypes=("int8", "float32", "int16"))
def strided_slice(rng, dtype):  # pylint: disable=unused-argument
    shape = random_shape(rng, rank=int(rng.randint(2, 5)), hi=9, lo=2)
    index = [slice(None)]
    for d in shape[1:]:
        start = int(rng.randint(0, d))
        stop = int(rng.randint(start + 1, d + 1))
        step = int(rng.randint(1, 3))
        index.append(slice(start, stop, step))
    index = tuple(index)
    return Case([shape], lambda x: x[index],
                {"shape": shape, "slices": [(s.start, s.stop, s.step) for s in index[1:]]})


# ---- elementwise math of one tensor ----------------------------------------------------------

def _math(op, fn, value_range=(-3.0, 3.0), dtypes=("float32",)):
    def draw(rng, dtype):  # pylint: disable=unused-argument
        shape = random_shape(rng, rank=rng.randint(2, 5), hi=9)
        return Case([shape], lambda x: fn()(x), {"shape": shape}, value_range=value_range)
    register(op, dtypes=dtypes, seeds=3)(draw)


_math("ABS", lambda: _ops().abs, dtypes=("int8", "float32", "int16"))
_math("NEG", lambda: _ops().negative)
_math("SQRT", lambda: _ops().sqrt, (0.05, 4.0))
_math("RSQRT", lambda: _ops().rsqrt, (0.05, 4.0))
_math("SQUARE", lambda: _ops().square)
_math("EXP", lambda: _ops().exp)
_math("LOG", lambda: _ops().log, (0.05, 4.0))
_math("SIN", lambda: _ops().sin, (-6.0, 6.0))
_math("COS", lambda: _ops().cos, (-6.0, 6.0))
_math("FLOOR", lambda: _ops().floor)
_math("CEIL", lambda: _ops().ceil)
_math("ROUND", lambda: _ops().round)


# ---- comparisons (bool outputs) --------------------------------------------------------------

for _name, _fn in (("EQUAL", "equal"), ("NOT_EQUAL", "not_equal"), ("GREATER", "greater"),
                   ("GREATER_EQUAL", "greater_equal"), ("LESS", "less"), ("LESS_EQUAL", "less_equal")):
    BINARY[_name] = (lambda f: lambda: getattr(_ops(), f))(_fn)
    _binary(_name)


# ---- logical operators (bool tensors, made by comparisons of the inputs) ---------------------

def _logical(name):
    def draw(rng, dtype):  # pylint: disable=unused-argument
        a = random_shape(rng, rank=rng.randint(2, 5), hi=7)
        b = (1,) + tuple(d if rng.rand() < 0.6 else 1 for d in a[1:])
        o = _ops()
        if name == "LOGICAL_NOT":  # of an AND: TensorFlow folds not(x > 0) into x <= 0
            return Case([a, b], lambda x, y: o.logical_not(o.logical_and(o.greater(x, 0.0), o.less(y, 0.5))),
                        {"shapes": [a, b]}, expect_ops=["LOGICAL_NOT", "LOGICAL_AND"])
        fn = {"LOGICAL_AND": "logical_and", "LOGICAL_OR": "logical_or"}[name]
        return Case([a, b], lambda x, y: getattr(o, fn)(o.greater(x, 0.0), o.less(y, 0.5)),
                    {"shapes": [a, b]}, expect_ops=[name, "GREATER", "LESS"])
    register(name, dtypes=("int8", "float32"), seeds=3)(draw)


for _name in ("LOGICAL_AND", "LOGICAL_OR", "LOGICAL_NOT"):
    _logical(_name)


# ---- slicing, stacking, splitting --------------------------------------------------------------

@register("SLICE", dtypes=("int8", "float32", "int16"))
def slice_(rng, dtype):  # pylint: disable=unused-argument
    import tensorflow as tf  # pylint: disable=import-outside-toplevel

    shape = random_shape(rng, rank=int(rng.randint(2, 5)), lo=2, hi=8)
    begin = [0] + [int(rng.randint(0, d)) for d in shape[1:]]
    size = [1] + [int(rng.randint(1, d - b + 1)) if rng.rand() < 0.8 else -1
                  for d, b in zip(shape[1:], begin[1:])]
    return Case([shape], lambda x: _layers().Lambda(lambda t: tf.slice(t, begin, size))(x),
                {"shape": shape, "begin": begin, "size": size})


@register("PACK", dtypes=("int8", "float32", "int16"))
def pack(rng, dtype):  # pylint: disable=unused-argument
    shape = random_shape(rng, rank=int(rng.randint(2, 4)), hi=6)
    n = int(rng.randint(2, 4))
    axis = int(rng.randint(1, len(shape) + 1))
    return Case([shape] * n, lambda *xs: _ops().stack(list(xs), axis=axis),
                {"shape": shape, "n": n, "axis": axis})


@register("UNPACK", dtypes=("int8", "float32", "int16"))
def unpack(rng, dtype):  # pylint: disable=unused-argument
    import tensorflow as tf  # pylint: disable=import-outside-toplevel

    shape = random_shape(rng, rank=int(rng.randint(3, 5)), lo=2, hi=5)
    axis = int(rng.randint(1, len(shape)))
    return Case([shape], lambda x: _layers().Lambda(lambda t: tf.unstack(t, axis=axis))(x),
                {"shape": shape, "axis": axis})


@register("SPLIT", dtypes=("int8", "float32", "int16"))
def split(rng, dtype):  # pylint: disable=unused-argument
    import tensorflow as tf  # pylint: disable=import-outside-toplevel

    n = int(rng.randint(2, 4))
    shape = list(random_shape(rng, rank=int(rng.randint(2, 5)), hi=5))
    axis = int(rng.randint(1, len(shape)))
    shape[axis] = n * int(rng.randint(1, 4))
    shape = tuple(shape)
    return Case([shape], lambda x: _layers().Lambda(lambda t: tf.split(t, n, axis=axis))(x),
                {"shape": shape, "n": n, "axis": axis})


@register("SPLIT_V", dtypes=("int8", "float32", "int16"))
def split_v(rng, dtype):  # pylint: disable=unused-argument
    import tensorflow as tf  # pylint: disable=import-outside-toplevel

    shape = list(random_shape(rng, rank=int(rng.randint(2, 5)), hi=5))
    axis = int(rng.randint(1, len(shape)))
    sizes = [int(rng.randint(1, 4)) for _ in range(int(rng.randint(2, 4)))]
    shape[axis] = sum(sizes)
    if rng.rand() < 0.5:
        sizes[int(rng.randint(len(sizes)))] = -1
    shape = tuple(shape)
    return Case([shape], lambda x: _layers().Lambda(lambda t: tf.split(t, sizes, axis=axis))(x),
                {"shape": shape, "sizes": sizes, "axis": axis})


# ---- index-walking operators -------------------------------------------------------------------

def _arg(name):
    def draw(rng, dtype):  # pylint: disable=unused-argument
        import tensorflow as tf  # pylint: disable=import-outside-toplevel

        shape = random_shape(rng, rank=int(rng.randint(2, 5)), hi=9)
        axis = int(rng.randint(1, len(shape)))
        rng.randint(2)  # was the output type: kept so the seeds draw the same shapes
        out = tf.int32  # TFLite Micro's kernel fails on int64 (test_arg_min_max_int64.py)
        # tf.math, not keras.ops: Keras' argmax handles -0.0 with bit operations TFLite lacks.
        fn = tf.math.argmax if name == "ARG_MAX" else tf.math.argmin
        return Case([shape], lambda x: _layers().Lambda(lambda t: fn(t, axis=axis, output_type=out))(x),
                    {"shape": shape, "axis": axis, "output_type": out.name})
    register(name)(draw)


_arg("ARG_MAX")
_arg("ARG_MIN")


@register("RESIZE_NEAREST_NEIGHBOR", dtypes=("int8", "float32", "int16"), seeds=6)
def resize_nearest_neighbor(rng, dtype):  # pylint: disable=unused-argument
    import tensorflow as tf  # pylint: disable=import-outside-toplevel

    shape = (1, int(rng.randint(1, 9)), int(rng.randint(1, 9)), int(rng.randint(1, 5)))
    size = [int(rng.randint(1, 17)), int(rng.randint(1, 17))]
    mode = ["half_pixel", "align_corners", "asymmetric"][rng.randint(3)]

    def resize(t):
        if mode == "half_pixel":
            return tf.image.resize(t, size, method="nearest")
        return tf.compat.v1.image.resize_nearest_neighbor(t, size, align_corners=(mode == "align_corners"))

    return Case([shape], lambda x: _layers().Lambda(resize)(x), {"shape": shape, "size": size, "mode": mode})


@register("PRELU")
def prelu(rng, dtype):  # pylint: disable=unused-argument
    shape = random_shape(rng, rank=int(rng.randint(2, 5)), hi=8)
    shared = tuple(k for k in range(1, len(shape) - 1) if rng.rand() < 0.5) or None  # alpha per channel
    return Case([shape], lambda x: _layers().PReLU(alpha_initializer="random_uniform",
                                                   shared_axes=shared)(x),
                {"shape": shape, "shared_axes": shared})


@register("CAST", dtypes=("float32",))
def cast(rng, dtype):  # pylint: disable=unused-argument
    shape = random_shape(rng, rank=int(rng.randint(2, 5)), hi=8)
    to = ["int32", "bool", "int64"][rng.randint(3)]
    # To an integer and back to float: what the model outputs stays float32 and exact.
    return Case([shape], lambda x: _ops().cast(_ops().cast(x * 10.0, to), "float32"),
                {"shape": shape, "to": to}, expect_ops=["CAST"])


# ---- operator families kept in their own files ------------------------------------------
# Each test/conformance_ops_<family>.py registers its entries on import, so families added
# side by side never edit the same lines.

def _import_families():
    import glob  # pylint: disable=import-outside-toplevel
    import importlib  # pylint: disable=import-outside-toplevel
    import os  # pylint: disable=import-outside-toplevel

    here = os.path.dirname(os.path.abspath(__file__))
    for path in sorted(glob.glob(os.path.join(here, "conformance_ops_*.py"))):
        importlib.import_module(os.path.splitext(os.path.basename(path))[0])


_import_families()
