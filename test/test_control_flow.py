"""IF (tflite/control_flow.py, ops/control_flow.py): tf.cond models converted by TensorFlow,
their branches inlined as guarded operators, against tflite_micro over samples that take
each branch: float32 and int8 on the host (ASan/UBSan), and on the emulated M4 and M55."""

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
