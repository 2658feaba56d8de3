"""Quantization arithmetic: scripts/utensor/quantization.py, the Python fixed-point models
in scripts/utensor/ops/_gemmlowp.py, and runtime/include/utensor/kernels/fixedpoint.hpp.

References: numbers worked out by hand from TFLite's definitions (QuantizeMultiplier,
CalculateActivationRangeQuantized), math.exp/tanh for the fixed-point transcendental
functions, and the C++ header compiled with g++ for agreement with the Python models
(the int8 LUTs of LOGISTIC/TANH/HARD_SWISH come from the Python side, softmax runs the
C++ side; test_ops_dense.py checks both against tflite_micro end to end).
"""

import math
import os
import subprocess

import numpy as np
import pytest

from utensor import quantization as q
from utensor.ops import _gemmlowp as g

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# ------------------------------------------------------------- quantize_multiplier

@pytest.mark.parametrize("real,expected", [
    (0.0, (0, 0)),
    (0.5, (1 << 30, 0)),
    (1.0, (1 << 30, 1)),
    (0.75, (3 << 29, 0)),
    (0.1, (1717986918, -3)),  # 0.8 * 2^31 = 1717986918.4
    (3.0, (3 << 29, 2)),
    (1e-12, (0, 0)),  # shift below -31: flushed to zero, as TFLite does
    (1.0 - 2.0 ** -33, (1 << 30, 1)),  # q * 2^31 rounds up to 2^31: halved, shift + 1
    (0.5 + 2.0 ** -32, ((1 << 30) + 1, 0)),  # exact .5: half away from zero, not to even
    (-0.75, (-(3 << 29), 0)),
])
def test_quantize_multiplier_known_values(real, expected):
    assert q.quantize_multiplier(real) == expected


def test_quantize_multiplier_reconstructs_the_real_value():
    rng = np.random.RandomState(0)
    for real in np.exp(rng.uniform(math.log(1e-8), math.log(1e3), 500)):
        m, shift = q.quantize_multiplier(float(real))
        assert (1 << 30) <= m < (1 << 31)
        assert abs(m * 2.0 ** (shift - 31) - real) <= real * 2.0 ** -30


def test_conv_and_per_channel_multipliers_use_double():
    # float32 scales widened to double, product and quotient in double
    si, sw, so = 0.0235, 0.00117, 0.0712
    expected = float(np.float32(si)) * float(np.float32(sw)) / float(np.float32(so))
    assert q.conv_multiplier(si, sw, so) == expected
    mult, shift = q.per_channel_multipliers(si, [sw, 2 * sw], so)
    assert (mult[0], shift[0]) == q.quantize_multiplier(expected)
    assert mult[1] == mult[0] and shift[1] == shift[0] + 1


# ---------------------------------------------------------------- activation ranges

@pytest.mark.parametrize("act,scale,zp,expected", [
    ("NONE", 0.1, 3, (-128, 127)),
    ("RELU", 0.1, 5, (5, 127)),
    ("RELU", 0.1, -128, (-128, 127)),
    ("RELU6", 6.0 / 255, -128, (-128, 127)),
    ("RELU6", 0.05, -20, (-20, 100)),
    ("RELU6", 12.0, 0, (0, 1)),  # 6 / 12 = 0.5 rounds away from zero
    ("RELU_N1_TO_1", 1.0 / 64, 0, (-64, 64)),
    ("RELU_N1_TO_1", 1.0 / 200, 0, (-128, 127)),
])
def test_activation_range(act, scale, zp, expected):
    assert q.activation_range(act, "int8", scale, zp) == expected


def test_activation_range_float():
    assert q.activation_range_float("RELU6") == (0.0, 6.0)
    assert q.activation_range_float("RELU_N1_TO_1") == (-1.0, 1.0)
    lo, hi = q.activation_range_float("NONE")
    assert lo == -hi == -float(np.finfo(np.float32).max)
    with pytest.raises(ValueError):
        q.activation_range("TANH", "int8", 0.1, 0)


# ------------------------------------------------------------- fixed-point models

def test_srdhm_and_rounding_divide_known_values():
    assert q.srdhm(q.INT32_MIN, q.INT32_MIN) == q.INT32_MAX
    assert q.srdhm(1 << 30, 1 << 30) == 1 << 29
    assert q.srdhm(-3, 1 << 30) == -1  # -1.5 rounds away from zero
    assert q.rounding_divide_by_pot(5, 1) == 3 and q.rounding_divide_by_pot(-5, 1) == -3
    assert q.rounding_divide_by_pot(-4, 2) == -1 and q.rounding_divide_by_pot(6, 2) == 2


