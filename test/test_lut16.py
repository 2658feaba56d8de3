"""The table-driven int16 activations (issue 13) against tflite_micro over EVERY int16 input,
and their refusals. The converter derives TFLite's sigmoid table instead of holding a copy of
it (scripts/utensor/ops/_lut16.py): if one entry were wrong, some input in the interval
that entry bounds would differ here. Our kernels run compiled on the host (ASan/UBSan)."""

import os

import numpy as np
import pytest

from lut16_models import unary_s16
from utensor import ir
from utensor.errors import UnsupportedError
from utensor.hostbuild import HostBatch
from utensor.ops import lower
from utensor.ops import _lut16 as L
from utensor.reference import Reference

ALL_S16 = np.arange(-32768, 32768, dtype=np.int16).reshape(1, -1)

# Power-of-two scales (TFLite Micro's exact "3 << shift" path for 2^-12, and 2^-11 for TANH),
# converter-like calibrated scales, and the extremes of the Prepare's shift loop.
SCALES = [2.0 ** -12, 2.0 ** -11, 2.0 ** -13, 2.0 ** -9, 1.0 / 3000, 0.00037, 4.8e-4, 1.1e-3,
          0.0123, 0.7, 3.9, 5.3, 1e-6, 3e-9]


def _models(tmp_path, op):
    paths = []
    for k, scale in enumerate(SCALES):
        p = os.path.join(str(tmp_path), f"{op.lower()}_{k}.tflite")
        with open(p, "wb") as f:
            f.write(unary_s16(op, ALL_S16.size, scale, 2.0 ** -15))
        paths.append(p)
    return paths


@pytest.mark.parametrize("op", ["LOGISTIC", "TANH"])
def test_every_int16_input_matches_tflite_micro(tmp_path, op):
    paths = _models(tmp_path, op)
    batch = HostBatch(paths, work_dir=str(tmp_path / "host"), sanitize=True)
    for k, (scale, path) in enumerate(zip(SCALES, paths)):
        with open(path, "rb") as f:
            want = Reference(f.read()).invoke([ALL_S16])[0]
        ours = batch.run(k, [[ALL_S16]])[0][0]
        bad = np.nonzero(ours.reshape(-1) != want.reshape(-1))[0]
        assert bad.size == 0, (f"{op} input scale {scale}: {bad.size} of 65536 int16 inputs differ, "
                               f"first at {int(ALL_S16[0, bad[0]])}: ours {int(ours.reshape(-1)[bad[0]])}, "
                               f"tflite_micro {int(want.reshape(-1)[bad[0]])}")
        # The numpy model of the kernel (used to reason about the table) agrees too.
        mult, shift = L.input_rescale(op.lower(), scale)
        model = L.reference_s16(op.lower(), mult, shift, L.sigmoid_table_u16(), ALL_S16)
        assert np.array_equal(model.reshape(-1), want.reshape(-1)), f"{op} {scale}: the numpy model differs"


def test_the_derived_table_is_not_the_plain_samples():
    """The derivation matters: the plain samples round(65536 sigmoid(k/24)) would differ from
    TFLite's table in 44 entries (all by one, where the curve bends most)."""
    table = L.sigmoid_table_u16()
    plain = [min(65535, int(np.floor(65536.0 / (1.0 + np.exp(-k / 24.0)) + 0.5))) for k in range(256)]
    assert len(table) == 256 and table[0] == 32768 and table[-1] == 65535
    assert all(a <= b for a, b in zip(table, table[1:]))
    diff = [t - p for t, p in zip(table, plain)]
    assert set(diff) == {0, 1} and diff.count(1) == 44


def _graph(op_type, in_q, out_q):
    tensors = [ir.Tensor(0, "x", "int16", (1, 8), ir.Quantization((in_q[0],), (in_q[1],))),
               ir.Tensor(1, "y", "int16", (1, 8), ir.Quantization((out_q[0],), (out_q[1],)))]
    op = ir.Operator(2, op_type, [0], [1], {})
    return ir.Graph("m", tensors, [op], [0], [1], source_path="model.tflite"), op


def _tflm_accepts(op_type, in_q, out_q):
    try:
        Reference(unary_s16(op_type, 8, in_q[0], out_q[0], in_q[1], out_q[1])).invoke(
            [np.zeros((1, 8), np.int16)])
        return True
    except Exception:  # pylint: disable=broad-except
        return False


@pytest.mark.parametrize("op_type", ["LOGISTIC", "TANH"])
@pytest.mark.parametrize("in_q,out_q,match", [
    ((0.001, 3), (2.0 ** -15, 0), "zero point 0"),
    ((0.001, 0), (2.0 ** -15, 5), "zero point 0"),
    ((0.001, 0), (1.0 / 32000, 0), "output scale 2\\^-15"),
    ((0.001, 0), (2.0 ** -14, 0), "output scale 2\\^-15"),
])
def test_refusals_are_tflite_micros(op_type, in_q, out_q, match):
    g, op = _graph(op_type, in_q, out_q)
    with pytest.raises(UnsupportedError, match=f"operator #2 {op_type}: .*{match}"):
        lower(op, g)
    assert not _tflm_accepts(op_type, in_q, out_q)


