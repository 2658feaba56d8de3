"""16x8 UNIDIRECTIONAL_SEQUENCE_LSTM (issue 13): int16 activations, int8 weights, int64
biases, int16 cell state, against tflite_micro run the same way: a sequence of invokes with
the state carried, reset(), the sequence again (host, ASan/UBSan for the named cases); then
`utensor verify` and the harness's RESET on emulated Cortex-M4 (DSP products) and
Cortex-M55 (Helium products).

TensorFlow's converter does not write a 16x8 LSTM (test_lstm_int.py checks that it still
refuses), so the models come from test/lstm16_models.py: the float LSTM of lstm_models.py
quantized with TensorFlow's 16x8 recipe, calibrated by a float LSTM in numpy.
test_quantized_model_means_the_float_one checks that they stay close to the float LSTM.
"""

import functools

import numpy as np
import pytest

from lstm16_models import _Fb, build_lstm16_model, output_scale, quantize_input
from opcheck import assert_bit_exact_on_board, have_qemu_tools
from test_stateful import STEPS, compare_sequence
from utensor import convert
from utensor.errors import UnsupportedError
from utensor.hostbuild import HostModel
from utensor.reference import Reference


@functools.lru_cache(maxsize=None)
def lstm16(input_size=4, units=(8,), time_steps=5, seed=0, batch=1, time_major=False, cell_clip=0.0,
           head=0) -> bytes:
    return build_lstm16_model(input_size, list(units), time_steps, seed, batch=batch, time_major=time_major,
                              cell_clip=cell_clip, head=head or None)


def int16_inputs(graph, rng, steps=STEPS):
    """Full-range int16 samples (the calibrated input range is +-1.5: every gate saturates
    somewhere and the int64 sums reach their extremes)."""
    return [[rng.randint(-32768, 32768, size=graph.tensor(i).shape).astype(np.int16) for i in graph.inputs]
            for _ in range(steps)]


def run_both16(tmp_path, model: bytes, name: str, seed: int, sanitize: bool = True):
    """Our host build and tflite_micro over: STEPS invokes, reset(), the same STEPS again."""
    path = tmp_path / (name + ".tflite")
    path.write_bytes(model)
    host = HostModel(str(path), work_dir=str(tmp_path / "host"), sanitize=sanitize)
    xs = int16_inputs(host.conversion.graph, np.random.RandomState(seed))
    ours = host.run_sequence(xs + [None] + xs)
    ref = Reference(model)
    ref.reset()
    refs = [ref.step(x) for x in xs]
    ref.reset()
    refs += [ref.step(x) for x in xs]
    return host, ours, refs


def _mutated(model: bytes, mutate) -> bytes:
    """The model with its first LSTM edited through TFLite's object API."""
    f = _Fb(model)
    mutate(f, next(op for op in f.sg.operators if len(op.inputs) == 24))
    return f.bytes()


