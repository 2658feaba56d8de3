"""Option spaces of the math, reduction, spatial and linear-algebra operators (issue 14):
SUM, REDUCE_MAX, REDUCE_MIN, ... registered with the conformance generator
(test/conformance.py) and imported by test/conformance_ops.py."""

from conformance import Case, random_shape, register


def _ops():
    import keras  # pylint: disable=import-outside-toplevel

    return keras.ops


def _layers():
    import tensorflow as tf  # pylint: disable=import-outside-toplevel

    return tf.keras.layers


def integer_op(op_name):
    """A Case.rewrite making TFLite operator `op_name` run on int8: the full-integer
    converter leaves some operators TFLite Micro runs in int8 (ADD_N, ...) in float32
    between DEQUANTIZE and QUANTIZE. This is the documented route for such forms: the
    model is read into TensorFlow's flatbuffer object API (tensorflow.lite.tools.
    flatbuffer_utils), the operator takes the DEQUANTIZE inputs' int8 tensors and writes
    the QUANTIZE output's int8 tensor (their quantization, as the converter calibrated
    them), and the bypassed DEQUANTIZE/QUANTIZE operators are dropped. float32: unchanged."""
    def rewrite(tflite: bytes, dtype: str) -> bytes:
        if dtype != "int8":
            return tflite
        from tensorflow.lite.python import schema_py_generated as schema  # pylint: disable=import-outside-toplevel
        from tensorflow.lite.tools import flatbuffer_utils  # pylint: disable=import-outside-toplevel

        model = flatbuffer_utils.convert_bytearray_to_object(bytearray(tflite))
        names = {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}

        def kind(o):
            code = model.operatorCodes[o.opcodeIndex]
            return names[max(code.builtinCode, code.deprecatedBuiltinCode)]

        g = model.subgraphs[0]
        producer = {int(o.outputs[0]): o for o in g.operators}
        for target in [o for o in g.operators if kind(o) == op_name]:
            target.inputs = [int(producer[i].inputs[0]) if i in producer and kind(producer[i]) == "DEQUANTIZE"
                             else int(i) for i in target.inputs]
            quantize = [o for o in g.operators if kind(o) == "QUANTIZE" and int(o.inputs[0]) == int(target.outputs[0])]
            if len(quantize) != 1:
                raise ValueError(f"{op_name}'s output does not go to one QUANTIZE")
            target.outputs = [int(quantize[0].outputs[0])]
            g.operators.remove(quantize[0])
        used = {int(i) for o in g.operators for i in o.inputs} | {int(i) for i in g.outputs}
        g.operators = [o for o in g.operators
                       if not (kind(o) == "DEQUANTIZE" and int(o.outputs[0]) not in used)]
        return bytes(flatbuffer_utils.convert_object_to_bytearray(model))
    return rewrite


def retarget_op(old: str, new: str):
    """A Case.rewrite giving the operators of type `old` the type `new` (same options table),
    for operators the TensorFlow converter cannot emit: L2_POOL_2D (TensorFlow has no L2
    pooling op; the converter never produces it) is AVERAGE_POOL_2D's Pool2DOptions with
    another opcode. Through TensorFlow's flatbuffer object API (flatbuffer_utils)."""
    def rewrite(tflite: bytes, dtype: str) -> bytes:  # pylint: disable=unused-argument
        from tensorflow.lite.python import schema_py_generated as schema  # pylint: disable=import-outside-toplevel
        from tensorflow.lite.tools import flatbuffer_utils  # pylint: disable=import-outside-toplevel

        model = flatbuffer_utils.convert_bytearray_to_object(bytearray(tflite))
        old_code, new_code = getattr(schema.BuiltinOperator, old), getattr(schema.BuiltinOperator, new)
        for code in model.operatorCodes:
            if max(code.builtinCode, code.deprecatedBuiltinCode) == old_code:
                code.builtinCode = new_code
                code.deprecatedBuiltinCode = min(new_code, 127)
                code.version = 1
        return bytes(flatbuffer_utils.convert_object_to_bytearray(model))
    return rewrite


def _tf():
    import tensorflow as tf  # pylint: disable=import-outside-toplevel

    return tf


# ---- reductions -----------------------------------------------------------------------------

def _axes(rng, rank, max_axes):
    """Distinct axes in [1, rank), some written negative (-k counts from the end)."""
    n = int(rng.randint(1, min(max_axes, rank - 1) + 1))
    axes = sorted(int(a) for a in rng.choice(range(1, rank), size=n, replace=False))
    return [a - rank if rng.rand() < 0.4 else a for a in axes]


def _reduction(op, fn_name, max_axes, dtypes=("int8", "float32")):
    def draw(rng, dtype):  # pylint: disable=unused-argument
        shape = random_shape(rng, rank=int(rng.randint(2, 5)), hi=7)
        axes = _axes(rng, len(shape), max_axes)
        keep = bool(rng.rand() < 0.5)
        fn = getattr(_tf().math, fn_name)
        return Case([shape], lambda x: _layers().Lambda(lambda t: fn(t, axis=axes, keepdims=keep))(x),
                    {"shape": shape, "axes": axes, "keepdims": keep})
    register(op, dtypes=dtypes, seeds=5)(draw)


