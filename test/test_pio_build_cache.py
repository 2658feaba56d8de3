"""PlatformIO's shared object cache (utensor.paths.pio_build_cache) for the firmware projects
utensor writes: the runtime compiles once per board and flags, not once per model.

The cache is content-keyed (command line, source and included headers), so a hit is the
same object a fresh compile makes; what can break silently is the hit rate (an absolute
project path in the flags would make every project miss). Two projects for different
models on one board: the second must take the runtime from the cache and add only its
own model's objects, and both firmwares must still answer like tflite_micro.
"""

import os
import shutil
import subprocess
import sys

import pytest

from opcheck import have_qemu_tools

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SINE = os.path.join(ROOT, "examples", "hello_world", "models", "sine_int8.tflite")
BOARD = "mps2_an385"


def cached_objects(cache_dir):
    return sum(len(files) for _, _, files in os.walk(cache_dir))


def test_every_generated_project_names_the_cache(tmp_path, monkeypatch):
    from utensor.bench import batch, rt_campaign
    from utensor.bench import firmware as bench_firmware
    from utensor.harness import firmware
    from utensor.paths import pio_build_cache

    monkeypatch.setenv("UTENSOR_CACHE", str(tmp_path))
    line = f"build_cache_dir = {tmp_path / 'pio-build-cache'}\n"
    assert pio_build_cache() == str(tmp_path / "pio-build-cache")
    assert line in firmware.platformio_ini([SINE], "mps2_an386")
    assert line in firmware.platformio_ini([SINE], "nucleo_f446re", upload_port="/dev/ttyACM0")
    assert line in bench_firmware.platformio_ini("mps2_an386", SINE)
    project = tmp_path / "batch"
    (project / "src").mkdir(parents=True)
    batch.write_project(str(project), "mps2_an386", [], [])
    assert line in (project / "platformio.ini").read_text()
    rt_campaign.write_project(str(tmp_path / "rt"), "mps2_an386")
    assert line in (tmp_path / "rt" / "platformio.ini").read_text()


def _verify(model, build_dir, cache):
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "scripts"), UTENSOR_CACHE=cache)
    r = subprocess.run([sys.executable, "-m", "utensor", "verify", model, "--board", BOARD,
                        "--samples", "5", "--build-dir", build_dir],
                       env=env, text=True, capture_output=True, timeout=900)
    assert r.returncode == 0 and "bit-exact" in r.stdout, r.stdout + r.stderr


@pytest.mark.skipif(not have_qemu_tools() or shutil.which("pio") is None,
                    reason="needs pio, arm-none-eabi-gcc and qemu-system-arm")
def test_second_model_takes_the_runtime_from_the_cache(tmp_path):
    from utensor.bench import singleop

    cache = str(tmp_path / "cache")
    objects = os.path.join(cache, "pio-build-cache")
    fc = tmp_path / "fc.tflite"
    fc.write_bytes(singleop.build({"op": "FULLY_CONNECTED", "input": [1, 24], "units": 7,
                                   "activation": "RELU"}, seed=3))
    _verify(SINE, str(tmp_path / "a"), cache)
    after_first = cached_objects(objects)
    _verify(str(fc), str(tmp_path / "b"), cache)  # bit-exact from cached runtime objects
    added = cached_objects(objects) - after_first
    # The first project fills the cache with the runtime (~70 objects); the second adds
    # its generated model, main and registry.
    assert after_first >= 40, after_first
    assert 0 < added <= 8, f"{added} new objects: the runtime was compiled again"
