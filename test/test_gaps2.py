"""Where TFLite Micro fails an invocation, refuses a model, or has no defined result, for the
forms added with test/conformance_ops_gaps2.py: int8 RSQRT below its input zero point, int32
DIV by zero (and INT32_MIN / -1), SOFTMAX int8 -> int16 with another output quantization,
and FILL int16 (which TFLite Micro's FILL does not run). Each is checked against
tflite_micro itself, not assumed."""

import tempfile

import numpy as np
import pytest

pytest.importorskip("tensorflow")

import conformance  # noqa: E402
import conformance_ops  # noqa: E402,F401  (registers the operators)
from utensor.errors import UnsupportedError  # noqa: E402
from utensor.reference import Reference  # noqa: E402


def _edit(tflite: bytes, edit) -> bytes:
    """edit(model object, schema module) through TensorFlow's flatbuffer_utils."""
    from tensorflow.lite.python import schema_py_generated as schema  # pylint: disable=import-outside-toplevel
    from tensorflow.lite.tools import flatbuffer_utils  # pylint: disable=import-outside-toplevel

    model = flatbuffer_utils.convert_bytearray_to_object(bytearray(tflite))
    edit(model, schema)
    return bytes(flatbuffer_utils.convert_object_to_bytearray(model))


def _host_model(tflite: bytes):
    from utensor.hostbuild import HostModel  # pylint: disable=import-outside-toplevel

    work = tempfile.mkdtemp(prefix="utensor-gaps2-")
    path = f"{work}/m.tflite"
    with open(path, "wb") as f:
        f.write(tflite)
    return HostModel(path, work_dir=work, sanitize=True)


def _convert(tflite: bytes):
    from utensor import convert  # pylint: disable=import-outside-toplevel

    with tempfile.NamedTemporaryFile(suffix=".tflite") as f:
        f.write(tflite)
        f.flush()
        return convert.convert_file(f.name, name="m")


def _set_input_zero_point(zero_point):
    def edit(model, schema):  # pylint: disable=unused-argument
        g = model.subgraphs[0]
        g.tensors[int(g.inputs[0])].quantization.zeroPoint = [zero_point]
    return edit


@pytest.mark.parametrize("zero_point", [-20, 37])
def test_int8_rsqrt_below_the_input_zero_point_fails_the_invocation_as_tflite_micro(zero_point):
    """TFLite Micro's int8 RSQRT validates every input against the input zero point and fails
    Invoke on a smaller one; at and above it the outputs are bit-exact."""
    d = conformance.draw("RSQRT:s8", "int8", 1)
    b = _edit(d.tflite, _set_input_zero_point(zero_point))
    ref = Reference(b)
    shape = ref.input_details[0]["shape"]
    rng = np.random.RandomState(zero_point & 0xFF)
    good = rng.randint(zero_point, 128, size=shape).astype(np.int8)
    good.reshape(-1)[0] = zero_point  # exactly the zero point: TFLM's maximum, 127
    model = _host_model(b)
    np.testing.assert_array_equal(model.run([[good]])[0][0], ref.invoke([good])[0])
    bad = good.copy()
    bad.reshape(-1)[-1] = zero_point - 1
    with pytest.raises(RuntimeError):
        ref.invoke([bad])
    with pytest.raises(Exception, match="invoke failed: status"):
        model.run([[bad]])


def _div_i32_model(divisor=None) -> bytes:
    import tensorflow as tf  # pylint: disable=import-outside-toplevel

    if divisor is None:
        @tf.function(input_signature=[tf.TensorSpec([2, 4], tf.int32), tf.TensorSpec([2, 4], tf.int32)])
        def f(a, b):
            return tf.raw_ops.Div(x=a, y=b)
    else:
        @tf.function(input_signature=[tf.TensorSpec([2, 4], tf.int32)])
        def f(a):
            return tf.raw_ops.Div(x=a, y=tf.constant(divisor, tf.int32))
    conv = tf.lite.TFLiteConverter.from_concrete_functions([f.get_concrete_function()], f)
    return conv.convert()


