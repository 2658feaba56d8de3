"""Issue 13's "Keras models in the tests" on two emulated boards, the models the other
tests only run on the host: the unrolled Keras LSTM, GRU and SimpleRNN classifiers of
test_stateful.py (int8 and float32) and the float32 twin of test_int16_audio.py's 1-D conv
audio model. All seven go into one batch firmware per board (utensor.bench.batch: built
once, run once under QEMU, seeded inputs, float32 inputs uniform in [-1, 1)), every output
checked against tflite_micro: integer outputs bit-exact, float32 within 1e-5 relative.

The rest of the list already runs on both boards elsewhere: the stacked SVDF spotter int8 and
float32 (test_stateful.py::test_svdf_sequence_on_qemu, over a sequence with RESET), the
16x8 audio model (test_int16_audio.py), the Conv2DTranspose decoder int8 and float32
(test_transpose_conv_models.py), the rolled Keras LSTM as WHILE float32
(test_control_flow.py).
"""

import numpy as np
import pytest

pytest.importorskip("tensorflow")

from opcheck import assert_matches_reference, have_qemu_tools, quantize_int8  # noqa: E402

RNN_KINDS = ("LSTM", "GRU", "SimpleRNN")


def _rnn(kind: str, dtype: str) -> bytes:
    import tensorflow as tf  # pylint: disable=import-outside-toplevel
    from test_stateful import _keras_rnn  # pylint: disable=import-outside-toplevel

    converter = tf.lite.TFLiteConverter.from_keras_model(_keras_rnn(kind))
    if dtype == "int8":
        def representative():
            rng = np.random.RandomState(12)
            for _ in range(32):
                yield [rng.uniform(-1, 1, (1, 6, 4)).astype(np.float32)]
        quantize_int8(converter, representative)
    return converter.convert()


@pytest.fixture(scope="module")
def models():
    """(name, tflite bytes, input seed) of the seven models."""
    from test_int16_audio import audio_model  # pylint: disable=import-outside-toplevel

    out = [(f"keras_{kind.lower()}_{dtype}", _rnn(kind, dtype), 21 + k)
           for k, (kind, dtype) in enumerate((kind, dtype) for kind in RNN_KINDS
                                               for dtype in ("int8", "float32"))]
    out.append(("audio_conv1d_float32", audio_model("float32"), 31))
    return out


def test_audio_float32_matches_tflite_micro_on_host(models):
    assert_matches_reference(models[-1][1], samples=3, seed=11, name="audio_conv1d_float32")


def test_the_models_are_what_the_issue_lists(models):
    from conformance import op_types  # pylint: disable=import-outside-toplevel
    from utensor.bench import batch  # pylint: disable=import-outside-toplevel

    for name, data, _ in models:
        ops = op_types(data)
        assert "WHILE" not in ops and "FULLY_CONNECTED" in ops, (name, ops)
        graph = batch.convert_bytes(name, data).graph
        assert graph.tensor(graph.inputs[0]).dtype == name.rsplit("_", 1)[1], name
    assert "CONV_2D" in op_types(models[-1][1])


@pytest.mark.skipif(not have_qemu_tools(), reason="needs pio, arm-none-eabi-gcc and qemu-system-arm")
@pytest.mark.parametrize("board", ["mps2_an386", "mps3_an547"])  # Cortex-M4F (DSP), Cortex-M55 (Helium)
def test_keras_models_on_qemu_match_tflite_micro(models, board):
    from utensor.bench import batch  # pylint: disable=import-outside-toplevel

    results = batch.run_batch(models, board, tag="keras-models", jobs=1, log=lambda s: None)
    assert [r.name for r in results] == [m[0] for m in models]
    problems = [f"{r.name}: {p}" for r in results for p in r.problems]
    assert problems == [], "\n".join(problems)
    assert all(r.outputs for r in results)


def test_batch_float_inputs_and_tolerance(models):
    """The float32 inputs the batch firmware writes (mirrored by input_bytes) are in
    [-1, 1) and not all alike; check() passes tflite_micro's own outputs and flags one
    element off by more than 1e-5 relative."""
    from utensor.bench import batch  # pylint: disable=import-outside-toplevel
    from utensor.reference import Reference  # pylint: disable=import-outside-toplevel

    name, data, seed = models[-1]
    ref = Reference(data)
    d = ref.input_details[0]
    raw = batch.input_bytes(seed, [int(np.prod(d["shape"])) * 4], ["float32"])[0]
    x = np.frombuffer(raw, "<f4")
    assert x.min() >= -1 and x.max() < 1 and np.std(x) > 0.4, name
    out = np.ascontiguousarray(ref.invoke([x.reshape(d["shape"])])[0])
    assert batch.check(data, seed, [out.tobytes()]) == []
    bad = out.copy().reshape(-1)
    bad[3] *= 1.001
    problems = batch.check(data, seed, [bad.tobytes()])
    assert problems and "1 of 12 elements" in problems[0], problems
