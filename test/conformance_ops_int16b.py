"""Conformance entries of the int16 (and other integer) forms of existing operators that
the shared entries cannot draw (test/conformance.py; the rest is an "int16" in the shared
entries' dtypes tuples).

QUANTIZE between integer types: TensorFlow's converter writes QUANTIZE only from float32
and for int8 -> int8 / int16 -> int16 requantization. The other forms TFLite Micro runs
(int16 <-> int8, int8 -> int16, int8/int16 -> int32, int32 -> int8/int16) are made by
rewriting a converted model with TensorFlow's flatbuffer object API
(tensorflow.lite.tools.flatbuffer_utils): its one operator becomes a QUANTIZE whose input
and output tensors get the drawn types and quantization (single_quantize below).
"""

import numpy as np

from conformance import Case, random_shape, register
from conformance_ops import _ops

_TYPES = {"int8": "INT8", "uint8": "UINT8", "int16": "INT16", "int32": "INT32", "float32": "FLOAT32"}


def single_quantize(in_dtype, in_q, out_dtype, out_q):
    """A Case.rewrite turning a converted one-operator model (output shape = input shape)
    into one QUANTIZE from `in_dtype` (quantization (scale, zero point), or None for float32)
    to `out_dtype`, through flatbuffer_utils."""
    def rewrite(tflite: bytes, dtype: str) -> bytes:  # pylint: disable=unused-argument
        from tensorflow.lite.python import schema_py_generated as schema  # pylint: disable=import-outside-toplevel
        from tensorflow.lite.tools import flatbuffer_utils  # pylint: disable=import-outside-toplevel

        model = flatbuffer_utils.convert_bytearray_to_object(bytearray(tflite))
        g = model.subgraphs[0]
        if len(g.inputs) != 1 or len(g.outputs) != 1:
            raise ValueError("single_quantize needs a model of one input and one output")
        code = schema.OperatorCodeT()
        code.builtinCode = code.deprecatedBuiltinCode = schema.BuiltinOperator.QUANTIZE
        code.version = 1
        model.operatorCodes = [code]
        op = schema.OperatorT()
        op.opcodeIndex = 0
        op.inputs, op.outputs = [int(g.inputs[0])], [int(g.outputs[0])]
        g.operators = [op]
        for index, t_dtype, q in ((g.inputs[0], in_dtype, in_q), (g.outputs[0], out_dtype, out_q)):
            t = g.tensors[int(index)]
            t.type = getattr(schema.TensorType, _TYPES[t_dtype])
            if q is None:
                t.quantization = None
            else:
                t.quantization = schema.QuantizationParametersT()
                t.quantization.scale, t.quantization.zeroPoint = [float(q[0])], [int(q[1])]
        return bytes(flatbuffer_utils.convert_object_to_bytearray(model))
    return rewrite


# ---- QUANTIZE between integer types -------------------------------------------------------

# (input, output, log2 of input scale / output scale: the range a real model would have, a
# few bits either side, e.g. int16 -> int8 narrows by about 2^8)
_REQUANTIZE = [("int16", "int8", (-11.0, -4.0)), ("int8", "int16", (4.0, 11.0)),
               ("int8", "int32", (-2.0, 12.0)), ("int16", "int32", (-2.0, 8.0)),
               ("int32", "int8", (-26.0, -6.0)), ("int32", "int16", (-18.0, 0.0))]
_ZERO_POINT = {"int8": 60, "int16": 300, "int32": 5000}  # drawn within +- this


def _requantize(in_dtype, out_dtype, log2_ratio):
    def draw(rng, dtype):  # pylint: disable=unused-argument
        shape = random_shape(rng, rank=int(rng.randint(2, 5)), hi=9)
        in_scale = float(np.float32(2.0 ** rng.uniform(-12, -2)))
        out_scale = float(np.float32(in_scale / 2.0 ** rng.uniform(*log2_ratio)))
        zps = [int(rng.randint(-_ZERO_POINT[t], _ZERO_POINT[t] + 1)) if rng.rand() < 0.7 else 0
               for t in (in_dtype, out_dtype)]
        options = {"shape": shape, "input": (in_dtype, in_scale, zps[0]),
                   "output": (out_dtype, out_scale, zps[1])}
        return Case([shape], lambda x: _ops().relu(x), options, expect_ops=["QUANTIZE"],
                    rewrite=single_quantize(in_dtype, (in_scale, zps[0]), out_dtype, (out_scale, zps[1])))
    # The conversion recipe only makes the model the rewrite starts from.
    recipe = "int16" if "int16" in (in_dtype, out_dtype) else "int8"
    register("QUANTIZE", dtypes=(recipe,), seeds=4, label=f"{in_dtype}_to_{out_dtype}")(draw)


