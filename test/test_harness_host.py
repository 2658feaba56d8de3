"""The harness firmware compiled for the host, driven by the real HarnessClient.

The firmware (runtime/src/harness/) runs as a host process whose "UART" is a TCP socket
(scripts/utensor/harness/host/port_host.cpp), reached through pyserial's socket:// URL as
QEMU is. The models are hand-written (test/harness/toy_models.cpp) so the expected
outputs are computed here independently. Faults are injected between the client and the
socket: flipped and dropped bytes in both directions must cost retries, never a wrong
result; a silent board must end in HarnessError within a bounded time.
"""

import hashlib
import os
import shutil
import socket
import subprocess
import threading
import time

import numpy as np
import pytest
import serial

from utensor.errors import HarnessError
from utensor.harness import protocol as p
from utensor.harness.client import HarnessClient

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCES = [
    os.path.join(ROOT, "runtime/src/harness/serve.cpp"),
    os.path.join(ROOT, "runtime/src/harness/crc32.cpp"),
    os.path.join(ROOT, "scripts/utensor/harness/host/port_host.cpp"),
    os.path.join(ROOT, "scripts/utensor/harness/host/main.cpp"),
    os.path.join(ROOT, "test/harness/toy_models.cpp"),
]


@pytest.fixture(scope="module")
def firmware(tmp_path_factory):
    if shutil.which("g++") is None:
        pytest.skip("no host g++")
    exe = str(tmp_path_factory.mktemp("harness") / "harness_fw")
    cmd = ["g++", "-std=c++11", "-Wall", "-Wextra", "-Werror", "-fno-exceptions", "-fno-rtti",
           "-fsanitize=address,undefined", "-g", "-I", os.path.join(ROOT, "runtime/include"),
           *SOURCES, "-o", exe]
    subprocess.run(cmd, check=True)
    return exe


