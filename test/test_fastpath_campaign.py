"""The randomized fast-path campaign: seeded random single-operator models per kernel
family, int8 (conv, depthwise, FC, pooling, ADD/MUL) and 16x8 (conv16, depthwise16, fc16:
int16 activations), bit-exact against tflite_micro on M4 (mps2_an386), M7 (mps2_an500),
M33 (mps2_an505), M55 (mps3_an547) and the portable kernels on M3 (mps2_an385).

CI runs the runtime-parameter campaign (scripts/utensor/bench/rt_campaign.py): one
firmware per board holds the kernels, the host converts each draw with the real converter
and sends its kernel call (parameter struct, constant arrays, arena offsets); no draw is
compiled. UTENSOR_CAMPAIGN_COUNT=N draws per family (CI: CI_COUNT, below),
UTENSOR_CAMPAIGN_SEED=S another campaign. A failure prints the seed, the draw and the
command that rebuilds it alone as a compiled model:
`python -m utensor.bench.campaign --repro FAMILY SEED INDEX --board BOARD`.
"""

import os
import re
import struct

import numpy as np
import pytest

from opcheck import have_qemu_tools
from utensor.bench import batch, campaign, rt_campaign, rt_codec, singleop

# Measured (2 shared cores): 1,000 draws per family (8,000) on the five boards, from a
# clean project cache, cost 82.7 CPU-s (3m29s wall at -n 0): preparing the draws once
# (singleop build, converter, tflite_micro: ~2.5 ms of CPU per draw, ~20 s), per board
# ~3.5-6.5 s of QEMU and ~8-10 s to build its one firmware. The compiled per-model batches
# this replaces cost ~0.4 CPU-s per draw per board: 16 per family in CI took ~300 CPU-s.
CI_COUNT = 1000
_ENV_COUNT = os.environ.get("UTENSOR_CAMPAIGN_COUNT")
COUNT = {f: int(_ENV_COUNT) if _ENV_COUNT else CI_COUNT for f in campaign.DRAWS}
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


def test_rt_params_reader_is_generated_from_the_table():
    """The firmware's struct readers (rt_firmware/rt_params.hpp) are the generator's
    output for the current kernel_params table (`python -m utensor.bench.rt_codec --write`)."""
    assert rt_codec.main(["--check"]) == 0
    text = rt_codec.generate()
    for name in rt_codec.STRUCTS:
        assert f"kFingerprint{name} = 0x{rt_codec.fingerprint(name):08x}u" in text
        assert f"UTENSOR_PARAMS_END(utensor::kernels::{name}" in text


def test_serialize_follows_the_table_field_by_field():
    """Scalars in their width, nested structs inline, pointers tagged; a missing or unknown
    field is an error, and the fingerprint names every field and type."""
    from utensor.kernel_params import ConstArray, ParamsError

    fields = dict(shape=dict(batches=1, input_height=2, input_width=3, channels=4, filter_height=1,
                             filter_width=1, output_height=2, output_width=3, stride_height=1, stride_width=1,
                             pad_top=0, pad_left=0), activation_min=-128, activation_max=127)
    names = [f.name for f in rt_codec.kernel_params.TABLE.struct("PoolShape").fields]
    fields["shape"] = {n: fields["shape"].get(n, 0) for n in names}
    raw = rt_codec.serialize("PoolS8Params", fields)
    assert len(raw) == 4 * (len(names) + 2) and raw[-8:] == struct.pack("<ii", -128, 127)
    with pytest.raises(ParamsError):
        rt_codec.serialize("PoolS8Params", dict(fields, extra=1))
    conv = rt_codec.serialize("Conv2DS16Params", dict(
        shape={f.name: 1 for f in rt_codec.kernel_params.TABLE.struct("Conv2DShape").fields},
        output_multiplier=ConstArray("int32_t", [7, 8]), output_shift=None, activation_min=0,
        activation_max=1, acc32=1))
    assert struct.pack("<BIii", 1, 2, 7, 8) + b"\0" in conv
    assert "output_multiplier:*int32_t" in rt_codec.describe("Conv2DS16Params")