@pytest.mark.parametrize("op_type", ["LOGISTIC", "TANH"])
def test_an_input_scale_whose_multiplier_overflows_is_refused(op_type):
    """Above scale 65536/12288 TFLite Micro's int32 product of input and multiplier overflows
    (undefined behaviour; it computes garbage): refused with the bound."""
    g, op = _graph(op_type, (6.0, 0), (2.0 ** -15, 0))
    with pytest.raises(UnsupportedError, match=r"input scale 6 is too large .* below 5\.3333"):
        lower(op, g)
    g, op = _graph(op_type, (5.3, 0), (2.0 ** -15, 0))
    assert lower(op, g).params["fields"]["input_multiplier"] <= 65535


def _softmax_model(rows, depth, scale, beta):
    import tflite_micro  # noqa: F401  pylint: disable=import-outside-toplevel,unused-import
    from lut16_models import _schema, single_op  # pylint: disable=import-outside-toplevel

    s = _schema()
    opts = s.SoftmaxOptionsT()
    opts.beta = beta
    return single_op("SOFTMAX", [dict(shape=[rows, depth], dtype="int16", scale=scale, zero_point=0)],
                     dict(shape=[rows, depth], dtype="int16", scale=1.0 / 32768, zero_point=0),
                     s.BuiltinOptions.SoftmaxOptions, opts)


# (rows, depth, input scale, beta): differences spanning the exp table's [-10, 0] and beyond,
# sums over 1 to 300 values.
SOFTMAX_CASES = [(4096, 1, 0.001, 1.0), (4096, 2, 3e-4, 1.0), (4096, 7, 1.5e-4, 1.0),
                 (2048, 16, 6e-4, 0.7), (1024, 33, 2.0 ** -12, 2.0), (256, 300, 1e-3, 1.0),
                 (2048, 5, 0.05, 0.1), (2048, 9, 1e-5, 3.0)]


def test_softmax_s16_matches_tflite_micro_over_many_rows(tmp_path):
    rng = np.random.RandomState(13)
    paths, inputs = [], []
    for k, (rows, depth, scale, beta) in enumerate(SOFTMAX_CASES):
        p = os.path.join(str(tmp_path), f"softmax_{k}.tflite")
        with open(p, "wb") as f:
            f.write(_softmax_model(rows, depth, scale, beta))
        paths.append(p)
        # Rows whose spread is drawn per row: sums of every size from one term to all.
        spread = rng.randint(1, 65536, size=(rows, 1))
        x = rng.randint(0, 65536, size=(rows, depth)) % spread - 32768 + rng.randint(0, 65536 - spread)
        inputs.append(x.astype(np.int16))
    batch = HostBatch(paths, work_dir=str(tmp_path / "host"), sanitize=True)
    for k, (case, path) in enumerate(zip(SOFTMAX_CASES, paths)):
        with open(path, "rb") as f:
            want = Reference(f.read()).invoke([inputs[k]])[0]
        ours = batch.run(k, [[inputs[k]]])[0][0]
        bad = np.argwhere(ours != want)
        assert bad.size == 0, (f"SOFTMAX int16 {case}: {len(bad)} values differ, first at {tuple(bad[0])}: "
                               f"ours {ours[tuple(bad[0])]}, tflite_micro {want[tuple(bad[0])]}")


def test_softmax_s16_tables():
    """The two gen_lut tables: exp over [-10, 0] ends at exp(0) saturated to 32767 and
    starts near exp(-10) * 32768; 1/(1+x) over [0, 1] runs from 32767 down to 16384."""
    e, r = L.softmax_exp_lut(), L.softmax_one_over_one_plus_x_lut()
    assert len(e) == len(r) == 513
    assert e[-1] == 32767 and 1 <= e[0] <= 3 and all(a <= b for a, b in zip(e, e[1:]))
    assert r[0] == 32767 and r[-1] == 16384 and all(a >= b for a, b in zip(r, r[1:]))


