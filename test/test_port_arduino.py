"""The Arduino board port (runtime/src/port/arduino.cpp) and the DWT cycle-counter helper
(utensor/port_cortexm.hpp), without an Arduino core: compiled on the host against the fake
core in test/cpp/port/Arduino.h and run there (init, timeouts, counter, and the whole
harness firmware answering HELLO/MODEL_INFO/SET_INPUT/INVOKE/GET_OUTPUT/BYE over the fake
Serial); cross-compiled with arm-none-eabi-g++ for every Cortex-M core utensor targets.
Not tested here: a real Arduino core's Serial and USB CDC, and DWT on silicon."""

import os
import shutil
import subprocess

import numpy as np
import pytest

from utensor.harness import protocol as p

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PORT_SRC = os.path.join(ROOT, "runtime", "src", "port", "arduino.cpp")
FAKE_DIR = os.path.join(ROOT, "test", "cpp", "port")
FLAGS = ["-std=gnu++11", "-Wall", "-Wextra", "-Werror", "-fno-exceptions", "-fno-rtti",
         "-DARDUINO=10819", "-I", FAKE_DIR, "-I", os.path.join(ROOT, "runtime", "include")]


@pytest.fixture(scope="module")
def check_exe(tmp_path_factory):
    if shutil.which("g++") is None:
        pytest.skip("no host g++")
    exe = str(tmp_path_factory.mktemp("arduino") / "check")
    sources = [PORT_SRC, os.path.join(FAKE_DIR, "arduino_port_check.cpp"),
               os.path.join(ROOT, "runtime/src/harness/serve.cpp"),
               os.path.join(ROOT, "runtime/src/harness/crc32.cpp"),
               os.path.join(ROOT, "test/harness/toy_models.cpp")]
    subprocess.run(["g++", *FLAGS, "-fsanitize=address,undefined", "-g", *sources, "-o", exe],
                   check=True)
    return exe


def test_port_functions_on_the_fake_core(check_exe):
    out = subprocess.run([check_exe, "unit"], stdout=subprocess.PIPE, text=True, check=True).stdout
    assert out.split("\n")[:4] == ["ok init", "ok read", "ok write", "ok counter microseconds"]


def test_harness_firmware_over_the_arduino_port(check_exe):
    session = 0x1234ABCD
    x0 = np.arange(1000, dtype=np.int64).astype(np.int8)
    x1 = np.array([1.5, -2, 3, 0, 0.25, 8], np.float32)
    requests = [(p.HELLO, p.SESSION.pack(session)), (p.MODEL_INFO, bytes([0]))]
    for idx, data in ((0, x0.tobytes()), (1, x1.tobytes())):
        for off, n in p.chunks(len(data), p.INPUT_CHUNK):
            requests.append((p.SET_INPUT, p.with_session(
                session, p.encode_set_input(0, idx, off, data[off:off + n]))))
    requests += [(p.INVOKE, p.with_session(session, bytes([0]))),
                 (p.GET_OUTPUT, p.with_session(session, p.encode_get_output(0, 1, 0, 24))),
                 (p.BYE, b"")]
    stream = b"".join(p.encode_frame(t, i, payload) for i, (t, payload) in enumerate(requests))
    r = subprocess.run([check_exe, "serve"], input=stream, stdout=subprocess.PIPE, timeout=60)
    assert r.returncode == 0, r.returncode  # the port flushed before idling
    frames = [f for f in p.Decoder().feed(r.stdout)]
    assert [f.type for f in frames] == [t | p.REPLY for t, _ in requests]
    hello = p.decode_hello(frames[0].payload)
    assert (hello.session, hello.counter_unit) == (session, "microseconds")
    assert p.decode_model_info(frames[1].payload).name == "toy_add"
    status, _ = p.decode_invoke(frames[-3].payload)
    assert status == 0
    np.testing.assert_array_equal(np.frombuffer(frames[-2].payload, np.float32), x1 * np.float32(2.5))


@pytest.mark.parametrize("cpu,dwt", [("cortex-m0", False), ("cortex-m0plus", False),
                                     ("cortex-m3", True), ("cortex-m4", True),
                                     ("cortex-m7", True), ("cortex-m33", True),
                                     ("cortex-m55", True)])
def test_cross_compiles_for_cortex_m(tmp_path, cpu, dwt):
    gxx = shutil.which("arm-none-eabi-g++")
    if gxx is None:
        pytest.skip("no arm-none-eabi-g++")
    obj = str(tmp_path / "arduino.o")
    subprocess.run([gxx, *FLAGS, "-mthumb", f"-mcpu={cpu}", "-Os", "-c", PORT_SRC, "-o", obj],
                   check=True)
    syms = subprocess.run(["arm-none-eabi-nm", obj], stdout=subprocess.PIPE, text=True).stdout
    for name in ("init", "write", "read_byte", "cycles", "counter_unit", "exit"):
        assert f" T utensor_port_{name}" in syms
    # The DWT registers (DWT_CTRL's address in the literal pool) only where cores have them.
    text = subprocess.run(["arm-none-eabi-objdump", "-d", obj], stdout=subprocess.PIPE,
                          text=True).stdout
    assert ("e0001000" in text) == dwt


def test_without_arduino_the_port_is_empty(tmp_path):
    obj = str(tmp_path / "empty.o")
    subprocess.run(["g++", "-std=c++11", "-Wall", "-Wextra", "-Werror", "-I",
                    os.path.join(ROOT, "runtime", "include"), "-c", PORT_SRC, "-o", obj], check=True)
    assert subprocess.run(["nm", obj], stdout=subprocess.PIPE, text=True).stdout.strip() == ""