_reduction("SUM", "reduce_sum", 2, dtypes=("int8", "float32", "int16"))  # TFLite Micro's SUM takes at most 2 distinct axes
_reduction("REDUCE_MAX", "reduce_max", 3)
_reduction("REDUCE_MIN", "reduce_min", 3)


@register("REDUCE_ALL", dtypes=("float32", "int8"), seeds=5)
def reduce_all(rng, dtype):  # pylint: disable=unused-argument
    """bool in and out: the model compares its input with a threshold first (GREATER)."""
    shape = random_shape(rng, rank=int(rng.randint(2, 5)), hi=7)
    axes = _axes(rng, len(shape), 3)
    keep = bool(rng.rand() < 0.5)
    tf = _tf()
    # The model output is bool; some reductions are all-true, some not (the threshold).
    cut = float(rng.uniform(-2.5, 0.5))
    return Case([shape], lambda x: _layers().Lambda(
        lambda t: tf.reduce_all(t > cut, axis=axes, keepdims=keep))(x),
        {"shape": shape, "axes": axes, "keepdims": keep, "threshold": cut}, expect_ops=["REDUCE_ALL"])


# ---- BATCH_MATMUL --------------------------------------------------------------------------

@register("BATCH_MATMUL", dtypes=("int8", "float32", "int16"), seeds=6)
def batch_matmul(rng, dtype):  # pylint: disable=unused-argument
    tf = _tf()
    rank = int(rng.randint(3, 5))  # model inputs hold up to 4 dims, batch included
    m, k, n = (int(rng.randint(1, 9)) for _ in range(3))
    adj_x, adj_y = bool(rng.rand() < 0.5), bool(rng.rand() < 0.5)
    batch = [int(rng.randint(2, 4)) for _ in range(rank - 3)]
    lb = [d if rng.rand() < 0.7 else 1 for d in batch]
    rb = [d if rng.rand() < 0.7 else 1 for d in batch]
    lhs = tuple([1] + lb + ([k, m] if adj_x else [m, k]))
    rhs = tuple([1] + rb + ([n, k] if adj_y else [k, n]))
    return Case([lhs, rhs],
                lambda a, b: _layers().Lambda(
                    lambda t: tf.linalg.matmul(t[0], t[1], adjoint_a=adj_x, adjoint_b=adj_y))([a, b]),
                {"lhs": lhs, "rhs": rhs, "adj_x": adj_x, "adj_y": adj_y})


@register("BATCH_MATMUL", seeds=3, label="attention")
def attention(rng, dtype):  # pylint: disable=unused-argument
    """Multi-head self-attention as a small transformer encoder has it: Dense projections,
    heads split by RESHAPE/TRANSPOSE, scores q k^T (adj_y), softmax, weights times v."""
    tf = _tf()
    layers = _layers()
    seq, heads, head_dim = int(rng.randint(2, 9)), int(rng.randint(1, 4)), int(rng.randint(2, 9))
    width = heads * head_dim
    shape = (1, seq, width)

    def split_heads(t):
        return tf.transpose(tf.reshape(t, (1, seq, heads, head_dim)), (0, 2, 1, 3))

    def attend(t):
        q, k, v = (split_heads(u) for u in t)
        scores = tf.linalg.matmul(q, k, adjoint_b=True) * (1.0 / float(head_dim) ** 0.5)
        context = tf.linalg.matmul(tf.nn.softmax(scores, axis=-1), v)
        return tf.reshape(tf.transpose(context, (0, 2, 1, 3)), (1, seq, width))

    def block(x):
        qkv = [layers.Dense(width)(x) for _ in range(3)]
        return layers.Dense(width)(layers.Lambda(attend)(qkv))

    return Case([shape], block,
                {"shape": shape, "heads": heads, "head_dim": head_dim},
                expect_ops=["BATCH_MATMUL", "SOFTMAX", "FULLY_CONNECTED"])


# ---- RESIZE_BILINEAR -----------------------------------------------------------------------

@register("RESIZE_BILINEAR", seeds=6)
def resize_bilinear(rng, dtype):  # pylint: disable=unused-argument
    tf = _tf()
    shape = (1, int(rng.randint(1, 9)), int(rng.randint(1, 9)), int(rng.randint(1, 5)))
    size = [int(rng.randint(1, 17)), int(rng.randint(1, 17))]
    mode = ["half_pixel", "align_corners", "asymmetric"][rng.randint(3)]

    def resize(t):
        if mode == "half_pixel":
            return tf.image.resize(t, size, method="bilinear")
        return tf.compat.v1.image.resize_bilinear(t, size, align_corners=(mode == "align_corners"))

    return Case([shape], lambda x: _layers().Lambda(resize)(x), {"shape": shape, "size": size, "mode": mode})




# ---- ADD_N ---------------------------------------------------------------------------------