def test_softmax_s16_refuses_what_tflite_micro_refuses():
    tensors = [ir.Tensor(0, "x", "int16", (1, 8), ir.Quantization((0.001,), (0,))),
               ir.Tensor(1, "y", "int16", (1, 8), ir.Quantization((1.0 / 256,), (0,)))]
    op = ir.Operator(4, "SOFTMAX", [0], [1], {"beta": 1.0})
    g = ir.Graph("m", tensors, [op], [0], [1], source_path="model.tflite")
    with pytest.raises(UnsupportedError, match=r"operator #4 SOFTMAX: .*scale 1/32768"):
        lower(op, g)
    from lut16_models import _schema, single_op  # pylint: disable=import-outside-toplevel

    s = _schema()
    opts = s.SoftmaxOptionsT()
    opts.beta = 1.0

    def model(out_scale):
        return single_op("SOFTMAX", [dict(shape=[1, 8], dtype="int16", scale=0.001, zero_point=0)],
                         dict(shape=[1, 8], dtype="int16", scale=out_scale, zero_point=0),
                         s.BuiltinOptions.SoftmaxOptions, opts)

    Reference(model(1.0 / 32768)).invoke([np.zeros((1, 8), np.int16)])  # the model is otherwise fine
    with pytest.raises(Exception):
        Reference(model(1.0 / 256)).invoke([np.zeros((1, 8), np.int16)])


def test_int16_hard_swish_is_refused_like_tflite_micro():
    g, op = _graph("HARD_SWISH", (0.001, 0), (0.001, 0))
    with pytest.raises(UnsupportedError, match=r"operator #2 HARD_SWISH: int16 HARD_SWISH is not supported: "
                                               r"TFLite Micro's HARD_SWISH kernel refuses int16 too"):
        lower(op, g)
    assert not _tflm_accepts("HARD_SWISH", (0.001, 0), (0.001, 0))


# ---- int8 LOG_SOFTMAX (issue 14) ------------------------------------------------------------

def _log_softmax_model(rows, depth, scale, out=(16.0 / 256, 127)):
    from lut16_models import single_op  # pylint: disable=import-outside-toplevel

    return single_op("LOG_SOFTMAX", [dict(shape=[rows, depth], dtype="int8", scale=scale, zero_point=-3)],
                     dict(shape=[rows, depth], dtype="int8", scale=out[0], zero_point=out[1]))


# (rows, depth, input scale): scales from fine (differences never reach diff_min) to coarse
# (most differences below it), rows from one value to the 4095 the accumulator allows.
LOG_SOFTMAX_CASES = [(4096, 1, 0.05), (4096, 3, 0.02), (2048, 10, 0.1), (2048, 17, 0.005),
                     (1024, 64, 0.4), (512, 100, 2.0 ** -7), (64, 4095, 0.03), (2048, 8, 3.5)]


def test_log_softmax_s8_matches_tflite_micro_over_many_rows(tmp_path):
    rng = np.random.RandomState(14)
    paths, inputs = [], []
    for k, (rows, depth, scale) in enumerate(LOG_SOFTMAX_CASES):
        p = os.path.join(str(tmp_path), f"log_softmax_{k}.tflite")
        with open(p, "wb") as f:
            f.write(_log_softmax_model(rows, depth, scale))
        paths.append(p)
        spread = rng.randint(1, 257, size=(rows, 1))
        x = rng.randint(0, 256, size=(rows, depth)) % spread - 128 + rng.randint(0, 257 - spread)
        x[0, :] = 127  # all equal: the largest sum of exps (depth * 1.0)
        inputs.append(x.astype(np.int8))
    batch = HostBatch(paths, work_dir=str(tmp_path / "host"), sanitize=True)
    for k, (case, path) in enumerate(zip(LOG_SOFTMAX_CASES, paths)):
        with open(path, "rb") as f:
            want = Reference(f.read()).invoke([inputs[k]])[0]
        ours = batch.run(k, [[inputs[k]]])[0][0]
        bad = np.argwhere(ours != want)
        assert bad.size == 0, (f"LOG_SOFTMAX int8 {case}: {len(bad)} values differ, first at {tuple(bad[0])}: "
                               f"ours {ours[tuple(bad[0])]}, tflite_micro {want[tuple(bad[0])]}")


def _log_softmax_graph(depth=8, out=(16.0 / 256, 127), in_scale=0.05):
    tensors = [ir.Tensor(0, "x", "int8", (1, depth), ir.Quantization((in_scale,), (0,))),
               ir.Tensor(1, "y", "int8", (1, depth), ir.Quantization((out[0],), (out[1],)))]
    op = ir.Operator(5, "LOG_SOFTMAX", [0], [1], {})
    return ir.Graph("m", tensors, [op], [0], [1], source_path="model.tflite"), op


def test_log_softmax_s8_refusals():
    g, op = _log_softmax_graph(out=(0.1, 127))
    with pytest.raises(UnsupportedError, match=r"operator #5 LOG_SOFTMAX: .*scale 16/256 and zero point 127"):
        lower(op, g)
    with pytest.raises(Exception):  # TFLM refuses the same model at Prepare
        Reference(_log_softmax_model(1, 8, 0.05, out=(0.1, 127))).invoke([np.zeros((1, 8), np.int8)])
    g, op = _log_softmax_graph(depth=4096)
    with pytest.raises(UnsupportedError, match=r"last dimension is 4096; .* at most 4095"):
        lower(op, g)
