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


# ---- int8 DIV (issue 14) --------------------------------------------------------------------

from utensor.ops import _div_s8 as D  # noqa: E402


def _clz32(x: int) -> int:
    """TFLite's CountLeadingZeros<uint32_t> by its portable loop (32 for 0)."""
    x &= 0xFFFFFFFF
    if x == 0:
        return 32
    n = 0
    while x < (1 << 31):
        x <<= 1
        n += 1
    return n


def _tflm_shift_literal(n: int, d: int, output_shift: int):
    """TFLM's DivElementwise shift amounts, transcribed step by step with TFLite's portable
    (non-builtin) CountLeadingSignBits: the exponent handed to RoundingDivideByPOT, and the
    shift GetReciprocal applies to its uint32 (UB at 32)."""
    if d < 0:
        n, d = -n, -d
    headroom_plus_one = _clz32(d)
    recip_shift = 31 - headroom_plus_one
    if n >= 0:
        headroom = _clz32(n) - 1
    elif n != -(1 << 31):
        headroom = _clz32(2 * (-n) - 1)
    else:
        headroom = 0
    total_shift = output_shift - recip_shift - headroom
    return -total_shift, headroom_plus_one


DIV_QUANT = [  # (s1, z1, s2, z2, so, zo, activation)
    (0.02, -3, 0.03, 5, 0.05, 2, 0), (0.1, 0, 0.004, -128, 0.5, -10, 0),
    (0.015, 7, 0.02, -20, 0.9, 0, 0), (0.03, -1, 0.01, 3, 0.02, -5, 1),   # RELU
    (2.0 ** -6, 0, 2.0 ** -4, 0, 2.0 ** -5, 0, 3), (0.004, 30, 0.03, 60, 0.0015, -100, 0),
]
ALL_PAIRS = np.stack(np.meshgrid(np.arange(-128, 128), np.arange(-128, 128), indexing="ij")).reshape(2, 1, -1)


def _div_model(q, shape1=(1, 65536), shape2=(1, 65536)):
    from lut16_models import _schema, single_op  # pylint: disable=import-outside-toplevel

    s1, z1, s2, z2, so, zo, act = q
    s = _schema()
    opts = s.DivOptionsT()
    opts.fusedActivationFunction = act
    return single_op("DIV", [dict(shape=list(shape1), dtype="int8", scale=s1, zero_point=z1),
                             dict(shape=list(shape2), dtype="int8", scale=s2, zero_point=z2)],
                     dict(shape=[1, 65536], dtype="int8", scale=so, zero_point=zo),
                     s.BuiltinOptions.DivOptions, opts)


def _output_shift(q):
    from utensor.quantization import f32, quantize_multiplier  # pylint: disable=import-outside-toplevel

    s1, _, s2, _, so, _, _ = q
    return quantize_multiplier(float(f32(s1)) / (float(f32(s2)) * float(f32(so))))[1]


def test_div_s8_excluded_region_is_exactly_tflms_undefined_region():
    """Over every (input 1, input 2) byte pair of each quantization: the elements the DIV
    conformance entry leaves out (tflm_defined False) are exactly those where TFLM's literal
    arithmetic shifts by 32 or more (the reciprocal of a zero divisor, or RoundingDivideByPOT
    past 31 bits), never a negative amount, and every excluded non-zero division has an exact
    quotient below half an output step."""
    for q in DIV_QUANT:
        _, z1, _, z2, _, _, _ = q
        out_shift = _output_shift(q)
        excluded = 0
        for a, b in zip(ALL_PAIRS[0, 0], ALL_PAIRS[1, 0]):
            n, d = int(a) - z1, int(b) - z2
            if d == 0:
                ub = True  # CountLeadingZeros(0) = 32: GetReciprocal's uint32 shift by 32
            else:
                exponent, reciprocal_uint_shift = _tflm_shift_literal(n, d, out_shift)
                assert exponent >= 0 and reciprocal_uint_shift <= 31
                ub = exponent > 31
            assert D.tflm_defined(n, d, out_shift) == (not ub), (q, n, d)
            if ub:
                excluded += 1
                # Past a 31-bit shift the exact quotient, in output steps, is below one half:
                # the zero point is its correctly rounded value (what utensor gives).
                s1, _, s2, _, so, _, _ = q
                assert d == 0 or abs(s1 * n / (s2 * d * so)) < 0.5 + 1e-6, (q, n, d)
        assert excluded >= 256, (q, excluded)  # the zero divisors at least


def test_div_s8_every_pair_matches_tflite_micro_where_defined(tmp_path):
    """All 65536 byte pairs per quantization (and one broadcast model): bit-exact with
    tflite_micro wherever its arithmetic is defined; in the undefined region, utensor's
    documented values (x / 0 saturates by sign, 0 / 0 and the over-long shifts give the
    output zero point, clamped by the activation)."""
    from utensor.quantization import activation_range  # pylint: disable=import-outside-toplevel

    paths = []
    for k, q in enumerate(DIV_QUANT):
        p = os.path.join(str(tmp_path), f"div_{k}.tflite")
        with open(p, "wb") as f:
            f.write(_div_model(q))
        paths.append(p)
    batch = HostBatch(paths, work_dir=str(tmp_path / "host"), sanitize=True)
    x1, x2 = ALL_PAIRS[0].astype(np.int8), ALL_PAIRS[1].astype(np.int8)
    acts = {0: "NONE", 1: "RELU", 3: "RELU6"}
    oracle_differs = 0
    for k, (q, path) in enumerate(zip(DIV_QUANT, paths)):
        _, z1, _, z2, so, zo, act = q
        with open(path, "rb") as f:
            want = Reference(f.read()).invoke([x1, x2])[0].reshape(-1)
        ours = batch.run(k, [[x1, x2]])[0][0].reshape(-1)
        out_shift = _output_shift(q)
        lo, hi = activation_range(acts[act], "int8", so, zo)
        for i in range(ours.size):
            n, d = int(x1[0, i]) - z1, int(x2[0, i]) - z2
            if D.tflm_defined(n, d, out_shift):
                assert ours[i] == want[i], f"DIV {q}: {n} / {d}: ours {ours[i]}, tflite_micro {want[i]}"
            else:
                expect = (hi if n > 0 else lo if n < 0 else zo) if d == 0 else zo
                assert ours[i] == max(lo, min(hi, expect)), f"DIV {q}: {n} / {d} (undefined in TFLM): ours {ours[i]}"
                oracle_differs += int(ours[i] != want[i])
    # The region is not hypothetical: on x86 the oracle's undefined shifts give other values.
    assert oracle_differs > 0


def test_div_s8_refuses_a_multiplier_that_would_shift_negatively():
    tensors = [ir.Tensor(0, "a", "int8", (1, 4), ir.Quantization((1.0,), (0,))),
               ir.Tensor(1, "b", "int8", (1, 4), ir.Quantization((1e-4,), (0,))),
               ir.Tensor(2, "y", "int8", (1, 4), ir.Quantization((1e-4,), (0,)))]
    op = ir.Operator(6, "DIV", [0, 1], [2], {"fused_activation_function": "NONE"})
    g = ir.Graph("m", tensors, [op], [0, 1], [2], source_path="model.tflite")
    with pytest.raises(UnsupportedError, match=r"operator #6 DIV: .* too large for int8 DIV"):
        lower(op, g)