@register("ADD_N")
def add_n(rng, dtype):  # pylint: disable=unused-argument
    tf = _tf()
    shape = random_shape(rng, rank=int(rng.randint(2, 5)), hi=7)
    n = int(rng.randint(2, 5))
    # int8: TFLM needs one quantization for all inputs; the converter gives every model input
    # the one calibrated on the same representative range, and integer_op runs ADD_N on them.
    return Case([shape] * n, lambda *xs: _layers().Lambda(lambda t: tf.math.add_n(list(t)))(list(xs)),
                {"shape": shape, "n": n}, rewrite=integer_op("ADD_N"))


# ---- elementwise math ----------------------------------------------------------------------

@register("ELU", seeds=3)
def elu(rng, dtype):  # pylint: disable=unused-argument
    shape = random_shape(rng, rank=int(rng.randint(2, 5)), hi=9)
    # The int8 converter keeps ELU in float32: integer_op runs it on the int8 tensors.
    return Case([shape], lambda x: _ops().elu(x), {"shape": shape}, value_range=(-5.0, 3.0),
                rewrite=integer_op("ELU"))


@register("LOG_SOFTMAX", dtypes=("float32",))
def log_softmax(rng, dtype):  # pylint: disable=unused-argument
    tf = _tf()
    shape = random_shape(rng, rank=int(rng.randint(2, 5)), hi=12)
    return Case([shape], lambda x: _layers().Lambda(lambda t: tf.nn.log_softmax(t, axis=-1))(x),
                {"shape": shape}, value_range=(-6.0, 6.0))


@register("L2_NORMALIZATION")
def l2_normalization(rng, dtype):  # pylint: disable=unused-argument
    tf = _tf()
    shape = random_shape(rng, rank=int(rng.randint(2, 5)), hi=12)
    return Case([shape], lambda x: _layers().Lambda(lambda t: tf.math.l2_normalize(t, axis=-1))(x),
                {"shape": shape}, value_range=(-3.0, 3.0))


@register("CUMSUM")
def cumsum(rng, dtype):  # pylint: disable=unused-argument
    tf = _tf()
    shape = random_shape(rng, rank=int(rng.randint(2, 5)), lo=2, hi=7)  # a 1 along the axis folds away
    axis = int(rng.randint(1, len(shape)))
    axis = axis - len(shape) if rng.rand() < 0.3 else axis
    exclusive, reverse = bool(rng.rand() < 0.5), bool(rng.rand() < 0.5)
    # int8: the converter keeps CUMSUM in float32; integer_op runs it on the int8 tensors.
    return Case([shape], lambda x: _layers().Lambda(
        lambda t: tf.math.cumsum(t, axis=axis, exclusive=exclusive, reverse=reverse))(x),
                {"shape": shape, "axis": axis, "exclusive": exclusive, "reverse": reverse},
                rewrite=integer_op("CUMSUM"))


# ---- L2_POOL_2D ----------------------------------------------------------------------------

@register("L2_POOL_2D", dtypes=("float32",), seeds=5)
def l2_pool_2d(rng, dtype):  # pylint: disable=unused-argument
    pool = (int(rng.randint(1, 5)), int(rng.randint(1, 5)))
    stride = (int(rng.randint(1, 4)), int(rng.randint(1, 4)))
    padding = ["same", "valid"][rng.randint(2)]
    shape = (1, int(rng.randint(pool[0], 14)), int(rng.randint(pool[1], 14)), int(rng.randint(1, 17)))
    # TensorFlow cannot express L2 pooling: an AVERAGE_POOL_2D retargeted (retarget_op).
    return Case([shape], lambda x: _layers().AveragePooling2D(pool, strides=stride, padding=padding)(x),
                {"shape": shape, "pool": pool, "stride": stride, "padding": padding},
                rewrite=retarget_op("AVERAGE_POOL_2D", "L2_POOL_2D"))


# ---- int8 forms of operators the main table registers for float32 --------------------------------------------

@register("RSQRT", dtypes=("int8",), seeds=3, label="int8")
def rsqrt_int8(rng, dtype):  # pylint: disable=unused-argument
    # Positive inputs: the calibrated zero point is -128, so every int8 input is >= it
    # (TFLM fails the invoke below the zero point).
    shape = random_shape(rng, rank=int(rng.randint(2, 5)), hi=9)
    return Case([shape], lambda x: _ops().rsqrt(x), {"shape": shape}, value_range=(0.05, 4.0))


@register("SQUARED_DIFFERENCE", dtypes=("int8",), seeds=4, label="int8")
def squared_difference_int8(rng, dtype):  # pylint: disable=unused-argument
    tf = _tf()
    a = random_shape(rng, rank=int(rng.randint(2, 5)), hi=7)
    b = (1,) + tuple(d if rng.rand() < 0.6 else 1 for d in a[1:])
    shapes = [a, b] if rng.rand() < 0.5 else [b, a]
    # The second input scaled so the two get different quantizations.
    return Case(shapes, lambda x, y: _layers().Lambda(
        lambda t: tf.math.squared_difference(t[0], t[1] * 0.5))([x, y]),
                {"shapes": shapes}, value_range=(-4.0, 4.0), expect_ops=["SQUARED_DIFFERENCE"])
