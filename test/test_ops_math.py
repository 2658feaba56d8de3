"""The refusals and precomputations of the math/reduction/spatial/linear-algebra lowerings
(issue 14) on hand-built IR graphs: no TensorFlow, fast. Their arithmetic against
tflite_micro is test_conformance.py's (entries in conformance_ops_math.py)."""

import math

import numpy as np
import pytest

from utensor import ir
from utensor.errors import ModelFormatError, UnsupportedError
from utensor.ops import lower
from utensor.ops._inv_sqrt import inv_sqrt_multiplier_exp
from utensor.ops.resize import float_taps, integer_taps

Q = ir.Quantization((0.1,), (0,))


def _graph(op_type, specs, inputs, outputs, options=None):
    """specs: (name, dtype, shape, quant, data) per tensor, indexed in order."""
    tensors = [ir.Tensor(i, name, dtype, shape, quant, data=data)
               for i, (name, dtype, shape, quant, data) in enumerate(specs)]
    op = ir.Operator(3, op_type, inputs, outputs, options or {})
    return ir.Graph("m", tensors, [op], [i for i in inputs if tensors[i].data is None], outputs,
                    source_path="model.tflite"), op


def _axes(values):
    return np.array(values, np.int32)


def test_reduce_max_int8_needs_one_quantization():
    g, op = _graph("REDUCE_MAX", [("x", "int8", (1, 4, 5), Q, None), ("a", "int32", (1,), None, _axes([1])),
                                  ("y", "int8", (1, 5), ir.Quantization((0.2,), (0,)), None)], [0, 1], [2])
    with pytest.raises(UnsupportedError, match=r"operator #3 REDUCE_MAX: int8 input quantization .* requires them equal"):
        lower(op, g)


def test_sum_over_three_axes_is_refused_as_tflm_does():
    g, op = _graph("SUM", [("x", "float32", (1, 2, 3, 4), None, None), ("a", "int32", (3,), None, _axes([1, 2, -1])),
                           ("y", "float32", (1,), None, None)], [0, 1], [2])
    with pytest.raises(UnsupportedError, match="at most 2"):
        lower(op, g)


def test_reduce_min_negative_duplicate_axes_resolve_once():
    g, op = _graph("REDUCE_MIN", [("x", "float32", (1, 2, 3, 4), None, None),
                                  ("a", "int32", (3,), None, _axes([-1, 3, 1])),
                                  ("y", "float32", (1, 1, 3, 1), None, None)], [0, 1], [2])
    shape = lower(op, g).params["fields"]["shape"]
    assert shape["reduce"] == [0, 0, 1, 0, 1] and shape["reduce_count"] == 8


def test_resize_bilinear_refuses_both_alignment_options():
    g, op = _graph("RESIZE_BILINEAR", [("x", "float32", (1, 2, 2, 1), None, None),
                                       ("s", "int32", (2,), None, _axes([4, 4])),
                                       ("y", "float32", (1, 4, 4, 1), None, None)], [0, 1], [2],
                   {"align_corners": True, "half_pixel_centers": True})
    with pytest.raises(UnsupportedError, match="align_corners and half_pixel_centers"):
        lower(op, g)


def test_resize_taps():
    # Upscaling 2 -> 4 with half-pixel centers: sources -0.25, 0.25, 0.75, 1.25, clamped pairs.
    assert [t[:2] for t in float_taps(4, 2, False, True)] == [(0, 0), (0, 1), (0, 1), (1, 1)]
    assert [t[2] for t in integer_taps(4, 2, False, True)] == [-256, 256, 768, 1280]
    # align_corners 3 -> 5: scale 0.5 exactly.
    assert [t[2] for t in float_taps(5, 3, True, False)] == [0.0, 0.5, 0.0, 0.5, 0.0]


def test_batch_matmul_refusals():
    specs = [("a", "float32", (1, 2, 3), None, None), ("b", "int8", (1, 3, 4), Q, None),
             ("y", "float32", (1, 2, 4), None, None)]
    g, op = _graph("BATCH_MATMUL", specs, [0, 1], [2])
    with pytest.raises(UnsupportedError, match="hybrid"):
        lower(op, g)
    specs[1] = ("b", "float32", (1, 5, 4), None, None)
    g, op = _graph("BATCH_MATMUL", specs, [0, 1], [2])
    with pytest.raises(ModelFormatError, match="accumulation depths differ"):
        lower(op, g)


def test_batch_matmul_broadcast_and_adjoint_strides():
    g, op = _graph("BATCH_MATMUL", [("a", "float32", (2, 1, 3, 5), None, None),
                                    ("b", "float32", (1, 4, 6, 3), None, None),
                                    ("y", "float32", (2, 4, 5, 6), None, None)], [0, 1], [2],
                   {"adj_x": True, "adj_y": True})
    s = lower(op, g).params["fields"]["shape"]
    assert s["batch_dims"] == [1, 2, 4]
    assert s["lhs_batch_strides"] == [0, 15, 0] and s["rhs_batch_strides"] == [0, 0, 18]
    assert (s["rows"], s["cols"], s["depth"]) == (5, 6, 3)
    assert (s["lhs_row_stride"], s["lhs_depth_stride"], s["rhs_depth_stride"], s["rhs_col_stride"]) == (1, 5, 1, 3)


def test_add_n_int8_needs_one_input_quantization():
    g, op = _graph("ADD_N", [("a", "int8", (1, 4), Q, None), ("b", "int8", (1, 4), ir.Quantization((0.3,), (1,)), None),
                             ("y", "int8", (1, 4), Q, None)], [0, 1], [2])
    with pytest.raises(UnsupportedError, match="one scale and zero point"):
        lower(op, g)


@pytest.mark.parametrize("op_type,dtype", [("L2_POOL_2D", "int8"), ("CUMSUM", "int32"), ("LOG_SOFTMAX", "int16")])
def test_dtypes_tflm_does_not_run_are_refused(op_type, dtype):
    quant = Q if dtype == "int8" else None
    specs = [("x", dtype, (1, 4, 4, 2), quant, None), ("y", dtype, (1, 4, 4, 2), quant, None)]
    inputs, options = [0], {"padding": "VALID", "stride_h": 1, "stride_w": 1, "filter_height": 1, "filter_width": 1}
    if op_type == "CUMSUM":
        specs.insert(1, ("a", "int32", (), None, _axes(1)))
        inputs = [0, 1]
    g, op = _graph(op_type, specs, inputs, [len(specs) - 1], options)
    with pytest.raises(UnsupportedError, match=f"operator #3 {op_type}: dtypes"):
        lower(op, g)


@pytest.mark.parametrize("value", [2, 3, 4, 17, 1000, 65025, 1 << 20, (1 << 31) - 1])
def test_inv_sqrt_multiplier_is_one_over_sqrt(value):
    mult, shift = inv_sqrt_multiplier_exp(value, -1)
    assert mult * 2.0 ** (shift - 31) == pytest.approx(1 / math.sqrt(value), rel=1e-5)  # Q3.28 Newton steps
