"""IF and WHILE (tflite/control_flow.py, ops/control_flow.py), against tflite_micro on the
host (ASan/UBSan) and on the emulated M4 and M55: tf.cond models whose samples take each
branch (branches inlined as guarded operators), and WHILE loops (inlined as one loop): rolled
Keras LSTM and GRU classifiers, as TensorFlow converts them, and a loop whose trip count is
a model input."""

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")

from opcheck import assert_bit_exact_on_board, compare, have_qemu_tools, quantize_int8  # noqa: E402

SHAPE = (1, 8)


def if_model(dtype: str, seed: int = 0) -> bytes:
    """y = cond(mean(x) > 0, dense(relu(x)) * 2 branch, tanh(x) - 0.5 branch), then a dense."""
    rng = np.random.RandomState(seed)
    w1 = tf.constant(rng.uniform(-1, 1, (8, 8)).astype(np.float32))
    w2 = tf.constant(rng.uniform(-1, 1, (8, 4)).astype(np.float32))

    @tf.function(input_signature=[tf.TensorSpec(SHAPE, tf.float32)])
    def f(x):
        y = tf.cond(tf.reduce_mean(x) > 0.0,
                    lambda: tf.matmul(tf.nn.relu(x), w1) * 2.0,
                    lambda: tf.tanh(x) - 0.5)
        return tf.matmul(y, w2)

    conv = tf.lite.TFLiteConverter.from_concrete_functions([f.get_concrete_function()], f)
    if dtype == "int8":
        def representative():
            r = np.random.RandomState(seed)
            for _ in range(32):
                yield [r.uniform(-1, 1, SHAPE).astype(np.float32)]
        quantize_int8(conv, representative, io_type=tf.float32)
    return conv.convert()


def _samples(dtype, n=8, seed=5):
    rng = np.random.RandomState(seed)
    # alternate signs of the mean, so both branches run
    return [[(rng.uniform(0, 1, SHAPE) * (1 if k % 2 else -1)).astype(np.float32)] for k in range(n)]


@pytest.mark.parametrize("dtype", ["float32", "int8"])
def test_if_branches_match_tflite_micro(tmp_path, dtype):
    from utensor import convert
    from utensor.hostbuild import HostModel
    from utensor.reference import Reference

    model = if_model(dtype)
    path = tmp_path / f"if_{dtype}.tflite"
    path.write_bytes(model)
    g = convert.convert_file(str(path)).graph
    branch_ops = [op for op in g.operators if op.branch is not None]
    assert {v for _, v in (op.branch for op in branch_ops)} == {True, False}, [op.op_type for op in g.operators]
    assert any(op.op_type == "IF" for op in g.operators)
    ours = HostModel(str(path), work_dir=str(tmp_path), sanitize=True)
    samples = _samples(dtype)
    got = ours.run(samples)
    ref = Reference(model)
    problems = []
    for s, sample in enumerate(samples):
        for j, (a, r) in enumerate(zip(got[s], ref.invoke(sample))):
            problems += compare(a, r, f"sample {s} (mean {float(sample[0].mean()):+.2f}) output {j}")
    assert not problems, "\n".join(problems)


@pytest.mark.skipif(not have_qemu_tools(), reason="needs pio, arm-none-eabi-gcc and qemu-system-arm")
@pytest.mark.parametrize("board", ["mps2_an386", "mps3_an547"])
def test_if_on_boards(tmp_path, board):
    path = tmp_path / "if_int8.tflite"
    path.write_bytes(if_model("int8"))
    # verify's random inputs cover both signs of the mean over 6 samples (seed 2)
    assert_bit_exact_on_board(path, board, samples=6, seed=2, build_dir=tmp_path / "build")


# ---- WHILE -------------------------------------------------------------------------------

def keras_rnn(kind: str, dtype: str, seed: int = 0) -> bytes:
    """A Keras LSTM / GRU classifier left rolled up: TensorFlow converts the recurrence into a
    WHILE loop (condition: LESS, LESS, LOGICAL_AND; body: the cell, with a GATHER of the
    time step)."""
    tf.keras.utils.set_random_seed(seed)
    layer = {"lstm": tf.keras.layers.LSTM, "gru": tf.keras.layers.GRU}[kind]
    model = tf.keras.Sequential([tf.keras.Input((6, 3), batch_size=1), layer(5), tf.keras.layers.Dense(3)])
    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    if dtype == "int8":
        def representative():
            r = np.random.RandomState(seed)
            for _ in range(32):
                yield [r.uniform(-1, 1, (1, 6, 3)).astype(np.float32)]
        quantize_int8(conv, representative, io_type=tf.float32)
    return conv.convert()


