"""User operators (scripts/utensor/ops/custom.py, runtime/include/utensor/custom_op.hpp),
compiled for the host: a custom op implemented by "the project" against an independent
numpy reference, a builtin replaced by the user's code (its options arrive as params)
against tflite_micro, and the converter's messages for missing, unknown and invalid names.
"""

import os
import re
import shutil
import subprocess

import numpy as np
import pytest

from opcheck import compare
from utensor import convert, hostbuild
from utensor.errors import UnsupportedError, UtensorError
from utensor.reference import Reference

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLE = os.path.join(ROOT, "examples", "custom_operator")
ATAN_MODEL = os.path.join(EXAMPLE, "models", "dense_atan.tflite")


def _header_floats(text, name):
    body = re.search(r"%s\[\d+\]\[\d+\] = \{(.*?)\};" % name, text, re.S).group(1)
    return np.array([float(v.rstrip("f")) for v in re.findall(r"-?[\d.]+(?:e-?\d+)?f", body)],
                    dtype=np.float32)


def _run(exe, inputs):
    payload = b"".join(np.ascontiguousarray(x, dtype=np.float32).tobytes() for x in inputs)
    proc = subprocess.run([exe], input=payload, capture_output=True)
    return proc.returncode, proc.stdout, proc.stderr


def _build(tmp_path, model, user_ops, op_source):
    gen = str(tmp_path / "gen")
    conversion = convert.convert_to_directory([model], gen, user_ops=user_ops)[0]
    with open(os.path.join(gen, "user_op.cpp"), "w") as f:
        f.write(op_source)
    exe = hostbuild.build_runner(gen, str(tmp_path / "runner"), sanitize=True)
    return conversion, gen, exe


def test_custom_op_matches_numpy_reference(tmp_path):
    with open(os.path.join(EXAMPLE, "src", "my_op.cpp")) as f:
        op_source = f.read()
    conversion, gen, exe = _build(tmp_path, ATAN_MODEL, ["Atan"], op_source)
    assert [op.op_type for op in conversion.graph.operators] == [
        "FULLY_CONNECTED", "CUSTOM:Atan", "FULLY_CONNECTED"]
    source = open(os.path.join(gen, "dense_atan.cpp")).read()
    assert "utensor::Status utensor_user_op_Atan(const utensor::UserOpContext& ctx);" in source
    with open(os.path.join(EXAMPLE, "test", "test_atan", "vectors.h")) as f:
        vectors = f.read()
    x = _header_floats(vectors, "kInputs").reshape(-1, 4)
    want = _header_floats(vectors, "kExpected").reshape(-1, 3)
    code, out, err = _run(exe, list(x))
    assert code == 0, err
    got = np.frombuffer(out, dtype=np.float32).reshape(-1, 3)
    problems = compare(got, want)
    assert not problems, "\n".join(problems)


SOFTMAX_BY_USER = r"""
#include <math.h>
#include <string.h>
#include "utensor/custom_op.hpp"

// The builtin SOFTMAX, replaced: exp(beta * (x - max)) / sum, reading beta from params.
utensor::Status utensor_user_op_SOFTMAX(const utensor::UserOpContext& ctx) {
  const utensor::UserOpParam* beta = ctx.param("beta");
  if (beta == 0 || ctx.param("no_such_option") != 0) return utensor::Status::invalid_argument;
  if (strcmp(ctx.op_name, "SOFTMAX") != 0 || ctx.custom_options != 0) return utensor::Status::error;
  const utensor::UserOpTensor& in = ctx.input(0);
  if (in.dtype != utensor::DType::f32 || in.rank != 2) return utensor::Status::dtype_mismatch;
  const float* x = ctx.input_data<float>(0);
  float* y = ctx.output_data<float>(0);
  const int depth = in.dims[1];
  float top = x[0];
  for (int i = 1; i < depth; ++i) top = x[i] > top ? x[i] : top;
  float sum = 0.0f;
  for (int i = 0; i < depth; ++i) sum += (y[i] = expf(beta->f * (x[i] - top)));
  for (int i = 0; i < depth; ++i) y[i] /= sum;
  return utensor::Status::ok;
}
"""


def test_builtin_replaced_by_user_code_gets_its_options(tmp_path):
    tf = pytest.importorskip("tensorflow")
    keras = pytest.importorskip("keras")
    keras.utils.set_random_seed(5)
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(7), keras.layers.Softmax()])
    tflite = tf.lite.TFLiteConverter.from_keras_model(model).convert()
    path = str(tmp_path / "dense_softmax.tflite")
    with open(path, "wb") as f:
        f.write(tflite)
    conversion, gen, exe = _build(tmp_path, path, ["SOFTMAX"], SOFTMAX_BY_USER)
    source = open(os.path.join(gen, "dense_softmax.cpp")).read()
    assert '{"beta", 1, 1.0f, ""},' in source
    assert "softmax_f32" not in source  # the user's code replaced utensor's kernel
    rng = np.random.RandomState(0)
    samples = [rng.uniform(-2, 2, (1, 6)).astype(np.float32) for _ in range(5)]
    code, out, err = _run(exe, samples)
    assert code == 0, err
    got = np.frombuffer(out, dtype=np.float32).reshape(-1, 7)
    ref = Reference(tflite)
    problems = []
    for k, x in enumerate(samples):
        problems += compare(got[k], ref.invoke([x])[0], "sample %d" % k)
    assert not problems, "\n".join(problems)


def test_failing_user_op_status_is_returned_by_invoke(tmp_path):
    failing = ('#include "utensor/custom_op.hpp"\n'
               "utensor::Status utensor_user_op_Atan(const utensor::UserOpContext&) {\n"
               "  return utensor::Status::unsupported;\n}\n")
    _, _, exe = _build(tmp_path, ATAN_MODEL, ["Atan"], failing)
    code, _, err = _run(exe, [np.zeros(4, np.float32)])
    assert code == 3 and b"invoke failed" in err  # runner.cpp: exit 3 when invoke() fails


def test_unsupported_operator_message_names_the_option(tmp_path):
    with pytest.raises(UnsupportedError) as info:
        convert.convert_to_directory([ATAN_MODEL], str(tmp_path / "gen"))
    message = str(info.value)
    assert "operator CUSTOM:Atan (operator #1) is not supported by utensor" in message
    assert "`custom_utensor_user_ops = Atan` in platformio.ini (CLI: `--user-op Atan`)" in message
    assert "utensor::Status utensor_user_op_Atan(const utensor::UserOpContext&)" in message
    assert not (tmp_path / "gen").exists()


def test_unknown_and_invalid_user_op_names(tmp_path):
    with pytest.raises(UtensorError) as info:
        convert.convert_to_directory([ATAN_MODEL], str(tmp_path / "gen"), user_ops=["Atan", "Atn"])
    assert "user operator Atn" in str(info.value)
    assert "its operators are Atan, FULLY_CONNECTED" in str(info.value)
    with pytest.raises(UtensorError, match="cannot form the C\\+\\+ function"):
        convert.convert_to_directory([ATAN_MODEL], str(tmp_path / "gen"), user_ops=["my-op"])
    # The CUSTOM: prefix as the converter prints it is accepted.
    conversion = convert.convert_to_directory([ATAN_MODEL], str(tmp_path / "gen"),
                                              user_ops=["CUSTOM:Atan"])[0]
    assert conversion.graph.name == "dense_atan"
    shutil.rmtree(tmp_path / "gen")
