"""The randomized fast-path campaign (scripts/utensor/bench/campaign.py): seeded random
single-operator int8 models per kernel family (conv, depthwise, FC, pooling, ADD/MUL) and
16x8 ones (conv16, depthwise16, fc16: int16 activations),
batched into one firmware per board, bit-exact against tflite_micro on M4 (mps2_an386),
M7 (mps2_an500), M33 (mps2_an505), M55 (mps3_an547) and the portable kernels on M3
(mps2_an385).

UTENSOR_CAMPAIGN_COUNT=N draws per family (CI default below: what the CI budget allows,
see the measured cost in the module constant's comment); UTENSOR_CAMPAIGN_SEED=S another
campaign. A failure prints the seed, the draw and the command that rebuilds it alone:
`python -m utensor.bench.campaign --repro FAMILY SEED INDEX --board BOARD`.
"""

import os

import numpy as np
import pytest

from opcheck import have_qemu_tools
from utensor.bench import batch, campaign, singleop

# Measured (2 shared cores, commit of this line): 200 models (40 per family) on mps2_an505
# cost 98.6 s of CPU, its runtime build from a clean cache included: ~0.4 s of CPU per
# model per board, mostly the compiler (0.24 s of it the runtime headers). 1,000 draws x 5
# families x 5 boards would be ~10,000 CPU-s (~2.8 hours), far over the CI budget (30 min
# on 2 cores); 40 per family is ~500 CPU-s (all five boards from a clean cache: 497 CPU-s).
# With 40, the whole clean-clone CI took 28m11s (1043 tests), too close to the budget as
# more tests land: 24 per family (120 models per board, ~300 CPU-s). With 24, the 16x8
# families and the other tests of session 5 the clean-clone CI took 30m13s (1233 tests):
# 16 per family. Longer campaigns: UTENSOR_CAMPAIGN_COUNT, or
# `python -m utensor.bench.campaign --count N`.
CI_COUNT = 16
# The 16x8 families (conv16, depthwise16, fc16: the int16 DSP/Helium paths) are fewer
# kernels, and their draws cost the same: 8 each keeps them to a third of one int8 family.
CI_COUNT_16 = 8
FAMILIES_16 = ("conv16", "depthwise16", "fc16")
_ENV_COUNT = os.environ.get("UTENSOR_CAMPAIGN_COUNT")
COUNT = {f: int(_ENV_COUNT) if _ENV_COUNT else (CI_COUNT_16 if f in FAMILIES_16 else CI_COUNT)
         for f in campaign.DRAWS}
SEED = int(os.environ.get("UTENSOR_CAMPAIGN_SEED", "0"))


@pytest.mark.parametrize("family", sorted(campaign.DRAWS))
def test_draws_are_seeded_and_accepted_by_tflite_micro(family):
    """Every draw is reproducible from (family, seed, index), its model is one operator of
    the family that tflite_micro runs, and utensor converts it."""
    from utensor.reference import Reference

    for i in range(30):
        spec = campaign.draw(family, SEED, i)
        assert spec == campaign.draw(family, SEED, i)
        assert singleop.family(spec) == family
        tfl = singleop.build(spec, campaign.draw_seed(family, SEED, i))
        assert tfl == singleop.build(spec, campaign.draw_seed(family, SEED, i))
        ref = Reference(tfl)
        x = [np.zeros(d["shape"], d["dtype"]) for d in ref.input_details]
        y = ref.invoke(x)
        conv = batch.convert_bytes(f"m{i}", tfl)
        assert [op.op_type for op in conv.graph.operators] == [spec["op"]], singleop.describe(spec)
        assert list(y[0].shape) == list(conv.graph.tensor(conv.graph.outputs[0]).shape)


def test_a_wrong_output_is_reported_with_its_repro_command():
    """check() finds one flipped output byte; the campaign's failure line names the seed,
    the draw and the command that reproduces it."""
    spec = campaign.draw("conv", 5, 3)
    seed = campaign.draw_seed("conv", 5, 3)
    tfl = singleop.build(spec, seed)
    from utensor.reference import Reference

    ref = Reference(tfl)
    sizes = [int(np.prod(d["shape"])) for d in ref.input_details]
    x = [np.frombuffer(b, np.int8).reshape(d["shape"])
         for b, d in zip(batch.input_bytes(seed, sizes), ref.input_details)]
    good = bytearray(np.ascontiguousarray(ref.invoke(x)[0]).tobytes())
    assert batch.check(tfl, seed, [bytes(good)]) == []
    good[len(good) // 2] ^= 1
    problems = batch.check(tfl, seed, [bytes(good)])
    assert problems and "1 of" in problems[0]
    assert campaign.repro_command("conv", 5, 3, "mps2_an386") == \
        "python -m utensor.bench.campaign --repro conv 5 3 --board mps2_an386"


def test_input_bytes_follow_the_firmware_generator():
    """batch_main.cpp.j2's xorshift32, first bytes of seed 0 (the firmware's fill())."""
    x = batch.input_seed(0) | 1
    expected = []
    for _ in range(4):
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        expected.append(x >> 24)
    assert list(batch.input_bytes(0, [4])[0]) == expected
    with open(os.path.join(batch.TEMPLATE_DIR, "batch_main.cpp.j2"), encoding="utf-8") as f:
        body = f.read()
    assert "x ^= x << 13;" in body and "x ^= x >> 17;" in body and "x ^= x << 5;" in body
    assert "static_cast<uint8_t>(x >> 24)" in body and "kSeeds[k] | 1u" in body


@pytest.mark.skipif(not have_qemu_tools(), reason="needs pio, arm-none-eabi-gcc and qemu-system-arm")
@pytest.mark.parametrize("board", campaign.BOARDS)
def test_campaign_bit_exact_on_board(board):
    failures = campaign.run(sorted(campaign.DRAWS), [board], COUNT, SEED, jobs=1)
    assert not failures, (f"campaign seed {SEED}, draws per family {COUNT} on {board}: "
                          f"{len(failures)} failures\n" + "\n".join(failures[:30]))
