"""Integer UNIDIRECTIONAL_SEQUENCE_LSTM (issue 13): Keras 2 (tf_keras) LSTM models, the
fused operator TensorFlow's converter makes of them, quantized to full integer (int8
activations and weights, int16 cell state), against tflite_micro run the same way: a
sequence of invokes with the state carried, reset(), the sequence again (host, ASan/UBSan);
then `utensor verify` and the harness's RESET on emulated Cortex-M4 and Cortex-M55.

TFLite Micro keeps an LSTM's output and cell states (variable tensors) across invokes, so
every converted Keras LSTM is a streaming model there: the sequences below check that the
state carries over exactly. (A Keras `stateful=True` LSTM crashes TensorFlow 2.21's int8
converter with a segmentation fault, so streaming is tested with the equivalent one time
step per invoke model.)

Keras 3 turns an LSTM into a WHILE loop; tf_keras (scripts/setup.sh installs it) gives the
fused operator. TensorFlow's converter refuses to produce 16x8 LSTMs
(test_16x8_lstm_is_not_produced_by_tensorflow keeps that claim checked): test_lstm16.py
tests them on flatbuffers written by lstm16_models.py.
"""

import functools

import numpy as np
import pytest

from opcheck import assert_bit_exact_on_board, have_qemu_tools
from test_stateful import STEPS, compare_sequence, run_both, sequence_inputs
from utensor import convert
from utensor.errors import UnsupportedError
from utensor.reference import Reference


@functools.lru_cache(maxsize=None)
def keras_lstm_int8(units=(8,), time_steps=6, features=4, batch=1, time_major=False,
                    return_sequences=False, head=3, seed=0) -> bytes:
    """A seeded Keras 2 LSTM stack (each layer but the last returns its sequence; the last
    as `return_sequences`), then a Dense head of `head` units, converted with TFLite's
    full-integer quantization (int8 input and output) from a seeded representative set."""
    import tensorflow as tf  # pylint: disable=import-outside-toplevel
    import tf_keras as keras  # pylint: disable=import-outside-toplevel

    keras.utils.set_random_seed(seed)
    shape = (batch, features) if time_major else (time_steps, features)
    inp = keras.Input(shape, batch_size=time_steps if time_major else batch)
    x = inp
    for k, n in enumerate(units):
        last = k == len(units) - 1
        # Random biases (Keras starts them at 0 and 1): every gate's bias path is exercised.
        x = keras.layers.LSTM(n, return_sequences=return_sequences or not last, time_major=time_major,
                              bias_initializer=keras.initializers.RandomUniform(-0.5, 0.5, seed=seed + k))(x)
    if head:
        x = keras.layers.Dense(head)(x)
    model = keras.Model(inp, x)
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    rng = np.random.RandomState(seed)
    full = (time_steps, batch, features) if time_major else (batch, time_steps, features)

    def representative():
        for _ in range(32):
            yield [rng.normal(0.0, 1.5, full).astype(np.float32)]

    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    return converter.convert()


def _lstm_ops(model: bytes, tmp_path):
    path = tmp_path / "probe.tflite"
    path.write_bytes(model)
    g = convert.read_model(str(path), name="probe")
    return [op for op in g.operators if op.op_type == "UNIDIRECTIONAL_SEQUENCE_LSTM"], g