for _a, _b, _r in _REQUANTIZE:
    _requantize(_a, _b, _r)


# ---- int64 and bool tensors -------------------------------------------------------------------

def as_dtype(to: str, input_scales=None):
    """A Case.rewrite retyping every float32 tensor of a float32 model to `to` (constants
    re-encoded; test/probe_tflm_dtypes.py), for operator forms TFLite Micro runs on int16,
    int32, int64 or bool tensors that no TensorFlow conversion recipe gives them.
    input_scales: the scales of the model's inputs (int8/int16; the others keep one)."""
    def rewrite(tflite: bytes, dtype: str) -> bytes:  # pylint: disable=unused-argument
        from probe_tflm_dtypes import retype  # pylint: disable=import-outside-toplevel

        data = retype(tflite, to)
        if not input_scales:
            return data
        from tensorflow.lite.tools import flatbuffer_utils  # pylint: disable=import-outside-toplevel

        model = flatbuffer_utils.convert_bytearray_to_object(bytearray(data))
        g = model.subgraphs[0]
        for index, scale in zip(g.inputs, input_scales):
            g.tensors[int(index)].quantization.scale = [float(scale)]
        return bytes(flatbuffer_utils.convert_object_to_bytearray(model))
    return rewrite


def _concatenation_as(to):
    def draw(rng, dtype):  # pylint: disable=unused-argument
        base = random_shape(rng, rank=int(rng.randint(2, 5)), hi=6)
        axis = int(rng.randint(1, len(base)))
        n = int(rng.randint(2, 4))
        shapes = [tuple(int(rng.randint(1, 6)) if k == axis else d for k, d in enumerate(base))
                  for _ in range(n)]
        options = {"shapes": shapes, "axis": axis, "as": to}
        if to == "bool":  # bool tensors made by comparisons: both values occur
            return Case(shapes, lambda *xs: _ops().concatenate([_ops().greater(x, 0.0) for x in xs], axis=axis),
                        options, expect_ops=["CONCATENATION", "GREATER"])
        return Case(shapes, lambda *xs: _ops().concatenate(list(xs), axis=axis), options,
                    rewrite=as_dtype(to))
    # The float32 recipe builds the model (int64: the model the rewrite retypes).
    register("CONCATENATION", dtypes=("float32",), seeds=3, label=f"as_{to}")(draw)


for _t in ("int64", "bool"):
    _concatenation_as(_t)


@register("PACK", dtypes=("float32",), seeds=3, label="as_int64")
def pack_int64(rng, dtype):  # pylint: disable=unused-argument
    shape = random_shape(rng, rank=int(rng.randint(2, 4)), hi=6)
    n = int(rng.randint(2, 4))
    axis = int(rng.randint(1, len(shape) + 1))
    return Case([shape] * n, lambda *xs: _ops().stack(list(xs), axis=axis),
                {"shape": shape, "n": n, "axis": axis, "as": "int64"}, rewrite=as_dtype("int64"))


# ---- MAXIMUM / MINIMUM and comparisons on int16 / int32 / int64 / bool --------------------------

def _binary_shapes(rng):
    a = random_shape(rng, rank=int(rng.randint(2, 5)), hi=7)
    b = (1,) + tuple(d if rng.rand() < 0.6 else 1 for d in a[1:])
    return [a, b] if rng.rand() < 0.5 else [b, a]


_FN = {"MAXIMUM": "maximum", "MINIMUM": "minimum", "EQUAL": "equal", "NOT_EQUAL": "not_equal",
       "GREATER": "greater", "GREATER_EQUAL": "greater_equal", "LESS": "less", "LESS_EQUAL": "less_equal"}


