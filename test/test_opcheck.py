"""The comparison used by every conformance test can fail, and says where."""

import numpy as np

from opcheck import compare


def test_int8_must_be_bit_exact():
    ref = np.array([1, 2, 3], dtype=np.int8)
    assert compare(ref.copy(), ref) == []
    out = compare(np.array([1, 2, 4], dtype=np.int8), ref)
    assert out == ["output: ERROR at pos 2: Act: 4 Ref: 3"]


def test_float_relative_tolerance():
    ref = np.array([1.0, -2.0, 1e-9], dtype=np.float32)
    assert compare(ref * (1 + 5e-6), ref) == []
    assert len(compare(ref * (1 + 5e-5), ref)) == 2  # the near-zero value is under the floor
    assert compare(np.array([1.0, -2.0], np.float32), ref)  # shape mismatch is reported