def test_inputs_and_sums_follow_the_firmware():
    """fill() and weighted_sum() of rt_firmware/main.cpp, and every kind the host sends is
    one the firmware switches on."""
    def mix(h):
        h ^= h >> 16
        h = (h * 0x85EBCA6B) & 0xFFFFFFFF
        h ^= h >> 13
        h = (h * 0xC2B2AE35) & 0xFFFFFFFF
        return h ^ (h >> 16)

    seed = 0xDEADBEEF
    expected = bytes(mix((seed + i * 0x9E3779B9) & 0xFFFFFFFF) >> 24 for i in range(50))
    assert rt_campaign.fill_bytes(seed, 50) == expected
    data = bytes(range(7)) * 3
    assert rt_campaign.weighted_sum(data) == sum((b + 1) * (mix(i) | 1) for i, b in enumerate(data)) & 0xFFFFFFFF
    with open(os.path.join(rt_campaign.FIRMWARE_DIR, "main.cpp"), encoding="utf-8") as f:
        body = f.read()
    assert "mix(seed + i * 0x9E3779B9u) >> 24" in body
    enum = dict((m.group(1), int(m.group(2))) for m in re.finditer(r"k(\w+) = (\d+)", body))
    fw = {"conv2d_s8_gemm": "ConvS8Gemm", "conv2d_s8": "ConvS8", "depthwise_conv2d_s8": "DwS8",
          "fully_connected_s8": "FcS8", "max_pool2d_s8": "MaxPoolS8", "average_pool2d_s8": "AvgPoolS8",
          "add_s8": "AddS8", "mul_s8": "MulS8", "conv2d_s16": "ConvS16", "conv2d_s16_acc32": "ConvS16Acc32",
          "depthwise_conv2d_s16": "DwS16", "fully_connected_s16": "FcS16",
          "conv2d_s8_gemm_fast": "ConvS8GemmFast", "depthwise_conv2d_s8_3x3": "DwS8x3x3",
          "fully_connected_s8_groups4": "FcS8Groups4", "fully_connected_s8_rows": "FcS8Rows",
          "max_pool2d_s8_c4": "MaxPoolS8C4", "average_pool2d_s8_c4": "AvgPoolS8C4",
          "add_s8_tables": "AddS8Tables"}
    assert {k: enum[v] for k, v in fw.items()} == rt_campaign.KINDS


