"""ops/_requant.py: the fast requantization equals TFLite's MultiplyByQuantizedMultiplier
(quantization.multiply_by_quantized_multiplier, itself checked against TFLite) + zero point
wherever fast_requant accepts a layer, and it refuses where the identity could break."""

import numpy as np
import pytest

from utensor.ops._requant import (accumulator_bound, fast_requant, fast_requantize,
                                  split_fast_requant, split_fast_requantize)
from utensor.quantization import multiply_by_quantized_multiplier, quantize_multiplier


def _cases(rng, n):
    for _ in range(n):
        real = float(np.exp(rng.uniform(np.log(1e-6), np.log(0.49))))
        m, shift = quantize_multiplier(real)
        zp = int(rng.integers(-128, 128))
        yield m, shift, zp


@pytest.mark.parametrize("seed", range(4))
def test_fast_form_equals_tflite_within_the_bound(seed):
    rng = np.random.default_rng(seed)
    for m, shift, zp in _cases(rng, 200):
        bound = int(rng.integers(1, 2**29))
        table = fast_requant([m], [shift], zp, [bound])
        assert table is not None, (m, shift, bound)
        edges = [0, 1, -1, bound, -bound, bound - 1, -bound + 1]
        # values around every rounding boundary of both roundings
        step = 1 << max(0, -shift)
        accs = edges + [int(v) for v in rng.integers(-bound, bound + 1, 300)]
        for a in list(accs):
            accs += [a + d for d in (-step // 2, step // 2) if abs(a + d) <= bound]
        for acc in accs:
            want = multiply_by_quantized_multiplier(acc, m, shift) + zp
            assert fast_requantize(acc, table[0]) == want, (acc, m, shift, zp)


def test_exact_halves_round_like_tflite():
    # multiplier 2^30 (0.5) and right shift 1: acc * 0.25 hits every .5 and .25 case
    table = fast_requant([1 << 30], [-1], 0, [1000])
    for acc in range(-1000, 1001):
        assert fast_requantize(acc, table[0]) == multiply_by_quantized_multiplier(acc, 1 << 30, -1)


def test_refused_when_the_shift_could_overflow_or_no_right_shift():
    m, _ = quantize_multiplier(0.3)
    assert fast_requant([m], [-1], 0, [2**30]) is None       # acc << 1 overflows int32
    assert fast_requant([m], [0], 0, [100]) is None          # no right shift: general form
    assert fast_requant([m], [-23], 0, [100]) is None        # offset could overflow
    assert fast_requant([m], [1], 0, [2**28]) is None        # left shift 1: acc << 2 overflows
    assert fast_requant([m], [1], 0, [100]) is None          # right shift 0
    assert fast_requant([m, m], [-3, -1], 5, [100, 100]) is not None


def test_accumulator_bound_covers_any_int8_input():
    rng = np.random.default_rng(7)
    w = rng.integers(-127, 128, size=(8, 3, 3, 4)).astype(np.int8)
    bias = rng.integers(-5000, 5000, size=8).astype(np.int32)
    bounds = accumulator_bound(w, bias, channel_axis=0)
    for _ in range(50):
        x = rng.integers(-128, 128, size=(3, 3, 4)).astype(np.int64)
        zp = int(rng.integers(-128, 128))
        acc = (w.astype(np.int64) * (x - zp)).sum(axis=(1, 2, 3)) + bias
        assert np.all(np.abs(acc) <= bounds)


@pytest.mark.parametrize("seed", range(2))
def test_split_form_equals_tflite_for_every_right_shift(seed):
    # The zero point added after the shift: right shifts up to 31 (tiny scales, as in
    # VWW's deeper layers), accumulators up to 2^30 and zero multipliers (dead channels,
    # shift 0) stay exact.
    rng = np.random.default_rng(100 + seed)
    cases = [(0, 0), (0, -5)]
    for _ in range(200):
        real = float(np.exp(rng.uniform(np.log(1e-9), np.log(0.49))))
        cases.append(quantize_multiplier(real))
    for m, shift in cases:
        bound = int(rng.integers(1, 2**31 - 2**30 - 2))
        zp = int(rng.integers(-128, 128))
        assert split_fast_requant([m], [shift], [bound]), (m, shift, bound)
        step = 1 << max(0, -shift)
        accs = [0, 1, -1, bound, -bound, bound - 1, -bound + 1]
        accs += [int(v) for v in rng.integers(-bound, bound + 1, 200)]
        for a in list(accs):
            accs += [a + d for d in (-step // 2, step // 2) if abs(a + d) <= bound]
        for acc in accs:
            want = multiply_by_quantized_multiplier(acc, m, shift) + zp
            assert split_fast_requantize(acc, m, shift, zp) == want, (acc, m, shift, zp)


def test_split_form_refused_where_it_could_break():
    m, _ = quantize_multiplier(0.3)
    top = (1 << 31) - 1
    assert not split_fast_requant([top], [-31], [top])  # x + 2^30 could overflow
    assert split_fast_requant([1876368393], [-31], [2**30 + 128])  # a dead VWW channel
    assert not split_fast_requant([m], [0], [100])      # no right shift
    assert not split_fast_requant([m], [1], [100])      # a left shift
    assert not split_fast_requant([m], [-32], [100])
    assert split_fast_requant([0, m], [0, -31], [100, 100])