CASES = {
    "one_layer": dict(input_size=4, units=(8,), time_steps=5),
    "stacked_time_major_batch2": dict(input_size=3, units=(6, 4), time_steps=4, batch=2, time_major=True),
    "head_clip_batch2": dict(input_size=5, units=(7,), time_steps=3, batch=2, head=3, cell_clip=0.5),
    "streaming_frame": dict(input_size=10, units=(12,), time_steps=1),  # one frame per invoke
    "one_unit_one_step": dict(input_size=1, units=(1,), time_steps=1),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_lstm16_sequence_host(tmp_path, name):
    case = CASES[name]
    model = lstm16(seed=len(name), **case)
    g = convert.convert_file(str(_write(tmp_path, model))).graph
    lstms = [op for op in g.operators if op.op_type == "UNIDIRECTIONAL_SEQUENCE_LSTM"]
    assert len(lstms) == len(case["units"])
    for op in lstms:
        assert [g.tensor(op.inputs[s]).dtype for s in (0, 1, 12, 18, 19)] == \
            ["int16", "int8", "int64", "int16", "int16"]
    host, ours, refs = run_both16(tmp_path, model, f"lstm16_{name}", seed=3)
    assert compare_sequence(ours, refs, "int16") == [], case
    assert host.conversion.plan.state_bytes > 0
    for a, b in zip(ours[:STEPS], ours[STEPS:]):  # reset() really resets
        assert np.array_equal(a[0], b[0])
    if name != "one_unit_one_step":  # the state really carries over
        assert any(not np.array_equal(ours[0][0], ours[k][0]) for k in range(1, STEPS))


def _write(tmp_path, model: bytes, name: str = "m"):
    path = tmp_path / (name + ".tflite")
    path.write_bytes(model)
    return path


def _draw(rng):
    return dict(input_size=int(rng.randint(1, 17)),
                units=tuple(int(rng.randint(1, 17)) for _ in range(rng.randint(1, 3))),
                time_steps=int(rng.randint(1, 7)), batch=int(rng.randint(1, 4)),
                time_major=bool(rng.randint(2)), head=int(rng.randint(0, 4)) * int(rng.randint(2)),
                cell_clip=float(rng.choice([0.0, 0.0, 0.1, 0.4, 2.0, 1e6])))


@pytest.mark.parametrize("seed", range(8))
def test_lstm16_option_space(tmp_path, seed):
    """Seeded draws over input size, units, stacking, time steps, batch, time or batch major,
    the cell clip and an int16 FULLY_CONNECTED head."""
    case = _draw(np.random.RandomState(1600 + seed))
    model = lstm16(seed=seed, **case)
    _, ours, refs = run_both16(tmp_path, model, f"lstm16_draw{seed}", seed=seed, sanitize=False)
    assert compare_sequence(ours, refs, "int16") == [], case


def test_lstm16_long_rows_sum_in_int64(tmp_path):
    """Rows of more than 511 products: the int32 blocks of detail/dot_s16x8.hpp add up in
    int64 as TFLite's sums do."""
    model = lstm16(input_size=700, units=(3,), time_steps=2, seed=9)
    _, ours, refs = run_both16(tmp_path, model, "lstm16_long", seed=5, sanitize=False)
    assert compare_sequence(ours, refs, "int16") == []


@pytest.mark.parametrize("zero_points", [{0: 5}, {18: -7}, {0: -300}, {2: 3}, {6: -5}, {0: 9, 18: 4, 1: -2, 8: 7}])
def test_lstm16_zero_points(tmp_path, zero_points):
    """TensorFlow's recipe writes zero point 0, but TFLite Micro applies the input's, the
    output state's and the weights' zero points (checked: the outputs change); we fold them
    into the biases, plus weight zero point x the activations' sum at run time."""
    def mutate(f, op):
        for slot, zp in zero_points.items():
            f.sg.tensors[op.inputs[slot]].quantization.zeroPoint = [zp]

    base = lstm16(**CASES["one_layer"], seed=4)
    model = _mutated(base, mutate)
    _, ours, refs = run_both16(tmp_path, model, "lstm16_zp", seed=6, sanitize=False)
    assert compare_sequence(ours, refs, "int16") == []
    x = int16_inputs(convert.convert_file(str(_write(tmp_path, base))).graph, np.random.RandomState(6), 1)[0]
    assert not np.array_equal(Reference(base).invoke(x)[0], Reference(model).invoke(x)[0])


def test_quantized_model_means_the_float_one():
    """The 16x8 model run by tflite_micro stays within 1% of the float LSTM's output range on
    the calibration sequences (the model is meaningful, not just accepted)."""
    for case in CASES.values():
        cal = {}
        model = build_lstm16_model(case["input_size"], list(case["units"]), case["time_steps"], 11,
                                   batch=case.get("batch", 1), time_major=case.get("time_major", False),
                                   cell_clip=case.get("cell_clip", 0.0), head=case.get("head") or None,
                                   calibration=cal)
        ref = Reference(model)
        for xs, ys in zip(cal["inputs"], cal["outputs"]):
            ref.reset()
            for x, y in zip(xs, ys):
                got = ref.step([quantize_input(model, x)])[0].astype(np.float64) * output_scale(model)
                assert np.max(np.abs(got - y)) <= 0.01 * max(1e-3, float(np.max(np.abs(y)))) + 2e-3, case


# ---- what we refuse, side by side with tflite_micro ------------------------------------------

def _tflm_runs(model: bytes) -> bool:
    try:
        ref = Reference(model)
        ref.invoke([np.zeros(d["shape"], d["dtype"]) for d in ref.input_details])
        return True
    except Exception:  # tflite_micro raises a bare RuntimeError from Prepare
        return False


def test_lstm16_projection_refused_like_tflite_micro(tmp_path):
    """A projection layer (inputs 16/17): TFLite Micro's LSTM refuses it in Prepare, so do we."""
    def mutate(f, op):
        f.sg.tensors.append(_clone(f, op.inputs[5]))
        op.inputs = list(op.inputs)
        op.inputs[16] = len(f.sg.tensors) - 1

    model = _mutated(lstm16(**CASES["one_layer"], seed=2), mutate)
    assert not _tflm_runs(model)
    with pytest.raises(UnsupportedError, match="projection"):
        convert.convert_file(str(_write(tmp_path, model)))


def _clone(f, index):
    import copy  # pylint: disable=import-outside-toplevel

    t = copy.deepcopy(f.sg.tensors[index])
    t.name = (t.name or b"") + b"_copy" if isinstance(t.name, bytes) else (t.name or "") + "_copy"
    return t


@pytest.mark.parametrize("what", ["per-channel weights", "cell scale above 1"])
def test_lstm16_forms_tflite_micro_runs_and_we_refuse(tmp_path, what):
    """Forms TensorFlow's quantizer never writes for an LSTM, which tflite_micro nevertheless
    runs: we refuse them naming the reason (the report lists them)."""
    def mutate(f, op):
        t = f.sg.tensors[op.inputs[2]]
        if what == "per-channel weights":
            n = t.shape[0]
            t.quantization.scale = [t.quantization.scale[0] * (1 + 0.1 * k) for k in range(n)]
            t.quantization.zeroPoint, t.quantization.quantizedDimension = [0] * n, 0
        else:
            f.sg.tensors[op.inputs[19]].quantization.scale = [2.0]

    model = _mutated(lstm16(**CASES["one_layer"], seed=2), mutate)
    assert _tflm_runs(model)
    match = {"per-channel weights": "per.channel|scales",
             "cell scale above 1": "cell state scale 2 is above 1"}[what]
    with pytest.raises(UnsupportedError, match=match):
        convert.convert_file(str(_write(tmp_path, model)))


# ---- on emulated boards ---------------------------------------------------------------------

BOARDS = ["mps2_an386", "mps3_an547"]


@pytest.mark.skipif(not have_qemu_tools(), reason="needs pio, arm-none-eabi-gcc and qemu-system-arm")
@pytest.mark.parametrize("board", BOARDS)
def test_lstm16_verify_on_qemu(tmp_path, board):
    """`utensor verify`: every sample from the reset state, bit-exact with tflite_micro.
    Rows of 9 and 13 products: the DSP loop's 4-wide body and its tail, Helium's predicated
    tail; the first layer with input and weight zero points."""
    def mutate(f, op):
        for slot, zp in ((0, 11), (3, -4), (7, 2)):
            f.sg.tensors[op.inputs[slot]].quantization.zeroPoint = [zp]

    model = _mutated(lstm16(input_size=9, units=(13, 6), time_steps=3, batch=2, head=2, seed=5), mutate)
    path = _write(tmp_path, model, "lstm16_stacked")
    assert_bit_exact_on_board(path, board, samples=8, seed=2, build_dir=tmp_path / "build")


@pytest.mark.skipif(not have_qemu_tools(), reason="needs pio, arm-none-eabi-gcc and qemu-system-arm")
@pytest.mark.parametrize("board", BOARDS)
def test_lstm16_sequence_on_qemu(tmp_path, board):
    """12 invokes with the state carried, the harness's RESET, the 12 again, equal to
    tflite_micro run the same way; rows longer than 511 products included."""
    from utensor.harness.session import open_board  # pylint: disable=import-outside-toplevel

    model = lstm16(input_size=530, units=(12,), time_steps=1, seed=6, head=4)
    path = _write(tmp_path, model, "lstm16_stream")
    xs = int16_inputs(convert.convert_file(str(path)).graph, np.random.RandomState(7))
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
    assert compare_sequence(ours, refs, "int16") == []
    assert any(not np.array_equal(ours[0][0], ours[k][0]) for k in range(1, STEPS))