def test_every_draw_lowers_to_a_call_the_firmware_makes():
    """The first 100 draws of each family: their lowering is one the campaign firmware
    mirrors (never skipped), and a wrong output byte is reported with its first index."""
    kinds = set()
    for fam in campaign.DRAWS:
        for i in range(100):
            d = rt_campaign.prepare(fam, SEED, i, reference=(i == 0))
            kinds.add(d.kind)
            if i == 0:
                good = [o["expected"] for o in d.outputs]
                assert rt_campaign.compare(d, 0, 0, good) == []
                bad = bytearray(good[0])
                bad[len(bad) // 2] ^= 1
                problems = rt_campaign.compare(d, 0, 0, [bytes(bad)] + good[1:])
                index = (len(bad) // 2) // d.outputs[0]["np_dtype"].itemsize
                assert problems and "1 of" in problems[0] and f"flat index {index} " in problems[0], problems
    # every kernel of the families, streamed and not
    assert {k.split()[0] for k in kinds} == set(rt_campaign.KINDS), kinds
    assert any(k.endswith("streamed") for k in kinds)


def _tampered(d):
    """A copy of draw d whose filter's first byte differs: the board must report it."""
    import copy

    t = copy.copy(d)
    blob = bytearray(d.blob)
    assert d.const_at > 0, "the draw has no constant operand"
    blob[d.const_at] ^= 0x7F
    t.blob = bytes(blob)
    return t


@pytest.mark.skipif(not have_qemu_tools(), reason="needs pio, arm-none-eabi-gcc and qemu-system-arm")
def test_serial_path_on_board():
    """The draws over the UART framing (DATA frames, RUN, GET on a difference), as a real
    board would take them: a few draws, and one whose weights were altered in transit is
    reported, not passed."""
    draws = [rt_campaign.prepare(f, SEED, i) for f in ("conv", "fc16", "pool") for i in range(2)]
    elf = rt_campaign.build_firmware("mps2_an386", jobs=1)
    board = rt_campaign.Board("mps2_an386", elf)
    try:
        for d in draws:
            assert rt_campaign.check_draw(board, d) == [], singleop.describe(d.spec)
        problems = rt_campaign.check_draw(board, _tampered(draws[0]))
        assert problems and "differ from tflite_micro" in problems[0], problems
    finally:
        board.close()


@pytest.mark.skipif(not have_qemu_tools(), reason="needs pio, arm-none-eabi-gcc and qemu-system-arm")
def test_campaign_bit_exact_on_boards():
    """COUNT draws per family, prepared once, on each of the five boards through one
    firmware per board; every output compared element by element with tflite_micro's."""
    draws, failures = rt_campaign.prepare_all(sorted(campaign.DRAWS), COUNT, SEED)
    assert len(draws) + len(failures) == sum(COUNT.values())
    # the check is live: an altered draw in the batch must come back as a difference
    probe = _tampered(draws[0])
    probe.index = -1
    failures += rt_campaign.run(sorted(campaign.DRAWS), campaign.BOARDS, COUNT, SEED, jobs=1,
                                draws=draws + [probe])
    caught = [f for f in failures if " draw -1 " in f]
    assert len(caught) == len(campaign.BOARDS), caught
    failures = [f for f in failures if " draw -1 " not in f]
    assert not failures, (f"campaign seed {SEED}, draws per family {COUNT}: {len(failures)} failures\n"
                          + "\n".join(failures[:30]))


@pytest.mark.skipif(not have_qemu_tools(), reason="needs pio, arm-none-eabi-gcc and qemu-system-arm")
def test_a_draw_that_stops_the_firmware_is_reported_and_the_rest_run():
    """A draw the firmware cannot even read (larger than its buffers) stops the batch: it is
    reported by name, QEMU restarts after it, the later draws still run and pass."""
    import copy

    draws = [rt_campaign.prepare("fc", SEED, i) for i in range(4)]
    poison = copy.copy(draws[1])
    poison.index = -7
    poison.blob = b"\0" * (rt_campaign.BLOB_BYTES + 16)
    failures = rt_campaign.run(["fc"], ["mps2_an386"], 0, SEED, jobs=1, draws=draws[:2] + [poison] + draws[2:])
    assert len(failures) == 1 and " draw -7 " in failures[0] and "stopped" in failures[0], failures


def test_the_firmware_makes_the_calls_the_generated_code_makes():
    """For a draw of every kernel kind (streamed or not), the emitted model calls the same
    kernel function the campaign firmware calls for that kind, through run_rows_in_place
    when streamed; the FC weight layout is chosen under the same condition on both sides.
    A template that changes its call fails here, not silently in the campaign."""
    seen = {}
    for fam in campaign.DRAWS:
        for i in range(100):  # the general GEMM entry (no fast requantization) is rare
            d = rt_campaign.prepare(fam, SEED, i, reference=False)
            seen.setdefault(d.kind, (fam, i))
    assert {k.split()[0] for k in seen} == set(rt_campaign.KINDS), sorted(seen)
    for kind, (fam, i) in sorted(seen.items()):
        spec = campaign.draw(fam, SEED, i)
        source = batch.convert_bytes("m", singleop.build(spec, campaign.draw_seed(fam, SEED, i))).emitted.source
        fn = kind.split()[0]
        assert re.search(r"::%s\(" % fn, source), (kind, singleop.describe(spec))
        assert ("run_rows_in_place" in source) == kind.endswith("streamed"), kind
    with open(os.path.join(rt_campaign.FIRMWARE_DIR, "main.cpp"), encoding="utf-8") as f:
        body = f.read()
    with open(os.path.join(batch.REPO, "scripts", "utensor", "templates", "ops", "fully_connected.j2"),
              encoding="utf-8") as f:
        template = f.read()
    condition = "#if UTENSOR_KERNELS_DSP && !UTENSOR_KERNELS_MVE"
    assert condition in template and condition in body
    for fn in rt_campaign.KINDS:
        assert f"k::{fn}(" in body, fn