def test_int32_div_truncates_and_fails_on_a_zero_divisor_as_tflite_micro():
    b = _div_i32_model()
    a = np.array([[7, -7, 7, -7], [2 ** 31 - 1, -2 ** 31, 0, 100]], np.int32)
    d = np.array([[2, 2, -2, -2], [3, 3, -5, -7]], np.int32)
    model = _host_model(b)
    ref = Reference(b).invoke([a, d])[0]
    np.testing.assert_array_equal(ref, [[3, -3, -3, 3], [715827882, -715827882, 0, -14]])
    np.testing.assert_array_equal(model.run([[a, d]])[0][0], ref)
    zero = d.copy()
    zero[1, 2] = 0
    with pytest.raises(RuntimeError):  # tflite_micro: "Division by 0"
        Reference(b).invoke([a, zero])
    with pytest.raises(Exception, match="invoke failed: status"):
        model.run([[a, zero]])
    # INT32_MIN / -1: tflite_micro dies of SIGFPE on x86 (not asked here); Cortex-M's SDIV and
    # utensor give INT32_MIN.
    ovf_a, ovf_d = a.copy(), d.copy()
    ovf_a[0, 0], ovf_d[0, 0] = -2 ** 31, -1
    assert model.run([[ovf_a, ovf_d]])[0][0][0, 0] == -2 ** 31


def test_int32_div_by_a_constant_holding_zero_is_refused():
    b = _div_i32_model(divisor=[[1, 2, 0, 4], [5, 6, 7, 8]])
    with pytest.raises(UnsupportedError, match="holds a zero"):
        _convert(b)
    ok = _div_i32_model(divisor=[[1, 2, -3, 4], [5, 6, 7, -8]])
    x = np.arange(-20, 20, 5, dtype=np.int32).reshape(2, 4)
    np.testing.assert_array_equal(_host_model(ok).run([[x]])[0][0], Reference(ok).invoke([x])[0])


def test_softmax_int8_to_int16_needs_tflite_micros_output_quantization():
    """Another output zero point: tflite_micro refuses the model, utensor refuses to convert."""
    d = conformance.draw("SOFTMAX:s8_s16", "int8", 0)

    def edit(model, schema):  # pylint: disable=unused-argument
        g = model.subgraphs[0]
        g.tensors[int(g.outputs[0])].quantization.zeroPoint = [0]
    b = _edit(d.tflite, edit)
    with pytest.raises(RuntimeError):
        ref = Reference(b)
        ref.invoke([np.zeros(ref.input_details[0]["shape"], np.int8)])
    with pytest.raises(UnsupportedError, match="needs scale 1/65536"):
        _convert(b)


def test_fill_int16_is_refused_as_tflite_micro_refuses_it():
    """TensorFlow's 16x8 recipe does emit an int16 FILL, but TFLite Micro's FILL Eval takes
    float32, int32 and int8 only ("Fill only currently supports float32 ..."), so utensor
    refuses it when converting, naming what TFLite Micro's kernel takes."""
    case = conformance.SPECS["FILL"].draw(np.random.RandomState(0), "int16")
    tflite = conformance.to_tflite(case, "int16", 0)
    assert "FILL" in conformance.op_types(tflite)
    ref = Reference(tflite)
    with pytest.raises(RuntimeError):
        ref.invoke([np.ones(ref.input_details[0]["shape"], np.int16)])
    with pytest.raises(UnsupportedError, match="FILL.*int16"):
        _convert(tflite)


@pytest.mark.skipif(not __import__("opcheck").have_qemu_tools(), reason="needs pio, arm-none-eabi-gcc, qemu-system-arm")
@pytest.mark.parametrize("key,dtype,seed,board", [
    ("SOFTMAX:s8_s16", "int8", 0, "mps2_an386"),
    ("RSQRT:s8", "int8", 2, "mps2_an386"),
    ("DIV:i32", "float32", 0, "mps2_an386"),
    ("DIV:i32", "float32", 0, "microbit"),  # Cortex-M0: no divide instruction (libgcc's __aeabi_idiv)
])
def test_new_forms_bit_exact_on_board(key, dtype, seed, board, tmp_path):
    """Cross-compiled and run on emulated boards through `utensor verify`, against tflite_micro."""
    from opcheck import assert_bit_exact_on_board  # pylint: disable=import-outside-toplevel

    d = conformance.draw(key, dtype, seed)
    path = tmp_path / f"{key.replace(':', '_')}_{seed}.tflite"
    path.write_bytes(d.tflite)
    assert_bit_exact_on_board(str(path), board, 5, 0, tmp_path / "build")