def _binary_as(op, to):
    def draw(rng, dtype):  # pylint: disable=unused-argument
        shapes = _binary_shapes(rng)
        fn = _FN[op]
        options = {"shapes": shapes, "as": to}
        if to == "bool":  # bool operands made by comparisons of the float inputs
            return Case(shapes, lambda x, y: getattr(_ops(), fn)(_ops().greater(x, 0.0), _ops().less(y, 0.5)),
                        options, expect_ops=[op, "GREATER", "LESS"])
        return Case(shapes, lambda x, y: getattr(_ops(), fn)(x, y), options, rewrite=as_dtype(to))
    # The float32 recipe builds the model the rewrite retypes (bool: the model itself).
    register(op, dtypes=("float32",), seeds=3, label=f"as_{to}")(draw)


for _op in ("MAXIMUM", "MINIMUM"):
    for _t in ("int32", "int64"):
        _binary_as(_op, _t)
for _op in ("EQUAL", "NOT_EQUAL", "GREATER", "GREATER_EQUAL", "LESS", "LESS_EQUAL"):
    _binary_as(_op, "int64")
for _op in ("EQUAL", "NOT_EQUAL"):
    _binary_as(_op, "bool")


# ---- SQUARED_DIFFERENCE int16 and int32 ---------------------------------------------------------

@register("SQUARED_DIFFERENCE", dtypes=("int16",), seeds=4, label="int16")
def squared_difference_int16(rng, dtype):  # pylint: disable=unused-argument
    import tensorflow as tf  # pylint: disable=import-outside-toplevel

    from conformance_ops import _layers  # pylint: disable=import-outside-toplevel

    shapes = _binary_shapes(rng)
    # The second input scaled so the two get different quantizations.
    return Case(shapes, lambda x, y: _layers().Lambda(
        lambda t: tf.math.squared_difference(t[0], t[1] * 0.5))([x, y]),
                {"shapes": shapes}, value_range=(-4.0, 4.0), expect_ops=["SQUARED_DIFFERENCE"])


_FN["SQUARED_DIFFERENCE"] = "squared_difference"


def _squared_difference_int32(rng, dtype):  # pylint: disable=unused-argument
    import tensorflow as tf  # pylint: disable=import-outside-toplevel

    from conformance_ops import _layers  # pylint: disable=import-outside-toplevel

    shapes = _binary_shapes(rng)
    # Full-range int32 inputs: the square wraps, as TFLite Micro's int32 arithmetic does.
    return Case(shapes, lambda x, y: _layers().Lambda(lambda t: tf.math.squared_difference(t[0], t[1]))([x, y]),
                {"shapes": shapes, "as": "int32"}, rewrite=as_dtype("int32"))


register("SQUARED_DIFFERENCE", dtypes=("float32",), seeds=3, label="as_int32")(_squared_difference_int32)


# ---- SLICE and STRIDED_SLICE of bool tensors ----------------------------------------------------

@register("STRIDED_SLICE", dtypes=("float32",), seeds=3, label="as_bool")
def strided_slice_bool(rng, dtype):  # pylint: disable=unused-argument
    shape = random_shape(rng, rank=int(rng.randint(2, 5)), hi=9, lo=2)
    index = [slice(None)]
    for d in shape[1:]:
        start = int(rng.randint(0, d))
        stop = int(rng.randint(start + 1, d + 1))
        index.append(slice(start, stop, int(rng.randint(1, 3))))
    index = tuple(index)
    # The bool tensor comes from a comparison of the float input.
    return Case([shape], lambda x: _ops().greater(x, 0.0)[index],
                {"shape": shape, "slices": [(s.start, s.stop, s.step) for s in index[1:]], "as": "bool"},
                expect_ops=["STRIDED_SLICE", "GREATER"])


@register("SLICE", dtypes=("float32",), seeds=3, label="as_bool")
def slice_bool(rng, dtype):  # pylint: disable=unused-argument
    import tensorflow as tf  # pylint: disable=import-outside-toplevel

    from conformance_ops import _layers  # pylint: disable=import-outside-toplevel

    shape = random_shape(rng, rank=int(rng.randint(2, 5)), lo=2, hi=8)
    begin = [0] + [int(rng.randint(0, d)) for d in shape[1:]]
    size = [1] + [int(rng.randint(1, d - b + 1)) for d, b in zip(shape[1:], begin[1:])]
    if begin[-1] == 0 and size[-1] == shape[-1]:  # never the whole tensor: TensorFlow drops that
        size[-1] -= 1
    return Case([shape], lambda x: _layers().Lambda(lambda t: tf.slice(tf.greater(t, 0.0), begin, size))(x),
                {"shape": shape, "begin": begin, "size": size, "as": "bool"},
                expect_ops=["SLICE", "GREATER"])
