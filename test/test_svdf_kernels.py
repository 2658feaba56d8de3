"""The integer SVDF's matrix products (detail::dot_s8 for the feature filter, detail::dot_s16
or dot_s8 for the time filter, the zero points folded into the converter's offsets) against
tflite_micro: int8 time weights and state with a nonzero state zero point (svdf_s8_s8,
which TFLite's quantizer never writes), and, on QEMU, the DSP (M4) and Helium (M55) loops
over odd lengths: vector tails, memory sizes below one SMLAD pair or one Helium vector, and
rows longer than one Helium vector."""

import numpy as np
import pytest

from svdf_models import SvdfLayer, build_svdf_model
from test_stateful import QEMU_TOOLS, compare_sequence, run_both, sequence_inputs
from utensor import convert
from utensor.reference import Reference


def _odd_layers():
    # Input 37 (two 16-byte Helium vectors and a tail of 5; nine SMLAD words and a tail of 1),
    # memory 11 (one int16 Helium vector and a tail of 3; two SMLAD pairs of pairs, one pair,
    # one single), memory 1, memory 19 > 16 (int8 state: a full int8 vector plus a tail).
    return [SvdfLayer(num_units=5, rank=3, memory_size=11),
            SvdfLayer(num_units=7, rank=1, memory_size=1),
            SvdfLayer(num_units=3, rank=2, memory_size=19)]


@pytest.mark.parametrize("seed", range(3))
def test_svdf_int8_state_option_space(tmp_path, seed):
    rng = np.random.RandomState(300 + seed)
    layers = [SvdfLayer(num_units=int(rng.randint(1, 9)), rank=int(rng.randint(1, 4)),
                        memory_size=int(rng.randint(1, 21))) for _ in range(rng.randint(1, 4))]
    model = build_svdf_model(int(rng.randint(1, 40)), layers, "int8", seed=seed, batch=int(rng.randint(1, 3)),
                             state_dtype="int8")
    _, ours, refs = run_both(tmp_path, model, f"svdf_s8_state_{seed}", seed=seed)
    assert compare_sequence(ours, refs, "int8") == []


@pytest.mark.parametrize("state_dtype", ["int16", "int8"])
def test_svdf_odd_lengths_host(tmp_path, state_dtype):
    model = build_svdf_model(37, _odd_layers(), "int8", seed=5, batch=2, state_dtype=state_dtype)
    _, ours, refs = run_both(tmp_path, model, f"svdf_odd_{state_dtype}", seed=5)
    assert compare_sequence(ours, refs, "int8") == []


@pytest.mark.skipif(any(__import__("shutil").which(t) is None for t in QEMU_TOOLS),
                    reason="needs pio, arm-none-eabi-gcc and qemu-system-arm")
@pytest.mark.parametrize("board", ["mps2_an386", "mps3_an547"])
@pytest.mark.parametrize("state_dtype", ["int16", "int8"])
def test_svdf_odd_lengths_on_qemu(tmp_path, board, state_dtype):
    """The Arm loops (DSP on the M4, Helium on the M55) over a sequence with the state carried,
    RESET, the sequence again, through the serial harness."""
    from utensor.harness.session import open_board  # pylint: disable=import-outside-toplevel

    model = build_svdf_model(37, _odd_layers(), "int8", seed=5, batch=2, state_dtype=state_dtype)
    path = tmp_path / f"svdf_odd_{state_dtype}.tflite"
    path.write_bytes(model)
    xs = sequence_inputs(convert.convert_file(str(path)).graph, np.random.RandomState(8), steps=6)
    ref = Reference(model)
    ref.reset()
    refs = [ref.step(x) for x in xs]
    ref.reset()
    refs += [ref.step(x) for x in xs]
    with open_board(str(path), board, build_dir=str(tmp_path / "build"), log=lambda s: None) as s:
        s.reset()
        ours = [s.step(x)[0] for x in xs]
        s.reset()
        ours += [s.step(x)[0] for x in xs]
    assert compare_sequence(ours, refs, "int8") == []