CASES = {
    "classifier": dict(units=(8,), time_steps=6, features=4, head=3),
    "sequences_batch2": dict(units=(5,), time_steps=3, features=7, batch=2, return_sequences=True, head=2),
    "time_major": dict(units=(6,), time_steps=4, features=3, batch=2, time_major=True,
                       return_sequences=True, head=0),
    "stacked": dict(units=(6, 4), time_steps=5, features=2, head=2),
    "one_unit_one_step": dict(units=(1,), time_steps=1, features=1, head=0),
    "streaming_frame": dict(units=(12,), time_steps=1, features=10, head=4),  # one frame per invoke
    "wide": dict(units=(20,), time_steps=3, features=16, batch=3, return_sequences=True, head=0),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_lstm_int8_sequence_host(tmp_path, name):
    case = CASES[name]
    model = keras_lstm_int8(seed=len(name), **case)
    lstms, g = _lstm_ops(model, tmp_path)
    assert len(lstms) == len(case["units"]), [op.op_type for op in g.operators]
    for op in lstms:
        assert g.tensor(op.inputs[0]).dtype == "int8" and g.tensor(op.inputs[19]).dtype == "int16"
        assert bool(op.options.get("time_major", False)) == case.get("time_major", False)
    host, ours, refs = run_both(tmp_path, model, f"lstm_int8_{name}", seed=3)
    assert compare_sequence(ours, refs, "int8") == [], case
    # The state really carries over (the same inputs give other outputs later in the
    # sequence) and reset() really resets (the second sequence repeats the first).
    assert host.conversion.plan.state_bytes > 0
    for a, b in zip(ours[:STEPS], ours[STEPS:]):
        assert np.array_equal(a[0], b[0])
    assert any(not np.array_equal(ours[0][0], ours[k][0]) for k in range(1, STEPS)) or name == "one_unit_one_step"


def _draw(rng):
    time_major = bool(rng.randint(2))
    return dict(units=tuple(int(rng.randint(1, 17)) for _ in range(rng.randint(1, 3))),
                time_steps=int(rng.randint(1, 9)), features=int(rng.randint(1, 13)),
                batch=int(rng.randint(1, 4)), time_major=time_major,
                return_sequences=time_major or bool(rng.randint(2)), head=int(rng.randint(0, 4)))


@pytest.mark.parametrize("seed", range(4))
def test_lstm_int8_option_space(tmp_path, seed):
    """Seeded draws over units, stacking, time steps, features, batch, time or batch major
    and return_sequences (a time-major Keras LSTM must return sequences to stay fused)."""
    case = _draw(np.random.RandomState(1300 + seed))
    model = keras_lstm_int8(seed=seed, **case)
    _, ours, refs = run_both(tmp_path, model, f"lstm_int8_draw{seed}", seed=seed, sanitize=False)
    assert compare_sequence(ours, refs, "int8") == [], case


@pytest.mark.parametrize("clip", [0.05, 0.3, 1e6])
def test_lstm_int8_cell_clip(tmp_path, clip):
    """The cell clip option (Keras never sets it; the flatbuffer is edited), quantized as
    TFLM does (double quotient, truncated, saturated to int16: 1e6 / 2^-15 saturates)."""
    def mutate(tensors, op):
        op.builtinOptions.cellClip = clip

    model = _mutated(keras_lstm_int8(seed=8, **CASES["classifier"]), mutate)
    _, ours, refs = run_both(tmp_path, model, "lstm_int8_clip", seed=4, sanitize=False)
    assert compare_sequence(ours, refs, "int8") == []


# ---- refusals, with what TFLite Micro does -------------------------------------------------

def _mutated(model: bytes, mutate) -> bytes:
    """The model with its first LSTM's tensors edited through TFLite's object API."""
    import flatbuffers  # pylint: disable=import-outside-toplevel
    from tensorflow.lite.python import schema_py_generated as fb  # pylint: disable=import-outside-toplevel

    m = fb.ModelT.InitFromObj(fb.Model.GetRootAsModel(model, 0))
    sg = m.subgraphs[0]
    op = next(o for o in sg.operators
              if m.operatorCodes[o.opcodeIndex].builtinCode == fb.BuiltinOperator.UNIDIRECTIONAL_SEQUENCE_LSTM)
    mutate(sg.tensors, op)
    b = flatbuffers.Builder(1024)
    b.Finish(m.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())


def _convert_bytes(tmp_path, model: bytes):
    path = tmp_path / "m.tflite"
    path.write_bytes(model)
    return convert.convert_file(str(path))


@pytest.mark.parametrize("zero_points", [{2: 3}, {6: -5, 1: 7}])
def test_lstm_int8_weight_zero_points(tmp_path, zero_points):
    """Weights with a zero point: TensorFlow never writes them for an LSTM, but TFLite Micro
    applies them (the outputs change), and so do we, bit-exact."""
    def mutate(tensors, op):
        for slot, zp in zero_points.items():
            tensors[op.inputs[slot]].quantization.zeroPoint = [zp]

    base = keras_lstm_int8(**CASES["classifier"], seed=1)
    model = _mutated(base, mutate)
    _, ours, refs = run_both(tmp_path, model, "lstm_int8_wzp", seed=4, sanitize=False)
    assert compare_sequence(ours, refs, "int8") == []
    x = [np.random.RandomState(0).randint(-128, 128, size=d["shape"]).astype(np.int8)
         for d in Reference(base).input_details]
    assert not np.array_equal(Reference(base).invoke(x)[0], Reference(model).invoke(x)[0])


def test_cell_state_scale_above_one_is_refused(tmp_path):
    def mutate(tensors, op):
        tensors[op.inputs[19]].quantization.scale = [2.0]

    with pytest.raises(UnsupportedError, match="cell state scale 2 is above 1"):
        _convert_bytes(tmp_path, _mutated(keras_lstm_int8(**CASES["classifier"], seed=1), mutate))


def test_hybrid_lstm_is_refused_naming_the_dtypes(tmp_path):
    """float32 activations with an int16 cell state: neither float nor full-integer."""
    def mutate(tensors, op):
        tensors[op.inputs[19]].type = 7  # INT16 on a float LSTM's cell state

    from lstm_models import build_lstm_model  # pylint: disable=import-outside-toplevel

    with pytest.raises(UnsupportedError, match="supported: float32 throughout, or int8 input"):
        _convert_bytes(tmp_path, _mutated(build_lstm_model(3, [4], 2, seed=0), mutate))


def test_16x8_lstm_is_not_produced_by_tensorflow():
    """TFLM has a 16x8 LSTM kernel, but TensorFlow's converter refuses to quantize an LSTM
    to 16x8, so test_lstm16.py writes its models by hand (lstm16_models.py). If this starts
    failing, TensorFlow produces them: test the 16x8 LSTM on its models too."""
    import tensorflow as tf  # pylint: disable=import-outside-toplevel
    import tf_keras as keras  # pylint: disable=import-outside-toplevel

    keras.utils.set_random_seed(0)
    inp = keras.Input((3, 2), batch_size=1)
    model = keras.Model(inp, keras.layers.LSTM(2)(inp))
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = lambda: ([np.ones((1, 3, 2), np.float32)] for _ in range(4))
    converter.target_spec.supported_ops = [
        tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8]
    with pytest.raises(Exception, match="16x8-bit not yet supported for op: 'UNIDIRECTIONAL_SEQUENCE_LSTM'"):
        converter.convert()


# ---- on emulated boards ---------------------------------------------------------------------

BOARDS = ["mps2_an386", "mps3_an547"]


@pytest.mark.skipif(not have_qemu_tools(), reason="needs pio, arm-none-eabi-gcc and qemu-system-arm")
@pytest.mark.parametrize("board", BOARDS)
def test_lstm_int8_verify_on_qemu(tmp_path, board):
    """`utensor verify`: every sample from the reset state, bit-exact with tflite_micro."""
    path = tmp_path / "lstm_int8_classifier.tflite"
    path.write_bytes(keras_lstm_int8(seed=5, **CASES["stacked"]))
    assert_bit_exact_on_board(path, board, samples=8, seed=2, build_dir=tmp_path / "build")


@pytest.mark.skipif(not have_qemu_tools(), reason="needs pio, arm-none-eabi-gcc and qemu-system-arm")
@pytest.mark.parametrize("board", BOARDS)
def test_lstm_int8_sequence_on_qemu(tmp_path, board):
    """12 invokes with the state carried, the harness's RESET, the 12 again, equal to
    tflite_micro run the same way."""
    from utensor.harness.session import open_board  # pylint: disable=import-outside-toplevel

    model = keras_lstm_int8(seed=6, **CASES["streaming_frame"])
    path = tmp_path / "lstm_int8_stream.tflite"
    path.write_bytes(model)
    xs = sequence_inputs(convert.convert_file(str(path)).graph, np.random.RandomState(7))
    ref = Reference(model)
    ref.reset()
    refs = [ref.step(x) for x in xs]
    ref.reset()
    refs += [ref.step(x) for x in xs]
    with open_board(str(path), board, build_dir=str(tmp_path / "build"), log=lambda s: None) as s:
        s.reset()
        ours = [s.step(x)[0] for x in xs]  # step(): (outputs, instruction count)
        s.reset()
        ours += [s.step(x)[0] for x in xs]
    assert compare_sequence(ours, refs, "int8") == []
    assert any(not np.array_equal(ours[0][0], ours[k][0]) for k in range(1, STEPS))