def counted_loop(dtype: str = "float32", seed: int = 0) -> bytes:
    """y = x; repeat n times: y = tanh(y @ W) + 0.1, with n an input: a data-dependent trip count."""
    w = tf.constant(np.random.RandomState(seed).uniform(-1, 1, (4, 4)).astype(np.float32))

    @tf.function(input_signature=[tf.TensorSpec((1, 4), tf.float32), tf.TensorSpec((1,), tf.float32)])
    def f(x, n):
        i = tf.constant(0.0)
        _, y = tf.while_loop(lambda i, y: i < n[0], lambda i, y: (i + 1.0, tf.tanh(tf.matmul(y, w)) + 0.1), [i, x])
        return y * 2.0

    conv = tf.lite.TFLiteConverter.from_concrete_functions([f.get_concrete_function()], f)
    if dtype == "int8":
        def representative():
            r = np.random.RandomState(seed)
            for k in range(32):
                yield [r.uniform(-1, 1, (1, 4)).astype(np.float32), np.array([k % 5], np.float32)]
        quantize_int8(conv, representative, io_type=tf.float32)
    return conv.convert()


def _check_host(tmp_path, model: bytes, samples, name: str):
    from utensor import convert
    from utensor.hostbuild import HostModel
    from utensor.reference import Reference

    path = tmp_path / f"{name}.tflite"
    path.write_bytes(model)
    g = convert.convert_file(str(path)).graph
    roles = [op.options.get("role") for op in g.operators if op.op_type == "WHILE"]
    assert roles == ["enter", "test", "next"], [op.op_type for op in g.operators]
    got = HostModel(str(path), work_dir=str(tmp_path), sanitize=True).run(samples)
    ref = Reference(model)
    problems = []
    for s, sample in enumerate(samples):
        for j, (a, r) in enumerate(zip(got[s], ref.invoke(sample))):
            problems += compare(a, r, f"{name} sample {s} output {j}")
    assert not problems, "\n".join(problems)


# TensorFlow's int8 quantizer crashes on models with a WHILE loop (segmentation fault in
# lite.py _quantize, TF 2.21, for the rolled LSTM and the counted loop alike), so the loops
# here are float32.
@pytest.mark.parametrize("kind,dtype", [("lstm", "float32"), ("gru", "float32")])
def test_a_rolled_keras_rnn_runs_its_while_loop(tmp_path, kind, dtype):
    rng = np.random.RandomState(3)
    samples = [[rng.uniform(-1, 1, (1, 6, 3)).astype(np.float32)] for _ in range(4)]
    _check_host(tmp_path, keras_rnn(kind, dtype), samples, f"{kind}_{dtype}")


@pytest.mark.parametrize("dtype", ["float32"])
def test_a_data_dependent_trip_count(tmp_path, dtype):
    rng = np.random.RandomState(4)
    samples = [[rng.uniform(-1, 1, (1, 4)).astype(np.float32), np.array([n], np.float32)] for n in (0, 1, 3, 7)]
    _check_host(tmp_path, counted_loop(dtype), samples, f"counted_{dtype}")


def test_nested_control_flow_is_refused(tmp_path):
    from utensor import convert
    from utensor.errors import UnsupportedError

    @tf.function(input_signature=[tf.TensorSpec((1, 4), tf.float32)])
    def f(x):
        i = tf.constant(0)
        _, y = tf.while_loop(lambda i, y: i < 3,
                             lambda i, y: (i + 1, tf.cond(tf.reduce_sum(y) > 0, lambda: y * 0.5, lambda: y + 1.0)),
                             [i, x])
        return y

    conv = tf.lite.TFLiteConverter.from_concrete_functions([f.get_concrete_function()], f)
    path = tmp_path / "nested.tflite"
    path.write_bytes(conv.convert())
    with pytest.raises(UnsupportedError, match=r"\(WHILE\): its body \(subgraph \d+\) contains IF"):
        convert.convert_file(str(path))


@pytest.mark.skipif(not have_qemu_tools(), reason="needs pio, arm-none-eabi-gcc and qemu-system-arm")
@pytest.mark.parametrize("board", ["mps2_an386", "mps3_an547"])
def test_rolled_lstm_on_boards(tmp_path, board):
    import os
    import subprocess
    import sys

    from opcheck import REPO

    path = tmp_path / "lstm_loop.tflite"
    path.write_bytes(keras_rnn("lstm", "float32"))
    env = dict(os.environ, PYTHONPATH=os.path.join(REPO, "scripts"))
    r = subprocess.run([sys.executable, "-m", "utensor", "verify", str(path), "--board", board, "--samples", "3",
                        "--seed", "2", "--build-dir", str(tmp_path / "build")],
                       env=env, text=True, capture_output=True, timeout=900)
    assert r.returncode == 0 and f"PASS: lstm_loop on {board}: 3/3 samples match" in r.stdout, r.stdout + r.stderr
