"""The Arm variants of the dense kernels on emulated cores, against tflite_micro.

The host conformance tests (test_ops_dense.py) run the portable reference kernels; the
Arm-optimized FULLY_CONNECTED variants are chosen at build time for the target core
(runtime/include/utensor/kernels/arch.hpp), so they are checked here on QEMU boards with
`utensor verify`: mps2_an385 (Cortex-M3: reference), mps2_an386 (Cortex-M4F: DSP/SMLAD),
mps3_an547 (Cortex-M55: Helium/MVE). The model mixes folded and unfolded input offsets,
per-channel and per-tensor weights, depths that are not multiples of 4 or 16 and odd
output counts; the constant weights reach the interleaved DSP kernel and the fast
requantization, the runtime ones the row-major kernels with the input offset.

Needs pio, arm-none-eabi-gcc and qemu-system-arm (skipped otherwise); about a minute.
"""

import re

import pytest

from opcheck import assert_bit_exact_on_board, have_qemu_tools
from test_ops_dense import (DENSE_SHAPES, _dense_branches, _keras_model, ops, patch_model, tf,
                            to_tflite)

pytestmark = pytest.mark.skipif(not have_qemu_tools(),
                                reason="needs pio, arm-none-eabi-gcc and qemu-system-arm")


def _first_weights_as_inputs(count):
    """Make the weights of the first `count` FULLY_CONNECTED operators model inputs, so
    their input offset stays in the kernel (not folded into the bias)."""
    def edit(m, schema):
        sg = m.subgraphs[0]
        fc = [i for i, c in enumerate(m.operatorCodes)
              if max(c.builtinCode, c.deprecatedBuiltinCode) == schema.BuiltinOperator.FULLY_CONNECTED]
        done = 0
        for op in sg.operators:
            if op.opcodeIndex in fc and done < count:
                sg.tensors[op.inputs[1]].buffer = 0
                sg.inputs = list(sg.inputs) + [op.inputs[1]]
                done += 1
    return edit


@pytest.fixture(scope="module", params=[True, False], ids=["per_channel", "per_tensor"])
def fc_model(request, tmp_path_factory):
    """Per-channel and per-tensor weights: the kernels' fast requantization loads its
    constants per group of 4 rows or once per layer."""
    model = _keras_model(_dense_branches, DENSE_SHAPES, seed=41)
    tfl = to_tflite(model, DENSE_SHAPES, quantize=True, seed=41, ranges=[(0, 4), (-3, 1)],
                    per_channel_dense=request.param)
    path = tmp_path_factory.mktemp("fc_qemu") / "fc_variants.tflite"
    path.write_bytes(patch_model(tfl, _first_weights_as_inputs(2)))
    return str(path)


@pytest.mark.parametrize("board", ["mps2_an385", "mps2_an386", "mps3_an547"])
def test_fully_connected_variants_bit_exact_on_qemu(fc_model, board, tmp_path):
    assert_bit_exact_on_board(fc_model, board, 5, 3,
                              str(tmp_path))


def _fc4_branches(a, b):
    """Depths that are multiples of 8 (the DSP kernel's interleaved 4-row assembly): of 16
    and not, with the input widened into scratch (small layers), in registers (layers
    whose scratch would grow the arena) or, for the first rows, into the tail of a long
    output (the last layer), with and without bias and activation clamp."""
    l = tf.keras.layers
    h = l.Dense(56)(a)
    return [h, l.Dense(8, activation="relu")(h), l.Dense(5, activation=ops.relu6)(b),
            l.Dense(12, use_bias=False)(a), l.Dense(120, activation=ops.relu6)(b)]


@pytest.fixture(scope="module", params=[True, False], ids=["per_channel", "per_tensor"])
def fc4_model(request, tmp_path_factory):
    shapes = [(2, 32), (1, 24)]
    model = _keras_model(_fc4_branches, shapes, seed=61)
    tfl = to_tflite(model, shapes, quantize=True, seed=61, ranges=[(-2, 3), (0, 4)],
                    per_channel_dense=request.param)
    path = tmp_path_factory.mktemp("fc4_qemu") / "fc4_variants.tflite"
    path.write_bytes(tfl)
    return str(path)


def test_fc4_layers_take_each_dsp_path(fc4_model):
    """The model above reaches the 4 entries of the DSP assembly (and would stop doing so
    if the converter's choices changed)."""
    from utensor import convert
    text = convert.convert_file(fc4_model).emitted.source
    assert text.count("= utensor::kernels::kFilterInterleaved4;") == 5
    # Scratch for the widened input: the two layers whose buffers leave room for it.
    # (set per call: the scratch lives in the arena of the instance running)
    assert len(re.findall(r"^\s+params\.scratch = \(arena \+ \d+\);", text, re.M)) == 2


@pytest.mark.parametrize("board", ["mps2_an386", "mps3_an547"])
def test_fully_connected_depth8_bit_exact_on_qemu(fc4_model, board, tmp_path):
    assert_bit_exact_on_board(fc4_model, board, 5, 7,
                              str(tmp_path))


@pytest.fixture(scope="module")
def add_model(tmp_path_factory):
    """ADD of >= 1024 elements (the converter's tables and fast output requantization:
    the DSP and Helium kernels' fast path) of a size not a multiple of 4 (their tails),
    with and without a clamping activation, and a broadcast ADD (their portable case)."""
    shapes = [(1, 13, 13, 7), (1, 13, 13, 7), (1, 1, 13, 7)]

    def build(a, b, c):
        return [ops.add(a, b), ops.relu(ops.add(b, a)), ops.add(a, c)]

    model = _keras_model(build, shapes, seed=51)
    tfl = to_tflite(model, shapes, quantize=True, seed=51, ranges=[(-1, 1), (-7, 3), (0, 2)])
    path = tmp_path_factory.mktemp("add_qemu") / "add_variants.tflite"
    path.write_bytes(tfl)
    return str(path)


@pytest.mark.parametrize("board", ["mps2_an386", "mps3_an547"])
def test_add_variants_bit_exact_on_qemu(add_model, board, tmp_path):
    assert_bit_exact_on_board(add_model, board, 5, 5,
                              str(tmp_path))
