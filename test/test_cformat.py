"""C++ literals: exact float32 round trips, integer extremes, wrapped arrays."""

import re

import numpy as np

from utensor import cformat


def _parse_c_float(text):
    return np.float32(float(text.rstrip("f")))


def test_cfloat_round_trips_every_float32_it_meets():
    rng = np.random.RandomState(0)
    values = np.concatenate([
        rng.randn(5000).astype(np.float32) * 10.0 ** rng.randint(-40, 38, 5000),
        np.array([0.0, -0.0, 1.0, 0.1, 1e-45, 3.4028235e38, 2.0 ** -126], dtype=np.float32),
    ]).astype(np.float32)
    for v in values:
        text = cformat.cfloat(v)
        assert re.fullmatch(r"-?\d\.\d+(e-?\d+)?f", text), text
        assert _parse_c_float(text) == v, (v, text)


def test_cint_handles_the_extremes():
    assert cformat.cint(-(2**31)) == "(-2147483647 - 1)"
    assert cformat.cint(2**31 - 1) == "2147483647"
    assert cformat.cint(2**31) == "2147483648u"
    assert cformat.cint(-5) == "-5"


def test_carray_wraps_lines():
    text = cformat.carray(list(range(40)), per_line=16)
    lines = text.splitlines()
    assert len(lines) == 3
    assert lines[0].strip().startswith("0, 1, 2")
    assert lines[-1].strip().endswith("39,")

