"""Link-time optimization keeps the Arm kernels bit-exact (issue 16): `utensor verify
--build-flags=-flto` builds the harness firmware with LTO (every object GIMPLE, the DSP
and Helium assembly emitted at link time) and checks kws and ad01 against TFLite Micro
on the Cortex-M4 (mps2_an386) and M55 (mps3_an547) boards. Also: --build-flags reaches
the firmware project, which gets its own cached folder.

Needs pio, arm-none-eabi-gcc and qemu-system-arm; about two minutes the first time.
"""

import os
import re
import shutil
import subprocess
import sys

import pytest

from conftest import MODELS_DIR
from utensor.harness import firmware

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOOLS = ("pio", "arm-none-eabi-gcc", "qemu-system-arm")
needs_boards = pytest.mark.skipif(
    any(shutil.which(t) is None for t in TOOLS) or not os.path.isdir(MODELS_DIR),
    reason="needs %s and the MLPerf Tiny models" % ", ".join(TOOLS))


def test_build_flags_in_project_and_build_dir():
    model = os.path.join(MODELS_DIR, "kws_ref_model.tflite")
    ini = firmware.platformio_ini([model], "mps2_an386", build_flags=["-flto"])
    assert "\nbuild_flags = -flto\n" in ini
    plain = firmware.default_build_dir([model], "mps2_an386")
    assert firmware.default_build_dir([model], "mps2_an386", ()) == plain
    assert firmware.default_build_dir([model], "mps2_an386", ["-flto"]) != plain


@needs_boards
@pytest.mark.parametrize("board", ["mps2_an386", "mps3_an547"])
@pytest.mark.parametrize("model", ["kws_ref_model", "ad01_int8"])
def test_lto_firmware_is_bit_exact(board, model):
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "scripts"))
    r = subprocess.run([sys.executable, "-m", "utensor", "verify",
                        os.path.join(MODELS_DIR, model + ".tflite"), "--board", board,
                        "--samples", "3", "--build-flags=-flto"],
                       env=env, capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"PASS: {model} on {board}: 3/3 samples match; bit-exact" in r.stdout, r.stdout
    # The firmware was linked from GIMPLE objects: LTO really was on.
    elf = re.search(r"\[utensor\] (\S+firmware\.elf): flash", r.stdout + r.stderr).group(1)
    build = os.path.dirname(elf)
    with open(os.path.join(build, "..", "..", "..", "platformio.ini"), encoding="utf-8") as f:
        assert "build_flags = -flto" in f.read()
    main_o = os.path.join(build, "src", "main.o")
    sections = subprocess.run(["arm-none-eabi-objdump", "-h", main_o], capture_output=True,
                              text=True).stdout
    assert ".gnu.lto_" in sections, sections
