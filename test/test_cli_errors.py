"""What a user sees when `utensor convert` refuses a model: the real CLI, in a subprocess.

Each case exits non-zero with exactly one paragraph on stderr, `utensor convert: error:`
then a message naming the file and, where it applies, the operator and the supported set;
never a traceback, and nothing written to the output folder.
"""

import os
import re
import subprocess
import sys

import numpy as np
import pytest

import conftest
from utensor import ops

KWS = os.path.join(conftest.MODELS_DIR, "kws_ref_model.tflite")
ENV = dict(os.environ, PYTHONPATH=os.path.join(conftest.REPO, "scripts"), TF_CPP_MIN_LOG_LEVEL="3")


def cli(*args):
    return subprocess.run([sys.executable, "-m", "utensor", *args], env=ENV,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def refused(path, tmp_path):
    """Run `utensor convert path`; check the shape of the refusal; return the message."""
    out = tmp_path / "out"
    proc = cli("convert", str(path), "-o", str(out))
    assert proc.returncode == 1, (proc.returncode, proc.stdout, proc.stderr)
    err = proc.stderr
    assert "Traceback" not in err
    assert err.startswith("utensor convert: error: "), err
    assert err.count("\n") == 1 and err.endswith("\n"), f"not one paragraph: {err!r}"
    assert str(path) in err, "the message does not name the file"
    assert proc.stdout == ""
    assert not out.exists(), "a refused conversion created the output folder"
    return err


@pytest.mark.parametrize("keep", [0, 7, 100, 20_000, 53_000])
def test_truncated_model(tmp_path, keep):
    data = open(KWS, "rb").read()
    path = tmp_path / "kws_cut.tflite"
    path.write_bytes(data[:keep])
    err = refused(path, tmp_path)
    if keep < 8:
        assert f"not a TensorFlow Lite model (the file is {keep} bytes, too short to be one)" in err
    else:
        assert "the model file is damaged or truncated" in err or "invalid TensorFlow Lite model" in err
        assert "points outside the file" in err or "past the end" in err or "outside" in err
        assert "Re-export the model with the TensorFlow Lite converter" in err


@pytest.mark.parametrize("content,name", [
    (b"this is a README, not a model\n" * 10, "notes.tflite"),
    (b"\x89PNG\r\n\x1a\n" + bytes(200), "picture.tflite"),
    (b"PK\x03\x04" + bytes(100), "model.tflite"),  # a zip (e.g. a .keras file renamed)
])
def test_not_a_model(tmp_path, content, name):
    path = tmp_path / name
    path.write_bytes(content)
    err = refused(path, tmp_path)
    assert f"not a TensorFlow Lite model (the file is {len(content)} bytes, lacks the 'TFL3' identifier)" in err
    assert "Pass a .tflite file produced by the TFLite converter" in err


def test_missing_model(tmp_path):
    err = refused(tmp_path / "nowhere.tflite", tmp_path)
    assert "no such file or directory" in err


def test_unwritable_output_folder(tmp_path):
    blocker = tmp_path / "taken"
    blocker.write_text("a file where the output folder should be")
    proc = cli("convert", KWS, "-o", str(blocker))
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith(f"utensor convert: error: cannot write the generated sources to {blocker}")
    assert blocker.read_text().startswith("a file")


@pytest.fixture(scope="module")
def unsupported_models(tmp_path_factory):
    """Models TensorFlow converts with operators utensor has no kernel for."""
    tf = pytest.importorskip("tensorflow")
    root = tmp_path_factory.mktemp("unsupported")
    models = {}

    @tf.function(input_signature=[tf.TensorSpec([1, 2, 2, 8], tf.float32)])
    def lrn(x):  # LOCAL_RESPONSE_NORMALIZATION: TFLite Micro registers no such kernel either
        return tf.nn.local_response_normalization(x) * 2.0

    @tf.function(input_signature=[tf.TensorSpec([1, 8], tf.float32)])
    def top_k(x):  # TOPK_V2: TFLite Micro registers no such kernel, so it stays unsupported
        return tf.math.top_k(x, k=3).values * 2.0

    for name, fn in (("lrn", lrn), ("top_k", top_k)):
        conv = tf.lite.TFLiteConverter.from_concrete_functions([fn.get_concrete_function()], fn)
        path = root / f"{name}.tflite"
        path.write_bytes(conv.convert())
        models[name] = path

    for name, unroll in (("lstm", True), ("lstm_loop", False)):
        lstm = tf.keras.Sequential([tf.keras.Input((5, 3), batch_size=1), tf.keras.layers.LSTM(4, unroll=unroll)])
        conv = tf.lite.TFLiteConverter.from_keras_model(lstm)
        path = root / f"{name}.tflite"
        path.write_bytes(conv.convert())
        models[name] = path
    return models


def test_an_unrolled_lstm_now_converts_and_matches_tflite_micro(unsupported_models):
    """Once refused for UNPACK and SPLIT: a Keras LSTM converted unrolled is FULLY_CONNECTED,
    SPLIT, UNPACK, LOGISTIC, TANH, MUL, ADD... all of which utensor runs now."""
    from opcheck import assert_matches_reference

    assert_matches_reference(unsupported_models["lstm"].read_bytes(), samples=3, seed=13)


def reference_ops(path):
    """Operator names in execution order, as TensorFlow Lite itself reads the model."""
    import tensorflow as tf

    it = tf.lite.Interpreter(model_path=str(path))
    return [d["op_name"] for d in sorted(it._get_ops_details(), key=lambda d: d["index"])]


@pytest.mark.parametrize("name,op", [("lrn", "LOCAL_RESPONSE_NORMALIZATION"), ("top_k", "TOPK_V2")])
def test_unsupported_operator(tmp_path, unsupported_models, name, op):
    path = unsupported_models[name]
    names = reference_ops(path)
    unsupported = [n for n in names if n not in ops.supported_ops()]
    assert unsupported, names
    assert op == unsupported[0]
    err = refused(path, tmp_path)
    assert f"operator {op} (operator #{names.index(op)}) is not supported by utensor. Supported operators: " in err
    supported = err.split("Supported operators: ", 1)[1].split(".", 1)[0].split(", ")
    assert supported == ops.supported_ops()
    assert {"CONV_2D", "FULLY_CONNECTED", "SOFTMAX"} <= set(supported) and op not in supported


def test_a_rolled_lstm_converts(tmp_path, unsupported_models):
    """A Keras LSTM left rolled up becomes a WHILE loop over other subgraphs, which the
    converter inlines (tflite/control_flow.py; test_control_flow.py compares the outputs)."""
    path = unsupported_models["lstm_loop"]
    assert "WHILE" in reference_ops(path)
    proc = cli("convert", str(path), "-o", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    source = (tmp_path / "out" / "lstm_loop.cpp").read_text()
    assert "for (;;) {  // WHILE #" in source
    assert re.search(r"// op\d+: FULLY_CONNECTED -> .* \(operator \d+ of subgraph \d+, the body of WHILE operator \d+\)", source)


def test_good_model_still_converts(tmp_path):
    """The control: the same CLI succeeds on a valid model, prints its summary, exits 0."""
    proc = cli("convert", KWS, "-o", str(tmp_path / "out"))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("[utensor] kws_ref_model: ") and "CONV_2D x5" in proc.stdout
    assert sorted(os.listdir(tmp_path / "out")) == [
        "kws_ref_model.cpp", "kws_ref_model.hpp", "utensor_models.cpp", "utensor_models.json"]
    np.testing.assert_equal(proc.stderr, "")
