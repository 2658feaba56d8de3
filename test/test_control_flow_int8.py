"""IF and WHILE models in both dtypes on both boards (issue 14's acceptance: "a model with
IF/WHILE. Each int8 and float, verified on mps2_an386 and mps3_an547"), beside
test_control_flow.py (int8 IF and float32 rolled LSTM on the boards): here the float32 IF
model on the boards, and an int8 WHILE model, on the host and on the boards.

What TensorFlow 2.21's full-integer quantizer does with WHILE models (each tried in a
subprocess, test_what_the_quantizer_does_with_while_models):
- a rolled Keras LSTM, GRU or SimpleRNN, a loop whose trip count is a model input, and a
  hand-written RNN whose body reads the input sequence by the loop counter (GATHER):
  the converter process dies with a segmentation fault (in lite.py `_quantize`);
- with `experimental_new_quantizer = False` the rolled LSTM crashes the same way, and the
  loop below is refused: "Quantization not yet supported for op: 'WHILE'";
- a loop over its own loop variables and constants with an int32 counter and a constant
  bound (y <- tanh(y W1 + b) W2 + c, 4 times) converts: the loop variable stays float32
  at the WHILE boundary and the body is QUANTIZE, int8 FULLY_CONNECTED / TANH / ADD /
  MUL, DEQUANTIZE, with an int32 ADD for the counter. That is the int8 WHILE model here
  (`fixed_loop`), and what a rolled int8 recurrent model from TensorFlow is today.
"""

import os
import subprocess
import sys

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")

from opcheck import REPO, compare, have_qemu_tools, quantize_int8  # noqa: E402
from test_control_flow import if_model  # noqa: E402

TRIPS = 4


def fixed_loop(dtype: str, seed: int = 0) -> bytes:
    rng = np.random.RandomState(seed)
    w1 = tf.constant(rng.uniform(-1, 1, (6, 8)).astype(np.float32))
    b = tf.constant(rng.uniform(-0.3, 0.3, (8,)).astype(np.float32))
    w2 = tf.constant(rng.uniform(-0.6, 0.6, (8, 6)).astype(np.float32))
    head = tf.constant(rng.uniform(-1, 1, (6, 3)).astype(np.float32))

    @tf.function(input_signature=[tf.TensorSpec((1, 6), tf.float32)])
    def f(x):
        _, y = tf.while_loop(lambda i, y: i < TRIPS,
                             lambda i, y: (i + 1, tf.matmul(tf.tanh(tf.matmul(y, w1) + b), w2) * 0.8 + 0.1),
                             [tf.constant(0), x])
        return tf.matmul(y, head)

    conv = tf.lite.TFLiteConverter.from_concrete_functions([f.get_concrete_function()], f)
    if dtype == "int8":
        def representative():
            r = np.random.RandomState(seed)
            for _ in range(48):
                yield [r.uniform(-1, 1, (1, 6)).astype(np.float32)]
        quantize_int8(conv, representative, io_type=tf.float32)
    return conv.convert()


def test_fixed_loop_int8_matches_tflite_micro_on_the_host(tmp_path):
    from utensor import convert
    from utensor.hostbuild import HostModel
    from utensor.reference import Reference

    model = fixed_loop("int8")
    path = tmp_path / "fixed_loop_int8.tflite"
    path.write_bytes(model)
    g = convert.convert_file(str(path)).graph
    assert [op.options.get("role") for op in g.operators if op.op_type == "WHILE"] == ["enter", "test", "next"]
    in_loop = [op for op in g.operators if op.loop is not None]
    assert {"FULLY_CONNECTED", "TANH"} <= {op.op_type for op in in_loop}
    fc = [op for op in in_loop if op.op_type == "FULLY_CONNECTED"]
    assert fc and all(g.tensor(op.inputs[0]).dtype == "int8" for op in fc), [g.tensor(op.inputs[0]).dtype for op in fc]
    rng = np.random.RandomState(8)
    samples = [[rng.uniform(-1.2, 1.2, (1, 6)).astype(np.float32)] for _ in range(6)]
    got = HostModel(str(path), work_dir=str(tmp_path), sanitize=True).run(samples)
    ref = Reference(model)
    problems = []
    for s, sample in enumerate(samples):
        for j, (a, r) in enumerate(zip(got[s], ref.invoke(sample))):
            problems += compare(a, r, f"sample {s} output {j}")
    assert not problems, "\n".join(problems)


_PROBE = r"""
import os, sys
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
import numpy as np, tensorflow as tf
sys.path[:0] = sys.argv[2:]
from opcheck import quantize_int8
tf.keras.utils.set_random_seed(0)
model = tf.keras.Sequential([tf.keras.Input((6, 3), batch_size=1), tf.keras.layers.LSTM(5), tf.keras.layers.Dense(3)])
conv = tf.lite.TFLiteConverter.from_keras_model(model)
def rep():
    r = np.random.RandomState(0)
    for _ in range(8):
        yield [r.uniform(-1, 1, (1, 6, 3)).astype(np.float32)]
quantize_int8(conv, rep, io_type=tf.float32)
conv.experimental_new_quantizer = sys.argv[1] == "new"
try:
    conv.convert()
    print("CONVERTED")
except Exception as e:
    print("REFUSED:", e)
"""


@pytest.mark.parametrize("quantizer", ["new", "old"])
def test_what_the_quantizer_does_with_while_models(quantizer):
    """The docstring's record: a rolled Keras LSTM crashes the converter under either
    quantizer. If TensorFlow starts quantizing it, this fails, and the rolled recurrent
    models get int8 tests of their own."""
    here = os.path.dirname(os.path.abspath(__file__))
    r = subprocess.run([sys.executable, "-c", _PROBE, quantizer, here, os.path.join(REPO, "scripts")],
                       text=True, capture_output=True, timeout=600)
    assert r.returncode == -11, (r.returncode, r.stdout[-2000:], r.stderr[-2000:])  # SIGSEGV


def _verify(path, board, build_dir, samples=4, seed=2):
    env = dict(os.environ, PYTHONPATH=os.path.join(REPO, "scripts"))
    r = subprocess.run([sys.executable, "-m", "utensor", "verify", str(path), "--board", board,
                        "--samples", str(samples), "--seed", str(seed), "--build-dir", str(build_dir)],
                       env=env, text=True, capture_output=True, timeout=900)
    stem = os.path.splitext(os.path.basename(str(path)))[0]
    assert r.returncode == 0 and f"PASS: {stem} on {board}: {samples}/{samples} samples match" in r.stdout, \
        r.stdout + r.stderr
    return r.stdout


@pytest.mark.skipif(not have_qemu_tools(), reason="needs pio, arm-none-eabi-gcc and qemu-system-arm")
@pytest.mark.parametrize("board", ["mps2_an386", "mps3_an547"])
def test_control_flow_models_on_boards(tmp_path, board):
    """The float32 IF model (verify's random inputs take both branches over 6 samples, seed
    2, as in test_if_on_boards) and the int8 WHILE model."""
    path = tmp_path / "if_float32.tflite"
    path.write_bytes(if_model("float32"))
    _verify(path, board, tmp_path / "b_if", samples=6, seed=2)
    path = tmp_path / "fixed_loop_int8.tflite"
    path.write_bytes(fixed_loop("int8"))
    _verify(path, board, tmp_path / "b_loop")
