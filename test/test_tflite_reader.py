"""The .tflite reader (utensor.tflite) against TensorFlow's own readings of the same files.

References: `tf.lite.Interpreter` (tensors, quantization, constant data, operators, graph
inputs/outputs) and the flatbuffers object API TensorFlow generates from schema.fbs
(`schema_py_generated`, for builtin options and for building damaged models).
"""

import glob
import hashlib
import os
import random
import re
import warnings

import flatbuffers
import numpy as np
import pytest

import conftest
from utensor.errors import ModelFormatError, UnsupportedError, UtensorError
from utensor.ir import numpy_dtype
from utensor.tflite import name_from_path, read_tflite
from utensor.tflite import gen_schema, schema

tf = pytest.importorskip("tensorflow")
from tensorflow.lite.python import schema_py_generated as fb  # noqa: E402

MODELS = sorted(glob.glob(os.path.join(conftest.MODELS_DIR, "*.tflite")))
KWS_INT8 = os.path.join(conftest.MODELS_DIR, "kws_ref_model.tflite")
AD_INT8 = os.path.join(conftest.MODELS_DIR, "ad01_int8.tflite")
VWW_INT8 = os.path.join(conftest.MODELS_DIR, "vww_96_int8.tflite")


def interpreter(path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # Without XNNPACK, which would replace float operators by one DELEGATE node.
        it = tf.lite.Interpreter(model_path=path, experimental_op_resolver_type=(
            tf.lite.experimental.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES))
    it.allocate_tensors()
    return it


def model_t(path):
    with open(path, "rb") as f:
        return fb.ModelT.InitFromPackedBuf(f.read(), 0)


def write_model(model, path):
    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    with open(path, "wb") as f:
        f.write(builder.Output())
    return path


def camel(snake):
    head, *rest = snake.split("_")
    return head + "".join(w[:1].upper() + w[1:] for w in rest)


# A model built here with non-default options of many operators -----------------------------

@pytest.fixture(scope="module")
def ops_model(tmp_path_factory):
    rng = np.random.default_rng(0)
    w_conv = tf.constant(rng.normal(size=(3, 3, 3, 8)).astype(np.float32))
    w_dw = tf.constant(rng.normal(size=(3, 3, 8, 2)).astype(np.float32))
    w_fc = tf.constant(rng.normal(size=(16, 5)).astype(np.float32))
    b_add = tf.constant(rng.normal(size=(16,)).astype(np.float32))

    @tf.function(input_signature=[tf.TensorSpec([1, 16, 16, 3], tf.float32)])
    def f(x):
        y = tf.nn.relu6(tf.nn.conv2d(x, w_conv, strides=2, padding="SAME"))         # 1x8x8x8
        z = tf.nn.depthwise_conv2d(y, w_dw, strides=[1, 1, 1, 1], padding="VALID")  # 1x6x6x16
        p = tf.nn.avg_pool2d(z, ksize=[2, 3], strides=[2, 1], padding="VALID")      # 1x3x4x16
        m = tf.nn.max_pool2d(z, ksize=2, strides=2, padding="SAME")                  # 1x3x3x16
        p = tf.pad(p, [[0, 0], [0, 0], [1, 0], [0, 0]])                              # 1x3x5x16
        c = tf.nn.leaky_relu(tf.concat([p, m], axis=2), alpha=0.2)                   # 1x3x8x16
        s = c[:, 1:, ::2, :]                                                         # 1x2x4x16
        mean = tf.reduce_mean(s, axis=[1, 2], keepdims=True)                         # 1x1x1x16
        v = tf.nn.relu(tf.reshape(mean, [1, 16]) + b_add)
        a, b = tf.split(v, 2, axis=1)
        u0, u1 = tf.unstack(tf.stack([a, b], axis=1), axis=1)
        t = tf.transpose(s, [0, 3, 1, 2])
        summed = tf.reduce_sum(t, axis=3, keepdims=False)
        out = tf.nn.softmax(tf.matmul(v, w_fc))
        g = tf.gather(v, [3, 1, 2], axis=1)
        return out, g, u0 - u1, summed

    converter = tf.lite.TFLiteConverter.from_concrete_functions([f.get_concrete_function()], f)
    path = tmp_path_factory.mktemp("ops") / "ops-model.tflite"
    path.write_bytes(converter.convert())
    return str(path)


def first_op(graph, op_type):
    ops = [op for op in graph.operators if op.op_type == op_type]
    assert ops, f"the converter produced no {op_type}"
    return ops[0]


def test_options_of_built_model(ops_model):
    g = read_tflite(ops_model)
    conv = first_op(g, "CONV_2D")
    assert (conv.options["padding"], conv.options["stride_w"], conv.options["stride_h"]) == ("SAME", 2, 2)
    assert conv.options["fused_activation_function"] == "RELU6"
    assert (conv.options["dilation_w_factor"], conv.options["dilation_h_factor"]) == (1, 1)
    dw = first_op(g, "DEPTHWISE_CONV_2D")
    assert (dw.options["padding"], dw.options["depth_multiplier"], dw.options["stride_w"]) == ("VALID", 2, 1)
    assert dw.options["fused_activation_function"] == "NONE"
    avg = first_op(g, "AVERAGE_POOL_2D")
    assert {k: avg.options[k] for k in ("padding", "stride_w", "stride_h", "filter_width", "filter_height")} == \
        {"padding": "VALID", "stride_w": 1, "stride_h": 2, "filter_width": 3, "filter_height": 2}
    mx = first_op(g, "MAX_POOL_2D")
    assert {k: mx.options[k] for k in ("padding", "stride_w", "filter_width")} == \
        {"padding": "SAME", "stride_w": 2, "filter_width": 2}
    assert first_op(g, "CONCATENATION").options == {"axis": 2, "fused_activation_function": "NONE"}
    assert first_op(g, "LEAKY_RELU").options == {"alpha": float(np.float32(0.2))}
    ss = first_op(g, "STRIDED_SLICE").options
    # c[:, 1:, ::2, :]: begin omitted on axes 0, 2, 3 and end omitted on all four.
    assert ss == {"begin_mask": 0b1101, "end_mask": 0b1111, "ellipsis_mask": 0, "new_axis_mask": 0,
                  "shrink_axis_mask": 0, "offset": False}
    assert first_op(g, "MEAN").options == {"keep_dims": True}
    assert first_op(g, "SUM").options == {"keep_dims": False}
    assert first_op(g, "ADD").options == {"fused_activation_function": "RELU", "pot_scale_int16": True}
    assert first_op(g, "SPLIT").options == {"num_splits": 2}
    assert first_op(g, "PACK").options == {"values_count": 2, "axis": 1}
    assert first_op(g, "UNPACK").options == {"num": 2, "axis": 1}
    assert first_op(g, "GATHER").options["axis"] == 1
    assert first_op(g, "SOFTMAX").options == {"beta": 1.0}
    assert first_op(g, "PAD").options == {}
    assert first_op(g, "TRANSPOSE").options == {}
    fc = first_op(g, "FULLY_CONNECTED")
    assert fc.inputs[2] == -1  # the omitted bias
    assert fc.options["keep_num_dims"] is False and fc.options["weights_format"] == "DEFAULT"
    assert first_op(g, "SUB").options["fused_activation_function"] == "NONE"
    assert g.name == "ops_model"


# Every MLPerf Tiny model against the TFLite interpreter ------------------------------------

@pytest.mark.parametrize("path", MODELS + ["ops_model"], ids=lambda p: os.path.basename(p))
def test_matches_interpreter(path, request):
    if path == "ops_model":
        path = request.getfixturevalue("ops_model")
    g = read_tflite(path)
    it = interpreter(path)
    buffers = model_t(path)
    fb_tensors = buffers.subgraphs[0].tensors
    assert len(g.tensors) == len(fb_tensors)
    # The interpreter appends its own scratch tensors after the model's.
    details = it.get_tensor_details()[:len(fb_tensors)]
    for d in details:
        t = g.tensors[d["index"]]
        assert t.index == d["index"]
        assert t.name == d["name"]
        assert numpy_dtype(t.dtype) == np.dtype(d["dtype"])
        assert t.shape == tuple(int(x) for x in d["shape"])
        qp = d["quantization_parameters"]
        if len(qp["scales"]) == 0:
            assert t.quant is None
        else:
            assert np.array_equal(np.array(t.quant.scale, dtype=np.float32), qp["scales"])
            assert list(t.quant.zero_point) == [int(z) for z in qp["zero_points"]]
            assert t.quant.axis == qp["quantized_dimension"]
        stored = fb_tensors[t.index].buffer
        is_constant = buffers.buffers[stored].data is not None and len(buffers.buffers[stored].data) > 0
        assert t.is_constant == is_constant, t.name
        if is_constant:
            ref = it.get_tensor(t.index)
            assert t.data.dtype == ref.dtype and t.data.shape == ref.shape
            assert np.array_equal(t.data, ref), t.name
            assert t.data.flags.writeable and t.data.flags.c_contiguous  # our own copy
    ops = it._get_ops_details()
    assert [op.op_type for op in g.operators] == [o["op_name"] for o in ops]
    for op, ref in zip(g.operators, ops):
        assert op.inputs == [int(i) for i in ref["inputs"]]
        assert op.outputs == [int(o) for o in ref["outputs"]]
    assert g.inputs == [d["index"] for d in it.get_input_details()]
    assert g.outputs == [d["index"] for d in it.get_output_details()]


@pytest.mark.parametrize("path", MODELS + ["ops_model"], ids=lambda p: os.path.basename(p))
def test_options_match_object_api(path, request):
    """Every option of every operator equals what TensorFlow's generated parser reads."""
    if path == "ops_model":
        path = request.getfixturevalue("ops_model")
    g = read_tflite(path)
    ref_ops = model_t(path).subgraphs[0].operators
    for op, ref in zip(g.operators, ref_ops):
        if op.op_type not in schema.OPERATOR_OPTIONS:
            assert op.options == {} and ref.builtinOptions is None and ref.builtinOptions2 is None
            continue
        union, code = schema.OPERATOR_OPTIONS[op.op_type]
        table_name, fields = schema.OPTIONS_TABLES[union][code]
        ref_options = ref.builtinOptions if union == 1 else ref.builtinOptions2
        if ref_options is None:  # absent table: TFLite reads the schema defaults
            ref_options = getattr(fb, table_name + "T")()
        assert type(ref_options).__name__ == table_name + "T"
        assert set(op.options) == {f[0] for f in fields}
        for name, _, kind, _, enum, _ in fields:
            expected = getattr(ref_options, camel(name))
            value = op.options[name]
            if enum is not None:
                value = {v: k for k, v in schema.ENUMS[enum].items()}[value]
            if kind == "vector":
                expected = [] if expected is None else list(np.asarray(expected).tolist())
            assert value == expected, (op.index, name)


def test_schema_tables_match_installed_tensorflow():
    with open(gen_schema.generated_schema_path(), encoding="utf-8") as f:
        text = gen_schema.render(f.read())
    with open(gen_schema.OUTPUT, encoding="utf-8") as f:
        assert f.read() == text, "run python -m utensor.tflite.gen_schema"


def test_operator_names_cover_the_enum():
    members = {v: k for k, v in vars(fb.BuiltinOperator).items() if not k.startswith("_")}
    assert len(schema.BUILTIN_OPERATORS) == len(members)
    assert all(schema.BUILTIN_OPERATORS[code] == name for code, name in members.items())
    assert schema.BUILTIN_OPERATORS[16] == "LSTM" and schema.BUILTIN_OPERATORS[150] == "GELU"


# Graph-level fields ----------------------------------------------------------------------

def test_name_hash_and_path():
    g = read_tflite(AD_INT8)
    assert g.name == "ad01_int8"
    assert g.source_path == AD_INT8
    with open(AD_INT8, "rb") as f:
        assert g.source_sha256 == hashlib.sha256(f.read()).hexdigest()
    assert read_tflite(AD_INT8, name="anomaly").name == "anomaly"


@pytest.mark.parametrize("path,name", [
    ("ad01_int8.tflite", "ad01_int8"), ("dir/9lives.tflite", "m_9lives"), ("my model-v2.tflite", "my_model_v2"),
    ("__x__.tflite", "x"), ("int.tflite", "int_model"), ("é.tflite", "model"), ("a.b.tflite", "a_b")])
def test_name_from_path(path, name):
    assert name_from_path(path) == name


@pytest.mark.parametrize("bad", ["2x", "a-b", "", "_Upper", "a__b", "class"])
def test_bad_name_argument(bad):
    with pytest.raises(UtensorError, match="C\\+\\+ identifier"):
        read_tflite(AD_INT8, name=bad)


def test_missing_file(tmp_path):
    path = str(tmp_path / "nope.tflite")
    with pytest.raises(UtensorError, match="nope.tflite: cannot read"):
        read_tflite(path)


def test_reads_vww_quickly():
    import time
    start = time.perf_counter()
    read_tflite(VWW_INT8)
    assert time.perf_counter() - start < 0.5


# Damaged files -----------------------------------------------------------------------------

def assert_format_error(path, pattern=None):
    with pytest.raises(ModelFormatError) as info:
        read_tflite(str(path))
    message = str(info.value)
    assert os.path.basename(str(path)) in message
    assert "\n" not in message
    if pattern:
        assert re.search(pattern, message), message
    return message


@pytest.mark.parametrize("cut", [0, 3, 7, 8, 100, 1000, 0.25, 0.5, 0.9, -1])
def test_truncated(tmp_path, cut):
    data = open(KWS_INT8, "rb").read()
    n = int(len(data) * cut) if isinstance(cut, float) else (len(data) + cut if cut < 0 else cut)
    path = tmp_path / "kws_cut.tflite"
    path.write_bytes(data[:n])
    assert_format_error(path)


def test_empty_file(tmp_path):
    path = tmp_path / "empty.tflite"
    path.write_bytes(b"")
    assert_format_error(path, "not a TensorFlow Lite model \\(the file is 0 bytes, too short")


def test_text_file(tmp_path):
    path = tmp_path / "notes.tflite"
    path.write_text("model: kws\nlayers: 13\n" * 20)
    assert_format_error(path, "not a TensorFlow Lite model \\(the file is 440 bytes, lacks the 'TFL3' identifier")


def test_random_bytes(tmp_path):
    rng = np.random.default_rng(1)
    for i in range(20):
        data = bytearray(rng.integers(0, 256, size=int(rng.integers(8, 5000)), dtype=np.uint8).tobytes())
        if i % 2:
            data[4:8] = b"TFL3"  # get past the identifier check into the tables
        path = tmp_path / f"random{i}.tflite"
        path.write_bytes(bytes(data))
        assert_format_error(path)


@pytest.mark.parametrize("pos", [0, 1, 2, 5])
def test_flipped_byte_in_header(tmp_path, pos):
    data = bytearray(open(KWS_INT8, "rb").read())
    data[pos] ^= 0xFF
    path = tmp_path / "kws_flipped.tflite"
    path.write_bytes(bytes(data))
    assert_format_error(path)


def test_flipped_vtable_entry(tmp_path):
    """Turn a field offset of the root table's vtable into one pointing past its table."""
    data = bytearray(open(KWS_INT8, "rb").read())
    root = int.from_bytes(data[0:4], "little")
    vtable = root - int.from_bytes(data[root:root + 4], "little", signed=True)
    data[vtable + 8:vtable + 10] = (0xFFF0).to_bytes(2, "little")  # slot 8: Model.subgraphs
    path = tmp_path / "kws_vtable.tflite"
    path.write_bytes(bytes(data))
    assert_format_error(path, "outside")


@pytest.mark.parametrize("path", [AD_INT8, KWS_INT8])
def test_random_corruption_never_crashes(tmp_path, path):
    """Flipped bytes anywhere: the model reads, or the error is a UtensorError, never a crash."""
    original = open(path, "rb").read()
    rnd = random.Random(7)
    out = tmp_path / "fuzz.tflite"
    outcomes = {"read": 0, "error": 0}
    for _ in range(300):
        data = bytearray(original)
        # Bias the flips towards the table area (before the big weight buffers).
        for _ in range(rnd.randint(1, 4)):
            pos = rnd.randrange(len(data)) if rnd.random() < 0.3 else rnd.randrange(min(len(data), 4096))
            data[pos] = rnd.randrange(256)
        out.write_bytes(bytes(data))
        try:
            read_tflite(str(out))
            outcomes["read"] += 1
        except UtensorError as e:
            assert "fuzz.tflite" in str(e)
            outcomes["error"] += 1
    assert outcomes["error"] > 0


# Inconsistent models built with the object API -------------------------------------------

def mutated(tmp_path, path, mutate, name="bad.tflite"):
    model = model_t(path)
    mutate(model)
    return write_model(model, str(tmp_path / name))


def _tensors(m):
    return m.subgraphs[0].tensors


def _ops(m):
    return m.subgraphs[0].operators


def _weights_index(m):
    return _ops(m)[0].inputs[1]


def _read_orphan(m):
    """Operator 1 reads a new activation tensor that nothing writes."""
    orphan = fb.TensorT()
    orphan.name, orphan.type, orphan.shape = "orphan", fb.TensorType.INT8, np.array([1, 25, 5, 64], np.int32)
    _tensors(m).append(orphan)
    _ops(m)[1].inputs = np.array([len(_tensors(m)) - 1, 5, 4], np.int32)


def _set_scales(m, scales):
    _tensors(m)[_weights_index(m)].quantization.scale = scales


CASES = {
    "input tensor index": (lambda m: setattr(_ops(m)[0], "inputs", np.array([0, 999, 3], np.int32)),
                           "inputs of operator 0 \\(CONV_2D\\) refer to tensor 999"),
    "output tensor index -1": (lambda m: setattr(_ops(m)[0], "outputs", np.array([-1], np.int32)),
                               "outputs of operator 0"),
    "graph input index": (lambda m: setattr(m.subgraphs[0], "inputs", np.array([77], np.int32)),
                          "subgraph inputs refer to tensor 77"),
    "buffer index": (lambda m: setattr(_tensors(m)[_weights_index(m)], "buffer", 5000), "refers to buffer 5000"),
    "opcode index": (lambda m: setattr(_ops(m)[1], "opcodeIndex", 40), "operator 1 uses operator code 40"),
    "negative dimension": (lambda m: setattr(_tensors(m)[22], "shape", np.array([1, -25, 5, 64], np.int32)),
                           "negative dimension"),
    "absurd dimensions": (lambda m: setattr(_tensors(m)[22], "shape", np.array([1, 65536, 65536, 64], np.int32)),
                          "more than 2\\*\\*31"),
    "nan scale": (lambda m: _set_scales(m, np.full(64, np.nan, np.float32)), "invalid quantization scale"),
    "zero point range": (lambda m: setattr(_tensors(m)[0].quantization, "zeroPoint", np.array([300], np.int64)),
                         "zero point outside \\[-128, 127\\]"),
    # TFLite Micro would read past the buffer (its outputs change): refused.
    "buffer size": (lambda m: setattr(m.buffers[_tensors(m)[_weights_index(m)].buffer], "data",
                                      np.zeros(10, np.uint8)), "2560 bytes\\) has a constant buffer of 10 bytes"),
    "swapped operators": (lambda m: setattr(m.subgraphs[0], "operators", [_ops(m)[1], _ops(m)[0]] + _ops(m)[2:]),
                          "operator 0 \\(DEPTHWISE_CONV_2D\\) reads tensor 22 .* not in execution order"),
    "cycle": (lambda m: setattr(_ops(m)[0], "inputs", np.array([23, 17, 3], np.int32)),
              "reads tensor 23 .*cycle"),
    "dangling input": (lambda m: _read_orphan(m), "reads tensor 35 \\('orphan'\\), which is neither a graph input"),
    "written twice": (lambda m: setattr(_ops(m)[1], "outputs", np.array([22], np.int32)),
                      "tensor 22 is written by operators 0 and 1"),
    "writes a constant": (lambda m: setattr(_ops(m)[0], "outputs", np.array([17], np.int32)),
                          "writes the constant tensor 17"),
    "schema version": (lambda m: setattr(m, "version", 2), "schema version 2"),
    "no subgraph": (lambda m: setattr(m, "subgraphs", []), "no subgraph"),
    "options mismatch": (lambda m: (setattr(_ops(m)[0], "builtinOptionsType", fb.BuiltinOptions.SoftmaxOptions),
                                    setattr(_ops(m)[0], "builtinOptions", fb.SoftmaxOptionsT())),
                         "CONV_2D\\) carries SoftmaxOptions, expected Conv2DOptions"),
    "zero stride": (lambda m: setattr(_ops(m)[0].builtinOptions, "strideW", 0), "stride_w = 0 must be at least 1"),
    "bad enum": (lambda m: setattr(_ops(m)[0].builtinOptions, "padding", 9), "padding = 9 is not a valid Padding"),
    "graph output never written": (lambda m: setattr(m.subgraphs[0], "operators", _ops(m)[:-1]),
                                   "graph output tensor 34 .* is never written"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_inconsistent_model(tmp_path, case):
    mutate, pattern = CASES[case]
    path = mutated(tmp_path, KWS_INT8, mutate, name="kws_bad.tflite")
    assert_format_error(path, pattern)


# Per-channel scales that do not fit the filter: TFLite Micro's loader keeps them and its
# CONV_2D refuses them in Prepare; utensor's reader keeps them and the lowering refuses,
# naming the operator and what it expects.
FILTER_SCALE_CASES = {
    "per-channel count": (lambda m: (_set_scales(m, np.ones(3, np.float32)),
                                     setattr(_tensors(m)[_weights_index(m)].quantization, "zeroPoint",
                                             np.zeros(3, np.int64))),
                          r"operator #0 CONV_2D: filter tensor .* has 3 scales along axis 0; expected 1 or 64 along axis 0"),
    # 3 scales and the 64 zero points of the file: the loader repeats the first zero point
    # (TFLM too), then CONV_2D refuses the scales (TFLM: "scale->size == 1 || ... was not true").
    "per-channel count, 64 zero points": (
        lambda m: _set_scales(m, np.ones(3, np.float32)),
        r"operator #0 CONV_2D: filter tensor .* has 3 scales along axis 0; expected 1 or 64 along axis 0"),
    # Scales without zero points: TFLM's loader leaves the tensor unquantized, its CONV_2D
    # then refuses it in Prepare; so does utensor's lowering.
    "scales without zero points": (
        lambda m: setattr(_tensors(m)[_weights_index(m)].quantization, "zeroPoint", None),
        r"operator #0 CONV_2D: filter tensor .* is int8 without quantization parameters"),
    "quantized dimension": (lambda m: setattr(_tensors(m)[_weights_index(m)].quantization,
                                              "quantizedDimension", 7),
                            r"operator #0 CONV_2D: filter tensor .* has 64 scales along axis 7; expected 1 or 64 along axis 0"),
}


@pytest.mark.parametrize("case", sorted(FILTER_SCALE_CASES))
def test_filter_scales_that_do_not_fit_are_refused_by_the_operator(tmp_path, case):
    from utensor import convert
    from utensor.errors import UnsupportedError

    mutate, pattern = FILTER_SCALE_CASES[case]
    path = mutated(tmp_path, KWS_INT8, mutate, name="kws_scales.tflite")
    read_tflite(str(path))  # TFLM's loader accepts it too
    with pytest.raises(UnsupportedError, match=pattern):
        convert.convert_file(str(path))


def _stale_quantized_dimensions(m):
    """What some converters leave (TFLM's person-detection model among them): per-tensor
    tensors whose quantized_dimension lies past their rank, and a rank-1 bias with one
    scale per channel whose quantized_dimension is the filter's (3)."""
    for t in _tensors(m):
        q = t.quantization
        if q is not None and q.scale is not None and len(q.scale) == 1:
            q.quantizedDimension = 9
    op = _ops(m)[1]  # DEPTHWISE_CONV_2D: filter [1, H, W, C], per-channel along axis 3
    bias = _tensors(m)[op.inputs[2]]
    bias.quantization.quantizedDimension = 3


def test_stale_quantized_dimensions_are_accepted_as_tflite_micro_does(tmp_path):
    """The quirk of the widely used person-detection model: TFLite Micro runs such a model,
    so utensor converts it, bit-exact."""
    from opcheck import assert_matches_reference

    path = mutated(tmp_path, KWS_INT8, _stale_quantized_dimensions, name="kws_stale_dims.tflite")
    g = read_tflite(str(path))
    bias = g.tensor(g.operators[1].inputs[2])
    assert len(bias.quant.scale) > 1 and bias.quant.axis == 0
    with open(path, "rb") as f:
        assert_matches_reference(f.read(), samples=2, seed=5)


def _fp16_weights(m):
    _tensors(m)[_weights_index(m)].type = fb.TensorType.FLOAT16


def _call_op(m):
    # CALL (IF and WHILE are inlined now: tflite/control_flow.py)
    m.operatorCodes.append(fb.OperatorCodeT())
    m.operatorCodes[-1].builtinCode = m.operatorCodes[-1].deprecatedBuiltinCode = fb.BuiltinOperator.CALL
    op = _ops(m)[-1]
    op.opcodeIndex = len(m.operatorCodes) - 1
    op.builtinOptionsType = fb.BuiltinOptions.CallOptions
    op.builtinOptions = fb.CallOptionsT()
    m.subgraphs.append(fb.SubGraphT())


UNSUPPORTED = {
    "float16 tensor": (_fp16_weights, "has type FLOAT16, which utensor does not support"),
    "variable tensor": (lambda m: setattr(_tensors(m)[22], "isVariable", True), "variable \\(stateful\\)"),
    "control flow": (_call_op, "operator 12 \\(CALL\\) runs another subgraph"),
    "newer operator": (lambda m: setattr(m.operatorCodes[0], "builtinCode", 4000), "builtin operator 4000, newer"),
}


@pytest.mark.parametrize("case", sorted(UNSUPPORTED))
def test_unsupported_model(tmp_path, case):
    mutate, pattern = UNSUPPORTED[case]
    path = mutated(tmp_path, KWS_INT8, mutate, name="kws_unsupported.tflite")
    with pytest.raises(UnsupportedError) as info:
        read_tflite(path)
    assert "kws_unsupported.tflite" in str(info.value)
    assert re.search(pattern, str(info.value)), str(info.value)


def test_dynamic_batch_of_one_is_accepted(tmp_path):
    path = mutated(tmp_path, KWS_INT8, lambda m: setattr(_tensors(m)[0], "shapeSignature",
                                                         np.array([-1, 49, 10, 1], np.int32)))
    assert read_tflite(path).tensors[0].shape == (1, 49, 10, 1)


# What TFLite Micro's loader accepts and utensor used to refuse (micro_allocator.cc,
# InitializeTfLiteTensorFromFlatbuffer): each mutant runs on tflite_micro, so utensor
# converts it and matches tflite_micro bit for bit.

def _extra_buffer_bytes(m):
    b = m.buffers[_tensors(m)[_weights_index(m)].buffer]
    b.data = np.concatenate([np.asarray(b.data, np.uint8), np.full(16, 0x55, np.uint8)])


def _custom_quantization_details(m):
    q = _tensors(m)[_weights_index(m)].quantization
    q.detailsType = fb.QuantizationDetails.CustomQuantization
    q.details = fb.CustomQuantizationT()
    q.details.custom = [1, 2, 3]


ACCEPTED_AS_TFLM = {
    # TFLM never reads shape_signature: it runs the tensor at `shape`.
    "dynamic dimensions": lambda m: setattr(_tensors(m)[0], "shapeSignature",
                                            np.array([-1, 49, -1, 1], np.int32)),
    "shape_signature of another rank": lambda m: setattr(_tensors(m)[0], "shapeSignature",
                                                         np.array([-1, 490], np.int32)),
    # One zero point for 64 per-channel scales (symmetric weights), or any other count:
    # TFLM repeats the first one.
    "one zero point for per-channel scales": lambda m: setattr(
        _tensors(m)[_weights_index(m)].quantization, "zeroPoint", np.zeros(1, np.int64)),
    "two zero points for 64 scales": lambda m: setattr(
        _tensors(m)[_weights_index(m)].quantization, "zeroPoint", np.zeros(2, np.int64)),
    # TFLM reads the bytes the shape needs; the rest of the buffer is never read.
    "constant buffer longer than the tensor": _extra_buffer_bytes,
    # TFLM never reads the details union; the scales and zero points are used.
    "custom quantization details": _custom_quantization_details,
}


@pytest.mark.parametrize("case", sorted(ACCEPTED_AS_TFLM))
def test_what_tflite_micro_accepts_is_accepted(tmp_path, case):
    from opcheck import assert_matches_reference

    path = mutated(tmp_path, KWS_INT8, ACCEPTED_AS_TFLM[case], name="kws_tflm_ok.tflite")
    g = read_tflite(str(path))
    assert g.tensors[0].shape == (1, 49, 10, 1)
    w = g.tensor(g.operators[0].inputs[1])
    assert w.data.shape == (64, 10, 4, 1) and len(w.quant.zero_point) == len(w.quant.scale) == 64
    with open(path, "rb") as f:
        assert_matches_reference(f.read(), samples=2, seed=3, name="kws_tflm_ok")


def test_unreferenced_extra_subgraph_is_ignored(tmp_path):
    path = mutated(tmp_path, KWS_INT8, lambda m: m.subgraphs.append(fb.SubGraphT()))
    assert len(read_tflite(path).operators) == 13


def test_operator_codes(tmp_path):
    """Extended codes (> 127) live in builtin_code, old files fill only the deprecated field."""
    model = model_t(KWS_INT8)
    expected = {}
    for i, code in enumerate(model.operatorCodes):
        expected[i] = schema.BUILTIN_OPERATORS[max(code.builtinCode, code.deprecatedBuiltinCode)]
        code.builtinCode = 0  # an old file: the code in deprecated_builtin_code only
    model.operatorCodes[1].deprecatedBuiltinCode = 127  # the placeholder of extended codes
    model.operatorCodes[1].builtinCode = fb.BuiltinOperator.GELU
    model.operatorCodes[2].builtinCode = model.operatorCodes[2].deprecatedBuiltinCode = fb.BuiltinOperator.CUSTOM
    model.operatorCodes[2].customCode = "MyOp"
    expected.update({1: "GELU", 2: "CUSTOM:MyOp"})
    for op in _ops(model):
        if op.opcodeIndex in (1, 2):
            op.builtinOptionsType, op.builtinOptions = 0, None
    g = read_tflite(write_model(model, str(tmp_path / "codes.tflite")))
    assert [op.op_type for op in g.operators] == [expected[op.opcodeIndex] for op in _ops(model)]
    assert {"GELU", "CUSTOM:MyOp", "CONV_2D"} <= {op.op_type for op in g.operators}
    for op in g.operators:
        if op.op_type == "GELU":
            assert op.options == {"approximate": False}
        if op.op_type == "CUSTOM:MyOp":
            assert op.options == {"custom_options": b"", "custom_options_format": "FLEXBUFFERS"}


def test_data_after_the_flatbuffer(tmp_path):
    """Large models keep buffers outside the flatbuffer, at a file offset."""
    model = model_t(VWW_INT8)
    big = max(range(len(model.buffers)),
              key=lambda i: 0 if model.buffers[i].data is None else len(model.buffers[i].data))
    payload = bytes(model.buffers[big].data)
    model.buffers[big].data = None
    model.buffers[big].size = len(payload)
    model.buffers[big].offset = 1 << 40  # placeholder of the same encoded size
    path = write_model(model, str(tmp_path / "vww_ext.tflite"))
    offset = (os.path.getsize(path) + 15) // 16 * 16
    model.buffers[big].offset = offset
    write_model(model, path)
    assert os.path.getsize(path) <= offset
    with open(path, "ab") as f:
        f.write(b"\0" * (offset - os.path.getsize(path)) + payload)
    ours, ref = read_tflite(path), read_tflite(VWW_INT8)
    for a, b in zip(ours.tensors, ref.tensors):
        assert (a.data is None) == (b.data is None)
        if a.data is not None:
            assert np.array_equal(a.data, b.data)
    with open(path, "r+b") as f:
        f.truncate(offset + len(payload) - 1)
    assert_format_error(path, "past the end")
