"""The shape sweep (`utensor bench --sweep`, scripts/utensor/bench/sweep.py): the reduced
grid on M4 and M55, ours and the portable reference kernels, every point bit-exact against
tflite_micro, its BENCHMARKS.md section and plot written without touching the rest."""

import json
import os
import subprocess
import sys

import pytest

from opcheck import have_qemu_tools
from utensor.bench import singleop, sweep

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_grid_covers_the_issue_families():
    full = sweep.grid()
    kinds = {(p["op"], tuple(p.get("kernel", ())), tuple(p.get("stride", ())), tuple(p.get("dilation", ())))
             for p in full}
    for k in [(1, 1), (3, 3), (5, 5), (7, 7), (1, 5), (5, 1)]:
        for s in (1, 2):
            assert ("CONV_2D", k, (s, s), (1, 1)) in kinds
    assert {p.get("multiplier") for p in full if p["op"] == "DEPTHWISE_CONV_2D"} == {1, 2, 4, 8}
    fc = {(p["input"][1], p["units"]) for p in full if p["op"] == "FULLY_CONNECTED"}
    assert (1, 1) in fc and (1024, 1024) in fc
    assert {p["kernel"][0] for p in full if p["op"] == "MAX_POOL_2D"} == set(range(2, 8))
    assert max(singleop.macs(p) for p in full if p["op"] == "ADD") == 65536
    assert sweep.grid() == full and sweep.grid(seed=1) != full  # seeded


def test_section_is_replaced_and_the_rest_kept(tmp_path):
    md = tmp_path / "B.md"
    md.write_text("# Benchmarks\n\nbody\n")
    sweep.write_section(str(md), f"{sweep.BEGIN}\none\n{sweep.END}\n")
    sweep.write_section(str(md), f"{sweep.BEGIN}\ntwo\n{sweep.END}\n")
    text = md.read_text()
    assert text.startswith("# Benchmarks\n\nbody\n") and "two" in text and "one" not in text
    assert text.count(sweep.BEGIN) == 1
    kept = sweep.keep_section(text, "# Benchmarks\n\nnew body\n")
    assert "new body" in kept and "two" in kept


@pytest.mark.skipif(not have_qemu_tools(), reason="needs pio, arm-none-eabi-gcc and qemu-system-arm")
def test_reduced_sweep_on_m4_and_m55(tmp_path):
    pytest.importorskip("matplotlib")
    md = tmp_path / "BENCHMARKS.md"
    md.write_text("# Benchmarks\n\nkept\n")
    js = tmp_path / "sweep.json"
    env = dict(os.environ, PYTHONPATH=os.path.join(REPO, "scripts"))
    r = subprocess.run([sys.executable, "-m", "utensor", "bench", "--sweep", "--grid", "reduced",
                        "--markdown", str(md), "--json", str(js), "--jobs", "1"],
                       env=env, text=True, capture_output=True, check=False)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    run = json.loads(js.read_text())
    assert run["boards"] == list(sweep.BOARDS)
    rows = run["rows"]
    assert len(rows) == 2 * len(sweep.grid(reduced=True))
    for row in rows:
        assert row["bit_exact"] and row["reference_bit_exact"], row
        assert row["instructions"] > 0 and row["reference_instructions"] > 0
    text = md.read_text()
    assert text.startswith("# Benchmarks\n\nkept\n")
    assert "Slowest 10 conv/depthwise/FC points on the M4" in text and "on the M55" in text
    assert (tmp_path / sweep.PLOT).stat().st_size > 10_000
