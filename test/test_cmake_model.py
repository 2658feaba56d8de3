"""utensor_add_model() (runtime/cmake/utensor_add_model.cmake) from plain CMake with the
Arm toolchain file: examples/cmake_mps2 is configured, built for mps2_an386, run in QEMU,
and its printed outputs compared with TensorFlow Lite Micro. Also: the conversion is a
build step that reruns only when the model changes, and with Mbed CE's `mbed-core-flags`
target present the runtime and the model are compiled with its settings.
"""

import json
import os
import re
import shutil
import sys

import numpy as np
import pytest

import piohelp
from utensor import qemu
from utensor.reference import Reference

ROOT = piohelp.ROOT
EXAMPLE = os.path.join(ROOT, "examples", "cmake_mps2")
TOOLCHAIN = os.path.join(ROOT, "runtime", "cmake", "arm-none-eabi.cmake")

needs_cmake = pytest.mark.skipif(
    any(shutil.which(t) is None for t in ("cmake", "arm-none-eabi-g++", "qemu-system-arm")),
    reason="needs cmake, arm-none-eabi-g++ and qemu-system-arm")


def _configure(source, build, *extra):
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    return piohelp.run(["cmake", "-S", str(source), "-B", str(build),
                        "-DCMAKE_TOOLCHAIN_FILE=" + TOOLCHAIN, "-DUTENSOR_CPU=cortex-m4",
                        "-DUTENSOR_PYTHON=" + sys.executable, "-DUTENSOR_DIR=" + ROOT, *extra],
                       str(source), env)


def _build(build):
    return piohelp.run(["cmake", "--build", str(build), "-j2"], str(build))


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    work = tmp_path_factory.mktemp("cmake")
    source = work / "cmake_mps2"
    shutil.copytree(EXAMPLE, source, ignore=shutil.ignore_patterns("build"))
    build = work / "build"
    result = _configure(source, build)
    assert result.returncode == 0, piohelp.tail(result)
    result = _build(build)
    assert result.returncode == 0, piohelp.tail(result)
    assert "[utensor] sine_int8: 3 ops" in result.stdout
    return source, build


@needs_cmake
def test_firmware_output_matches_tflite_micro(built):
    _, build = built
    cmd = qemu.qemu_command("mps2_an386", str(build / "sine_app.elf"), "stdio")
    result = piohelp.run(["timeout", "60"] + cmd, str(build), timeout=90)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "utensor cmake_mps2: arena 32 bytes" in result.stdout
    pairs = re.findall(r"q_in = +(-?\d+)  q_out = +(-?\d+)", result.stdout)
    assert len(pairs) == 9
    with open(os.path.join(EXAMPLE, "models", "sine_int8.tflite"), "rb") as f:
        ref = Reference(f.read())
    for q_in, q_out in pairs:
        expected = ref.invoke([np.array([[int(q_in)]], dtype=np.int8)])[0]
        assert int(q_out) == int(expected.reshape(-1)[0]), (q_in, q_out)


@needs_cmake
def test_conversion_reruns_only_when_the_model_changes(built):
    source, build = built
    again = _build(build)
    assert again.returncode == 0 and "utensor: converting" not in again.stdout
    model = source / "models" / "sine_int8.tflite"
    os.utime(model, None)
    touched = _build(build)
    assert touched.returncode == 0, piohelp.tail(touched)
    assert "utensor: converting" in touched.stdout
    assert "Linking CXX executable sine_app.elf" in touched.stdout


@needs_cmake
def test_missing_model_fails_at_configure(tmp_path):
    source = tmp_path / "app"
    shutil.copytree(EXAMPLE, source)
    cml = source / "CMakeLists.txt"
    cml.write_text(cml.read_text().replace("models/sine_int8.tflite", "models/nope.tflite"))
    result = _configure(source, tmp_path / "build")
    assert result.returncode != 0
    assert "models/nope.tflite not found (paths are relative to" in " ".join(result.stderr.split())


@needs_cmake
def test_mbed_core_flags_reach_runtime_and_model(tmp_path):
    """A stand-in for Mbed CE's mbed-core-flags: its definitions and includes (where
    mbed_config.h would set UTENSOR_ARENA_ATTRIBUTE) apply to the runtime and the model."""
    source = tmp_path / "app"
    shutil.copytree(EXAMPLE, source)
    cml = source / "CMakeLists.txt"
    text = cml.read_text().replace(
        'add_subdirectory("${UTENSOR_DIR}"',
        'add_library(mbed-core-flags INTERFACE)\n'
        'target_compile_definitions(mbed-core-flags INTERFACE MBED_STAND_IN=1\n'
        '  "UTENSOR_ARENA_ATTRIBUTE=__attribute__((section(\\".bss.utensor_arena\\")))")\n'
        'add_subdirectory("${UTENSOR_DIR}"', 1)
    cml.write_text(text)
    build = tmp_path / "build"
    result = _configure(source, build, "-DCMAKE_EXPORT_COMPILE_COMMANDS=ON")
    assert result.returncode == 0, piohelp.tail(result)
    with open(build / "compile_commands.json") as f:
        commands = json.load(f)
    by_file = {os.path.basename(c["file"]): c["command"] for c in commands}
    assert "MBED_STAND_IN=1" in by_file["sine_int8.cpp"]
    assert "MBED_STAND_IN=1" in by_file["context.cpp"]
    result = _build(build)
    assert result.returncode == 0, piohelp.tail(result)
    obj = build / "CMakeFiles" / "sine_app.dir" / "utensor_gen" / "sine_app" / "sine_int8.cpp.obj"
    headers = piohelp.run(["arm-none-eabi-objdump", "-h", str(obj)], str(build)).stdout
    assert ".bss.utensor_arena" in headers, headers