def test_vectorized_requantize_matches_scalar():
    rng = np.random.RandomState(1)
    acc = rng.randint(-(2**24), 2**24, size=2000)
    for real in (0.00071, 0.37, 1.9, 17.0):
        m, s = q.quantize_multiplier(real)
        expected = [q.multiply_by_quantized_multiplier(int(a), m, s) for a in acc]
        assert q.requantize(acc, m, s).tolist() == expected
        assert np.max(np.abs(np.asarray(expected) - acc * real)) <= 1.0


def test_fixed_point_transcendentals_approximate_math():
    for x in np.linspace(-7.9, 7.9, 41):
        raw = int(round(x * (1 << 27)))  # Q4.27
        assert abs(g.logistic(raw, 4) / 2**31 - 1 / (1 + math.exp(-x))) < 2e-6
        assert abs(g.tanh(raw, 4) / 2**31 - math.tanh(x)) < 2e-6
        if x <= 0:
            assert abs(g.exp_on_negative_values(int(round(x * (1 << 26))), 5) / 2**31 - math.exp(x)) < 2e-6
    for x in np.linspace(0, 0.999, 20):
        assert abs(g.one_over_one_plus_x_for_x_in_0_1(int(x * 2**31)) / 2**31 - 1 / (1 + x)) < 2e-6


CPP_DRIVER = r"""
#include <stdio.h>
#include <stdlib.h>
#include "utensor/kernels/fixedpoint.hpp"
using namespace utensor::kernels;
int main() {
  long a, b, c;
  char op[8];
  while (scanf("%7s %ld %ld %ld", op, &a, &b, &c) == 4) {
    long r = 0;
    int n = 0;
    switch (op[0]) {
      case 'h': r = SaturatingRoundingDoublingHighMul((int32_t)a, (int32_t)b); break;
      case 'd': r = RoundingDivideByPOT((int32_t)a, (int)b); break;
      case 'm': r = MultiplyByQuantizedMultiplier((int32_t)a, (int32_t)b, (int)c); break;
      case 'e': r = ExpOnNegativeValues<5>((int32_t)a); break;
      case 'r': r = GetReciprocal((int32_t)a, 12, &n); r = r * 64 + n + 32; break;
    }
    printf("%ld\n", r);
  }
  return 0;
}
"""


def test_cpp_fixedpoint_matches_python_models(tmp_path):
    src = tmp_path / "fp.cpp"
    src.write_text(CPP_DRIVER)
    exe = tmp_path / "fp"
    subprocess.run(["g++", "-std=c++11", "-O1", "-Wall", "-Wextra", "-Werror",
                    "-fsanitize=undefined", "-fno-sanitize-recover=all",
                    "-I", os.path.join(REPO, "runtime", "include"), str(src), "-o", str(exe)],
                   check=True)
    rng = np.random.RandomState(2)
    cases, expected = [], []
    i32 = lambda n: rng.randint(-(2**31), 2**31, size=n, dtype=np.int64).tolist()
    for a, b in zip(i32(300), i32(300)):
        cases.append(("h", a, b, 0))
        expected.append(q.srdhm(a, b))
    for a, e in zip(i32(300), rng.randint(0, 32, 300).tolist()):
        cases.append(("d", a, e, 0))
        expected.append(q.rounding_divide_by_pot(a, e))
    for x, real in zip(rng.randint(-(2**20), 2**20, 300).tolist(), np.exp(rng.uniform(-15, 4, 300))):
        m, s = q.quantize_multiplier(float(real))
        cases.append(("m", x, m, s))
        expected.append(q.multiply_by_quantized_multiplier(x, m, s))
    for a in rng.randint(-(2**31) + 1, 1, 300).tolist() + [0, -1, -(1 << 26), -(32 << 26)]:
        cases.append(("e", a, 0, 0))
        expected.append(g.exp_on_negative_values(a, 5))
    for s in rng.randint(1 << 19, 1 << 30, 300).tolist():
        cases.append(("r", s, 0, 0))
        headroom = 32 - s.bit_length()
        x = ((s << headroom) - (1 << 31))
        expected.append(g.one_over_one_plus_x_for_x_in_0_1(x) * 64 + (12 - headroom) + 32)
    text = "".join(f"{o} {a} {b} {c}\n" for o, a, b, c in cases)
    out = subprocess.run([str(exe)], input=text, capture_output=True, text=True, check=True)
    got = [int(v) for v in out.stdout.split()]
    bad = [(c, e, r) for c, e, r in zip(cases, expected, got) if e != r]
    assert len(got) == len(expected) and not bad, bad[:10]
