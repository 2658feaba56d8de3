"""passes.py: the graph rewrites keep what the model computes (checked against
tflite_micro on the host, and on the emulated M4 and M55 for the Arm kernels) and happen
exactly where they are valid."""

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")

from opcheck import assert_bit_exact_on_board, assert_matches_reference, have_qemu_tools  # noqa: E402
from test_ops_conv import branches, op_kinds, read_graph, to_tflite  # noqa: E402
from utensor import passes  # noqa: E402
from utensor.ops._spatial import FUSED_PADDING  # noqa: E402

L = tf.keras.layers
SHAPE = (1, 9, 8, 4)


def padded_branches():
    pad = L.ZeroPadding2D
    return [
        lambda x: L.Conv2D(6, 3, padding="valid", activation="relu")(pad(((1, 2), (2, 1)))(x)),
        lambda x: L.DepthwiseConv2D(3, strides=2, padding="valid")(pad(1)(x)),
        lambda x: L.Conv2D(5, (3, 5), strides=(2, 1), padding="valid")(pad(((2, 0), (0, 4)))(x)),
        # wider than a window can straddle (3 > 2): the PAD stays
        lambda x: L.Conv2D(3, 3, padding="valid")(pad(3)(x)),
    ]


def shared_pad_branch():
    # one PAD read by two convolutions: folding it into one would leave the other unpadded
    # (asymmetric, so TensorFlow's converter does not turn it into SAME padding itself)
    def two(x):
        p = L.ZeroPadding2D(((1, 2), (2, 1)))(x)
        return L.Add()([L.Conv2D(4, 3, padding="valid")(p), L.Conv2D(4, 3, padding="valid")(p)])
    return [two]


def _fused(tflite_bytes):
    g = passes.run_all(read_graph(tflite_bytes))
    return g, [op.options.get(FUSED_PADDING) for op in g.operators if op.op_type in passes.PAD_FUSABLE]


@pytest.mark.parametrize("dtype", ["int8", "float32"])
def test_pad_folds_into_the_convolution_it_feeds(dtype):
    b = to_tflite(branches(SHAPE, padded_branches, seed=3), [SHAPE], dtype)
    assert {k.split(":")[0] for k in op_kinds(b)} >= {"PAD", "CONV_2D", "DEPTHWISE_CONV_2D"}
    g, fused = _fused(b)
    assert sorted(f for f in fused if f) == sorted([(1, 2, 2, 1), (1, 1, 1, 1), (2, 0, 0, 4)])
    assert [op.op_type for op in g.operators].count("PAD") == 1  # the 3-wide one
    assert_matches_reference(b, samples=3, seed=4)


def test_pad_read_twice_is_kept():
    b = to_tflite(branches(SHAPE, shared_pad_branch, seed=5), [SHAPE], "int8")
    g, fused = _fused(b)
    assert not any(fused) and any(op.op_type == "PAD" for op in g.operators)
    assert_matches_reference(b, samples=2, seed=6)


@pytest.mark.skipif(not have_qemu_tools(), reason="needs pio, arm-none-eabi-gcc and qemu-system-arm")
@pytest.mark.parametrize("board", ["mps2_an386", "mps3_an547"])  # DSP, Helium kernels
def test_folded_padding_on_the_arm_kernels_is_bit_exact(board, tmp_path):
    wide = lambda rng, s: rng.uniform(-3, 3, s).astype(np.float32)  # noqa: E731
    b = to_tflite(branches((1, 10, 8, 16), padded_branches, seed=7), [(1, 10, 8, 16)], "int8", rep=wide)
    path = tmp_path / "padded_int8.tflite"
    path.write_bytes(b)
    assert_bit_exact_on_board(str(path), board, 3, 8,
                              str(tmp_path / "build"))


VIEW_SHAPE = (1, 6, 8)


def view_branches():
    """Data movement that is (views) and is not (kernels) one run of the input's memory."""
    lam = L.Lambda
    return [
        # SPLIT along the outermost non-unit axis: three views; each piece then goes through
        # an elementwise op that could run in place (it must not write over its siblings)
        lambda x: L.Concatenate(axis=1)([L.Activation("tanh")(p) for p in lam(lambda t: tf.split(t, 3, axis=1))(x)]),
        # UNPACK along axis 1: six row views, each read by a Dense layer
        lambda x: L.Add()([L.Dense(4)(r) for r in lam(lambda t: tf.unstack(t, axis=1))(x)]),
        # STRIDED_SLICE of whole rows: a view; of columns: a kernel
        lambda x: L.Activation("relu")(lam(lambda t: t[:, 2:5, :])(x)),
        lambda x: L.Activation("relu")(lam(lambda t: t[:, :, 1:3])(x)),
        # SPLIT along the last axis (outer size 6): a kernel
        lambda x: L.Multiply()(lam(lambda t: tf.split(t, 2, axis=2))(x)),
    ]


@pytest.mark.parametrize("dtype", ["int8", "float32"])
def test_data_movement_becomes_views_where_contiguous(dtype):
    b = to_tflite(branches(VIEW_SHAPE, view_branches, seed=8), [VIEW_SHAPE], dtype)
    before = [k.split(":")[0] for k in op_kinds(b)]
    assert {"SPLIT", "UNPACK", "STRIDED_SLICE"} <= set(before), before
    g = passes.run_all(read_graph(b))
    left = [op.op_type for op in g.operators if op.op_type in passes.VIEW_CANDIDATES]
    assert sorted(left) == ["SPLIT", "STRIDED_SLICE"], left  # the column slice, the last-axis split
    views = [t for t in g.tensors if t.alias_of is not None and t.alias_offset > 0]
    itemsize = 1 if dtype == "int8" else 4
    assert sorted({t.alias_offset // itemsize for t in views}) >= [8, 16, 24, 32, 40], \
        [(t.name, t.alias_offset) for t in views]
    assert_matches_reference(b, samples=3, seed=9)


@pytest.mark.skipif(not have_qemu_tools(), reason="needs pio, arm-none-eabi-gcc and qemu-system-arm")
def test_views_on_the_m4(tmp_path):
    b = to_tflite(branches(VIEW_SHAPE, view_branches, seed=8), [VIEW_SHAPE], "int8")
    path = tmp_path / "views.tflite"
    path.write_bytes(b)
    assert_bit_exact_on_board(path, "mps2_an386", samples=2, seed=3, build_dir=tmp_path / "build")
