"""`utensor verify/run --board <PlatformIO board> --port <serial port>`: the real-board path.

No Arduino core or vendor platform can be installed here, so: the generated PlatformIO
project is checked (platform from the board id, Arduino framework, setup()/loop() main,
upload port); a missing platform is refused in seconds with the install command, before
any build or upload; and the whole SerialBackend path (`pio run -t upload`, settle, serial
port, HELLO, model check, inferences vs tflite_micro, BYE) runs against the host-compiled
harness firmware standing in for the board, with only the upload step replaced.
"""

import os
import shutil
import subprocess
import time

import numpy as np
import pytest

from utensor.errors import BoardError
from utensor.harness import backends, firmware, session

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SINE = os.path.join(ROOT, "examples", "hello_world", "models", "sine_int8.tflite")


def test_project_for_a_real_board(tmp_path):
    ini = firmware.platformio_ini([SINE], "nucleo_f446re", upload_port="/dev/ttyACM0")
    assert "platform = ststm32\n" in ini and "board = nucleo_f446re\n" in ini
    assert "framework = arduino\n" in ini and "upload_port = /dev/ttyACM0\n" in ini
    firmware.write_project(str(tmp_path), [SINE], "nucleo_f446re", upload_port="/dev/ttyACM0")
    main = (tmp_path / "src" / "main.cpp").read_text()
    assert "void setup() { utensor::harness::serve(); }" in main and "int main" not in main
    # An emulated board keeps its own main() and the local QEMU platform.
    firmware.write_project(str(tmp_path / "q"), [SINE], "mps2_an386")
    assert "int main()" in (tmp_path / "q" / "src" / "main.cpp").read_text()
    assert firmware.real_board_platform("nano33ble") == "nordicnrf52"
    assert firmware.real_board_platform("my_custom_board") is None
    with pytest.raises(BoardError, match="give its PlatformIO platform"):
        firmware.platformio_ini([SINE], "my_custom_board")


@pytest.mark.skipif(shutil.which("pio") is None, reason="needs pio")
def test_missing_platform_is_refused_before_building(capsys):
    from utensor.cli import main

    start = time.monotonic()
    code = main(["verify", SINE, "--board", "nucleo_f446re", "--port", "/dev/ttyACM0"])
    err = capsys.readouterr().err
    assert code == 1
    assert "platform 'ststm32', which is not installed" in err
    assert "pio pkg install --global --platform ststm32" in err
    assert time.monotonic() - start < 30  # pio itself would spend a minute on the registry


@pytest.fixture
def host_board(tmp_path):
    from utensor import convert, hostbuild

    if shutil.which(hostbuild.CXX) is None:
        pytest.skip("no host C++ compiler")
    gen = str(tmp_path / "gen")
    convert.convert_to_directory([SINE], gen)
    exe = str(tmp_path / "fw")
    srcs = [os.path.join(ROOT, s) for s in ("runtime/src/harness/serve.cpp", "runtime/src/harness/crc32.cpp",
                                            "scripts/utensor/harness/host/port_host.cpp",
                                            "scripts/utensor/harness/host/main.cpp")]
    generated = sorted(os.path.join(gen, f) for f in os.listdir(gen) if f.endswith(".cpp"))
    subprocess.run([hostbuild.CXX, *hostbuild.BASE_FLAGS, "-I", hostbuild.RUNTIME_INCLUDE, "-I", gen,
                    *srcs, *generated, hostbuild.runtime_library(False), "-o", exe], check=True)
    proc = subprocess.Popen([exe], stdout=subprocess.PIPE, env={**os.environ, "UTENSOR_HOST_PORT": "0"})
    port = int(proc.stdout.readline().split()[1])
    yield f"socket://127.0.0.1:{port}"
    if proc.poll() is None:
        proc.kill()
    proc.wait(5)


def test_serial_backend_path_end_to_end(host_board, tmp_path, monkeypatch):
    uploads = []
    built = []

    def fake_build(model_paths, board, build_dir, **ini):
        built.append((board, ini))
        return firmware.Firmware(str(tmp_path / "firmware.elf"), str(tmp_path), board, 1, 2, 3)

    monkeypatch.setattr(session, "build_firmware", fake_build)
    monkeypatch.setattr(backends, "run_pio", lambda project, targets=(): uploads.append(targets))
    from utensor.reference import Reference

    ref = Reference(open(SINE, "rb").read())
    with session.open_board(SINE, "nucleo_f446re", port=host_board, log=lambda s: None) as b:
        assert isinstance(b.backend, backends.SerialBackend)
        for v in (-100, 0, 55):
            x = np.full(b.model.inputs[0].shape, v, np.int8)
            (out,), _ = b.run([x])
            np.testing.assert_array_equal(out, ref.invoke([x])[0])
    assert uploads == [["upload"]]
    assert built[0][0] == "nucleo_f446re" and built[0][1]["platform"] is None