class Board:
    """One running host firmware and its socket URL."""

    def __init__(self, exe):
        self.proc = subprocess.Popen([exe], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     env={**os.environ, "UTENSOR_HOST_PORT": "0"})
        line = self.proc.stdout.readline().decode()
        assert line.startswith("utensor-host-port "), line
        self.url = f"socket://127.0.0.1:{int(line.split()[1])}"

    def stop(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(5)


@pytest.fixture
def board(firmware):
    b = Board(firmware)
    yield b
    b.stop()


class FaultySerial:
    """A pyserial object with scheduled faults.

    Faults are keyed by (request type, occurrence), e.g. (p.INVOKE, 0) is the first INVOKE
    frame written. write_faults: that frame gets byte `pos` flipped ("flip") or removed
    ("drop"). read_faults: the pos-th byte received after that frame is flipped or removed.
    """

    def __init__(self, url, write_faults=None, read_faults=None):
        self.inner = serial.serial_for_url(url, timeout=0.05)
        self.write_faults = dict(write_faults or {})
        self.read_faults = dict(read_faults or {})
        self.seen = {}
        self.read_fault = None  # [kind, bytes still to pass before the fault]
        self.log = []

    def write(self, data):
        data = bytearray(data)
        key = (data[2], self.seen.get(data[2], 0))
        self.seen[data[2]] = key[1] + 1
        fault = self.write_faults.pop(key, None)
        if fault:
            kind, pos = fault
            if kind == "flip":
                data[pos] ^= 0x10
            else:
                del data[pos]
            self.log.append(("write", key, kind))
        if key in self.read_faults:
            self.read_fault = list(self.read_faults.pop(key))
        return self.inner.write(bytes(data))

    def read(self, n):
        data = bytearray(self.inner.read(n))
        if self.read_fault and data:
            kind, pos = self.read_fault
            if pos < len(data):
                if kind == "flip":
                    data[pos] ^= 0x01
                else:
                    del data[pos]
                self.log.append(("read", kind))
                self.read_fault = None
            else:
                self.read_fault[1] -= len(data)
        return bytes(data)

    @property
    def in_waiting(self):
        return self.inner.in_waiting

    def flush(self):
        self.inner.flush()

    def reset_input_buffer(self):
        self.inner.reset_input_buffer()

    def close(self):
        self.inner.close()


def toy_inputs(seed=0):
    rng = np.random.default_rng(seed)
    x0 = rng.integers(-128, 128, size=(1, 1000), dtype=np.int8)
    x0[0, :3] = [127, -128, 126]  # saturation at the top must be seen
    x1 = rng.standard_normal((2, 3)).astype(np.float32)
    return [x0, x1]


def expected(inputs):
    x0, x1 = inputs
    return [np.minimum(x0.astype(np.int32) + 1, 127).astype(np.int8), x1 * np.float32(2.5)]


def assert_toy_outputs(outputs, inputs):
    want = expected(inputs)
    assert outputs[0].dtype == np.int8 and outputs[0].shape == (1, 1000)
    np.testing.assert_array_equal(outputs[0], want[0])
    assert outputs[1].dtype == np.float32 and outputs[1].shape == (2, 3)
    np.testing.assert_array_equal(outputs[1], want[1])


def test_hello_reports_every_descriptor(board):
    with HarnessClient(board.url, timeout_s=2) as c:
        info = c.hello()
    assert info.protocol_version == p.PROTOCOL_VERSION
    assert info.runtime_version == 100
    assert info.counter_unit == "nanoseconds"
    assert [m.name for m in info.models] == ["toy_add", "toy_fail"]
    add = info.models[0]
    assert add.sha256 == "0123456789abcdef" * 4 and add.arena_bytes == 2048
    assert add.runtime_version == 100 and add.weight_bytes == 0
    i0, i1 = add.inputs
    assert (i0.name, i0.dtype, i0.shape, i0.scale, i0.zero_point, i0.bytes) == \
        ("input_int8", "int8", (1, 1000), 0.5, -3, 1000)
    assert (i1.name, i1.dtype, i1.shape, i1.bytes) == ("input_float", "float32", (2, 3), 24)
    assert [o.name for o in add.outputs] == ["output_int8", "output_float"]
    assert add.outputs[0].zero_point == -2


def test_run_returns_outputs_and_counter(board):
    with HarnessClient(board.url, timeout_s=2) as c:
        for seed in range(3):
            inputs = toy_inputs(seed)
            outputs, counter = c.run(0, inputs)
            assert_toy_outputs(outputs, inputs)
            assert counter > 0
        assert c.stats["retries"] == 0


def test_garbage_on_the_line_is_ignored(board):
    with HarnessClient(board.url, timeout_s=2) as c:
        c._port.write(bytes([0xA5, 0x00, 0xA5, 0xA5, 0x13, 0x5A, 0xFF]) * 5)
        inputs = toy_inputs(1)
        outputs, _ = c.run(0, inputs)
    assert_toy_outputs(outputs, inputs)


@pytest.mark.parametrize(
    "write_faults,read_faults",
    [
        ({(p.INVOKE, 0): ("flip", 7)}, {}),  # damaged request: NACK bad CRC
        ({(p.SET_INPUT, 1): ("drop", 100)}, {}),  # short SET_INPUT: firmware times out, NACK
        ({(p.INVOKE, 0): ("drop", 3)}, {}),  # seq byte lost: firmware gets a bad frame
        ({}, {(p.INVOKE, 0): ("flip", 8)}),  # damaged INVOKE reply: retry must be replayed
        ({}, {(p.INVOKE, 0): ("drop", 8)}),  # short INVOKE reply: host timeout, replay
        ({}, {(p.GET_OUTPUT, 2): ("flip", 40)}),  # damaged output chunk
        ({}, {(p.HELLO, 0): ("drop", 0)}),  # the HELLO reply's first sync byte lost
    ],
    ids=["req-flip", "req-drop", "req-drop-seq", "reply-flip", "reply-drop", "out-flip", "hello-drop"],
)
def test_damaged_bytes_cost_a_retry_not_a_wrong_result(board, write_faults, read_faults):
    link = FaultySerial(board.url, write_faults, read_faults)
    c = HarnessClient(serial=link, timeout_s=1.0, invoke_timeout_s=60)
    inputs = toy_inputs(2)
    start = time.monotonic()
    outputs, _ = c.run(0, inputs)
    # A reply cut short is noticed after timeout_s, not after INVOKE's long timeout.
    assert time.monotonic() - start < 10
    # Had the retried INVOKE run twice, output 0 would be computed from zeroed inputs.
    assert_toy_outputs(outputs, inputs)
    assert len(link.log) == 1, "the fault was not injected"
    assert c.stats["retries"] >= 1
    outputs, _ = c.run(0, toy_inputs(3))  # the link is healthy again
    assert_toy_outputs(outputs, toy_inputs(3))
    c.close()


class NoisyLink(FaultySerial):
    """Every written frame and every received chunk is damaged with probability `p`."""

    def __init__(self, url, p, seed):
        super().__init__(url)
        self.rng = np.random.default_rng(seed)
        self.p = p

    def write(self, data):
        data = bytearray(data)
        if self.rng.random() < self.p:
            pos = int(self.rng.integers(len(data)))
            if self.rng.random() < 0.5:
                data[pos] ^= 1 << int(self.rng.integers(8))
            else:
                del data[pos]
            self.log.append("write")
        return self.inner.write(bytes(data))

    def read(self, n):
        data = bytearray(self.inner.read(n))
        if data and self.rng.random() < self.p:
            pos = int(self.rng.integers(len(data)))
            if self.rng.random() < 0.5:
                data[pos] ^= 1 << int(self.rng.integers(8))
            else:
                del data[pos]
            self.log.append("read")
        return bytes(data)


def test_random_line_noise_never_gives_a_wrong_result(board):
    link = NoisyLink(board.url, p=0.03, seed=1234)
    c = HarnessClient(serial=link, timeout_s=0.5, retries=8)
    for seed in range(25):
        inputs = toy_inputs(seed)
        outputs, _ = c.run(0, inputs)
        assert_toy_outputs(outputs, inputs)
    assert len(link.log) >= 5, "too little noise to mean anything"
    assert c.stats["retries"] >= len(link.log) // 2
    c.close()


def test_persistent_corruption_ends_in_harness_error(board):
    link = FaultySerial(board.url, {(p.MODEL_INFO, i): ("flip", 2) for i in range(10)})
    c = HarnessClient(serial=link, timeout_s=1.0, retries=3)
    with pytest.raises(HarnessError, match="MODEL_INFO failed 4 times.*NACK \\(bad CRC\\)"):
        c.hello()
    c.close()


def test_silent_board_times_out_with_a_clear_error():
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    accepted = []
    t = threading.Thread(target=lambda: accepted.append(srv.accept()), daemon=True)
    t.start()
    url = f"socket://127.0.0.1:{srv.getsockname()[1]}"
    start = time.monotonic()
    with HarnessClient(url, timeout_s=0.5, retries=2, boot_s=1.0) as c:
        with pytest.raises(HarnessError, match="did not answer HELLO \\(3 attempts, 0.5 s each\\)"):
            c.hello()
    assert time.monotonic() - start < 5
    srv.close()


def test_unreachable_port_is_a_harness_error():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    with pytest.raises(HarnessError, match="cannot open the board's serial port"):
        HarnessClient(f"socket://127.0.0.1:{port}")


def test_failing_invoke_reports_the_status(board):
    with HarnessClient(board.url) as c:
        with pytest.raises(HarnessError, match=r"toy_fail returned runtime status 10 \(unsupported\)"):
            c.run(1, [np.zeros(4, np.int8)])  # Status::unsupported is the 11th entry


def test_bad_requests_get_errors_not_retries(board):
    with HarnessClient(board.url, timeout_s=1.0) as c:
        with pytest.raises(HarnessError, match="no such model"):
            c.request(p.MODEL_INFO, bytes([7]))
        # Before any HELLO the board has no session: arena requests are refused.
        with pytest.raises(HarnessError, match="session lost"):
            c.request(p.SET_INPUT, p.with_session(1, p.encode_set_input(0, 0, 0, b"abc")))
        session = c.hello().session
        with pytest.raises(HarnessError, match="session lost"):
            c.request(p.INVOKE, p.with_session(session ^ 1, bytes([0])))
        with pytest.raises(HarnessError, match="outside the tensor"):
            c.request(p.SET_INPUT, p.with_session(session, p.encode_set_input(0, 0, 998, b"abc")))
        with pytest.raises(HarnessError, match="outside the tensor"):
            c.request(p.GET_OUTPUT, p.with_session(session, p.encode_get_output(0, 1, 0, 25)))
        with pytest.raises(HarnessError, match="unknown message type"):
            c.request(0x42)
        assert c.stats["retries"] == c.retries  # only the unknown type was retried
        with pytest.raises(HarnessError, match="takes 2 input"):
            c.run(0, [np.zeros((1, 1000), np.int8)])
        with pytest.raises(HarnessError, match="needs shape \\(2, 3\\)"):
            c.run(0, [np.zeros((1, 1000), np.int8), np.zeros(5, np.float32)])


def test_bye_exits_the_firmware_with_code_zero(board):
    with HarnessClient(board.url) as c:
        c.hello()
        c.bye()
    assert board.proc.wait(5) == 0


# ---- a model generated by the converter, behind the host harness ----------------------

SINE = os.path.join(ROOT, "examples", "hello_world", "models", "sine_int8.tflite")


@pytest.fixture(scope="module")
def sine_firmware(tmp_path_factory):
    from utensor import convert, hostbuild

    work = tmp_path_factory.mktemp("sine_harness")
    gen = str(work / "gen")
    convert.convert_to_directory([SINE], gen)
    exe = str(work / "harness_fw")
    generated = sorted(os.path.join(gen, f) for f in os.listdir(gen) if f.endswith(".cpp"))
    cmd = [hostbuild.CXX, *hostbuild.BASE_FLAGS, *hostbuild.SANITIZE_FLAGS, "-I", hostbuild.RUNTIME_INCLUDE, "-I", gen,
           *SOURCES[:4], *generated, hostbuild.runtime_library(True), "-o", exe]
    subprocess.run(cmd, check=True)
    return exe


def test_generated_model_matches_tflite_micro_through_the_harness(sine_firmware):
    from utensor.reference import Reference

    with open(SINE, "rb") as f:
        ref = Reference(f.read())
    board = Board(sine_firmware)
    try:
        with HarnessClient(board.url) as c:
            info = c.hello()
            (m,) = info.models
            assert m.name == "sine_int8"
            assert m.sha256 == hashlib.sha256(open(SINE, "rb").read()).hexdigest()
            assert [t.dtype for t in m.inputs + m.outputs] == ["int8", "int8"]
            assert m.inputs[0].shape == tuple(ref.input_details[0]["shape"])
            for v in range(-128, 128, 5):
                x = np.full(m.inputs[0].shape, v, np.int8)
                outputs, _ = c.run(0, [x])
                np.testing.assert_array_equal(outputs[0], ref.invoke([x])[0])
            c.bye()
        assert board.proc.wait(5) == 0
    finally:
        board.stop()


def test_verify_cli_drives_a_running_board_by_url(sine_firmware, tmp_path, capsys):
    """`utensor verify --port URL --no-flash`: the real-board path, no PlatformIO, no QEMU."""
    import json

    from utensor.cli import main as cli_main

    board = Board(sine_firmware)
    try:
        report = tmp_path / "v.json"
        code = cli_main(["verify", SINE, "--board", "host", "--port", board.url, "--no-flash",
                         "--samples", "12", "--seed", "4", "--json", str(report)])
        out = capsys.readouterr().out
        assert code == 0, out
        assert "PASS: sine_int8 on host: 12/12 samples match; bit-exact" in out
        data = json.loads(report.read_text())
        assert data["samples"] == 12 and data["bit_exact"] is True
        assert data["counter_unit"] == "nanoseconds" and data["nanoseconds_per_inference"] > 0
        assert data["flash_bytes"] is None  # nothing was built
        assert board.proc.wait(5) == 0  # verify said BYE
    finally:
        board.stop()


def test_port_for_an_emulated_board_needs_no_flash():
    from utensor.harness.session import open_board

    with pytest.raises(HarnessError, match="emulated board: utensor starts QEMU for it itself"):
        with open_board(SINE, "mps2_an386", port="socket://127.0.0.1:9"):
            pass
