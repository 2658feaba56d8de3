"""`utensor verify` and `utensor run` end to end on QEMU: the converter, the runtime, the
PlatformIO dev-platform, the harness firmware and the serial protocol together, judged
against tflite_micro.

Needs pio, arm-none-eabi-gcc and qemu-system-arm (skipped otherwise); about a minute.
"""

import json
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))

from utensor import convert  # noqa: E402
from utensor.cli import main as cli_main  # noqa: E402
from utensor.errors import HarnessError  # noqa: E402
from utensor.reference import Reference  # noqa: E402

AD01 = "/work/shared/models/mlperf_tiny/ad01_int8.tflite"
SINE = os.path.join(ROOT, "examples", "hello_world", "models", "sine_int8.tflite")
TOOLS = ("pio", "arm-none-eabi-gcc", "qemu-system-arm")

pytestmark = pytest.mark.skipif(
    any(shutil.which(t) is None for t in TOOLS) or not os.path.isfile(AD01),
    reason="needs %s and the MLPerf Tiny models" % ", ".join(TOOLS),
)


@pytest.fixture(scope="module")
def build_dir(tmp_path_factory):
    return str(tmp_path_factory.mktemp("verify_ad01"))


def _utensor(*args):
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "scripts"))
    return subprocess.run([sys.executable, "-m", "utensor", *args], env=env, text=True,
                          capture_output=True, timeout=900)


def test_verify_ad01_int8_on_mps2_an386_is_bit_exact(build_dir, tmp_path):
    report = tmp_path / "ad01.json"
    r = _utensor("verify", AD01, "--board", "mps2_an386", "--samples", "20", "--seed", "7",
                 "--json", str(report), "--build-dir", build_dir)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "PASS: ad01_int8 on mps2_an386: 20/20 samples match; bit-exact" in r.stdout
    data = json.loads(report.read_text())
    assert data["model"] == "ad01_int8" and data["board"] == "mps2_an386"
    assert data["samples"] == 20 and data["bit_exact"] is True and data["ok"] is True
    assert data["max_abs_error"] == 0 and data["max_rel_error"] == 0
    assert data["counter_unit"] == "instructions"
    # What the firmware reports is what the converter planned.
    plan = convert.convert_file(AD01)
    assert data["arena_bytes"] == plan.plan.arena_bytes
    assert data["weights_bytes"] == plan.emitted.weight_bytes
    assert data["flash_bytes"] >= data["weights_bytes"] and data["ram_bytes"] >= data["arena_bytes"]
    # Budget: the harness and runtime add little static RAM beyond the arena (the frame
    # buffers are 2 x 266 bytes).
    assert data["ram_bytes"] - data["arena_bytes"] < 2048
    # 0.26 M MACs: at least one instruction each, and far from a runaway loop.
    n = data["instructions_per_inference"]
    assert 264_192 < n < 20_000_000
    assert data["instructions_min"] <= n <= data["instructions_max"]
    assert data["counter_source"] in ("qemu-plugin", "port")
    assert data["serial_retries"] == 0


def test_run_prints_and_saves_the_reference_equal_outputs(build_dir, tmp_path):
    x = np.random.default_rng(3).integers(-128, 128, size=(1, 640), dtype=np.int8)
    np.save(tmp_path / "x.npy", x)
    out = tmp_path / "y.npy"
    r = _utensor("run", AD01, "--board", "mps2_an386", "--input", str(tmp_path / "x.npy"),
                 "--output", str(out), "--build-dir", build_dir)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "output 0 'Identity' int8 [1, 640]: bit-exact with the TFLite Micro reference" in r.stdout
    assert "instructions per inference:" in r.stdout
    with open(AD01, "rb") as f:
        want = Reference(f.read()).invoke([x])[0]
    got = np.load(out)
    assert got.dtype == np.int8 and got.shape == (1, 640)
    np.testing.assert_array_equal(got, want)


def test_verify_fails_when_an_output_differs(build_dir, monkeypatch, capsys):
    """The verdict can fail: a reference off by one in one element must give exit 1."""
    import utensor.reference as reference

    class OffByOne(reference.Reference):
        def invoke(self, inputs):
            outs = super().invoke(inputs)
            outs[0] = outs[0].copy()
            outs[0].flat[5] = np.int8(outs[0].flat[5] ^ 1)
            return outs

    monkeypatch.setattr(reference, "Reference", OffByOne)
    code = cli_main(["verify", AD01, "--board", "mps2_an386", "--samples", "2",
                     "--build-dir", build_dir])
    out = capsys.readouterr().out
    assert code == 1
    assert "FAIL: ad01_int8 on mps2_an386: 0/2 samples match" in out
    assert "1 of 640 elements differ" in out and "ERROR at pos 5" in out


def test_verify_from_file_on_the_16kb_microbit(tmp_path):
    q = np.arange(-128, 127, 37, dtype=np.int8).reshape(7, 1, 1)  # a batch of 7 samples
    np.save(tmp_path / "x.npy", q)
    report = tmp_path / "sine.json"
    r = _utensor("verify", SINE, "--board", "microbit", "--input", str(tmp_path / "x.npy"),
                 "--samples", "0", "--json", str(report), "--build-dir", str(tmp_path / "fw"))
    assert r.returncode == 0, r.stdout + r.stderr
    data = json.loads(report.read_text())
    assert data["samples"] == 7 and data["bit_exact"] is True
    assert data["ram_bytes"] < 16 * 1024


def test_a_board_running_another_model_is_refused(build_dir, tmp_path):
    # The ad01 firmware's HELLO reports ad01's sha256: asking it to verify the sine model
    # must stop before any sample is compared.
    from utensor.harness.backends import QemuBackend
    from utensor.harness.firmware import build_firmware
    from utensor.harness.session import open_board

    fw = build_firmware([AD01], "mps2_an386", build_dir)
    backend = QemuBackend("mps2_an386", exact_count=False)
    url = backend.start(fw)
    try:
        with pytest.raises(HarnessError, match="was not built from .*sine_int8.tflite"):
            with open_board(SINE, "host-qemu", port=url, flash=False):
                pass
    finally:
        backend.close()
