"""The QEMU dev-platform end to end: offline bootstrap, `pio run` for every board, the
firmware in QEMU (UART text, exit code, instruction counter), `pio test` verdicts.

Needs pio, arm-none-eabi-gcc and qemu-system-arm; skipped otherwise. About a minute on
two cores: one temporary project builds all seven boards once.
"""

import os
import re
import shutil
import subprocess
import sys
import textwrap

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))

from utensor import boards, qemu  # noqa: E402
from utensor.errors import BoardError, HarnessError  # noqa: E402

PLATFORM_DIR = os.path.join(ROOT, "platformio", "platform")
RUNTIME_INCLUDE = os.path.join(ROOT, "runtime", "include")
TOOLS = ("pio", "arm-none-eabi-gcc", "qemu-system-arm", "timeout")
LOOP_ITERATIONS = 1000000

needs_tools = pytest.mark.skipif(
    any(shutil.which(t) is None for t in TOOLS),
    reason="needs %s on PATH" % ", ".join(TOOLS))

# Cycles per SysTick tick under -icount shift=0: 1e9 / SysTick clock.
TICK_INSTRUCTIONS = {b.board_id: 1e9 / b.systick_hz for b in boards.BOARDS.values()}

FIRMWARE_MAIN = r"""
#include <stdio.h>
#include "utensor/port.hpp"

/* Counted twice: by utensor_port_cycles() and between two plugin marks. The loop body
 * is 2 instructions (`subs`, `bne`), so n iterations cost exactly 2n more than n = 0. */
static __attribute__((noinline)) uint32_t timed_loop(uint32_t n) {
  uint32_t t0 = utensor_port_cycles();
  UTENSOR_PORT_ICOUNT_MARK();
  if (n) {
    __asm__ volatile(".syntax unified\n1: subs %0, %0, #1\n\tbne 1b" : "+l"(n) : : "cc");
  }
  UTENSOR_PORT_ICOUNT_MARK();
  return utensor_port_cycles() - t0;
}

int main(void) {
  volatile float f = 1.5f;
  f = f * 3.0f;
  printf("hello %s f=%d\n", UTENSOR_QEMU_BOARD, (int)(f * 10.0f));
  uint32_t base = timed_loop(0);
  uint32_t loop = timed_loop(ITERATIONS);
  printf("counter base=%lu loop=%lu unit=%s\n", (unsigned long)base, (unsigned long)loop,
         utensor_port_counter_unit());
  /* One byte from the host (generous timeout: the host may be slow), then a read that
   * must time out after 20 ms of board time = 20,000,000 instructions. */
  int c = utensor_port_read_byte(10000);
  printf("read=%d\n", c);
  uint32_t t0 = utensor_port_cycles();
  int t = utensor_port_read_byte(20);
  printf("timeout=%d waited=%lu\n", t, (unsigned long)(utensor_port_cycles() - t0));
  return 42;
}
"""


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _run(cmd, cwd, env, timeout=600, stdin_text=""):
    result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True,
                            input=stdin_text, timeout=timeout, check=False)
    result.stdout = _ANSI.sub("", result.stdout)
    result.stderr = _ANSI.sub("", result.stderr)
    return result


@pytest.fixture(scope="module")
def pio_env(tmp_path_factory):
    """An environment with a fresh PlatformIO core dir, bootstrapped offline."""
    core = tmp_path_factory.mktemp("pio_core")
    env = dict(os.environ, PLATFORMIO_CORE_DIR=str(core), PLATFORMIO_NO_ANSI="1")
    env.pop("PYTHONPATH", None)
    result = _run([sys.executable, os.path.join(ROOT, "platformio", "bootstrap.py")],
                  ROOT, env)
    assert result.returncode == 0, result.stdout + result.stderr
    return env


@pytest.fixture(scope="module")
def firmware_project(tmp_path_factory, pio_env):
    """A project with one env per board, built once with `pio run`."""
    project = tmp_path_factory.mktemp("fw_project")
    (project / "src").mkdir()
    (project / "src" / "main.c").write_text(FIRMWARE_MAIN)
    envs = "".join("\n[env:%s]\nboard = %s\n" % (b, b) for b in boards.board_ids())
    (project / "platformio.ini").write_text(textwrap.dedent("""\
        [env]
        platform = symlink://%s
        test_framework = custom
        build_flags = -I%s -DITERATIONS=%d
        """) % (PLATFORM_DIR, RUNTIME_INCLUDE, LOOP_ITERATIONS) + envs)
    result = _run(["pio", "run", "-j", "2"], str(project), pio_env)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    return project


# -- boards.py / board JSONs / bootstrap ----------------------------------------------

def test_unknown_board_lists_valid_ids():
    with pytest.raises(BoardError) as info:
        boards.get_board("mps2_an999")
    for board_id in boards.board_ids():
        assert board_id in str(info.value)


def test_board_jsons_match_boards_table(tmp_path):
    boards.write_board_jsons(str(tmp_path))
    for board_id in boards.board_ids():
        generated = (tmp_path / (board_id + ".json")).read_text()
        with open(os.path.join(PLATFORM_DIR, "boards", board_id + ".json")) as f:
            assert f.read() == generated, "run python -m utensor.boards --write-json"


def test_memory_maps_of_small_boards():
    nb = boards.get_board("netduinoplus2")
    assert (nb.code.origin, nb.flash_bytes, nb.ram_bytes) == (0x08000000, 1 << 20, 128 << 10)
    mb = boards.get_board("microbit")
    assert (mb.code.origin, mb.flash_bytes, mb.ram.origin, mb.ram_bytes) == (
        0, 256 << 10, 0x20000000, 16 << 10)


@needs_tools
def test_bootstrap_is_idempotent(tmp_path):
    core = tmp_path / "core"
    env = dict(os.environ, PLATFORMIO_CORE_DIR=str(core))
    cmd = [sys.executable, os.path.join(ROOT, "platformio", "bootstrap.py"), "--skip-tools"]
    first = _run(cmd, ROOT, env)
    assert first.returncode == 0, first.stderr
    assert "installed tool-scons 4.41101.0" in first.stdout
    pkg = core / "packages" / "tool-scons"
    assert (pkg / "SCons" / "__init__.py").is_file()
    assert '"owner": "platformio"' in (pkg / ".piopm").read_text()
    second = _run(cmd, ROOT, env)
    assert second.returncode == 0 and "already installed" in second.stdout
    # A damaged package is repaired, not trusted.
    (pkg / "package.json").write_text("{}")
    third = _run(cmd, ROOT, env)
    assert third.returncode == 0 and "installed tool-scons" in third.stdout


# -- firmware on every board ----------------------------------------------------------

@needs_tools
@pytest.mark.parametrize("board_id", boards.board_ids())
def test_firmware_runs_in_qemu(firmware_project, board_id):
    elf = firmware_project / ".pio" / "build" / board_id / "firmware.elf"
    with qemu.QemuSession(board_id, str(elf), timeout_s=60, icount_plugin=True) as session:
        uart = session.connect()
        uart.settimeout(60)

        def read_until(mark, what):
            nonlocal text
            while mark not in text or not text.endswith(b"\n"):
                chunk = uart.recv(1)
                assert chunk, "%s; got %r; QEMU log: %s" % (what, text, session.log)
                text += chunk

        text = b""
        read_until(b"unit=", "no UART output")
        uart.sendall(b"Z")
        read_until(b"waited=", "no echo/timeout lines")
        code = session.wait(60)
        uart.close()
        marks, total = session.icount()
        log = session.log
    lines = text.decode().splitlines()
    context = "UART: %r\nQEMU log: %s" % (text, log)
    assert lines[0] == "hello %s f=45" % board_id, context
    match = re.match(r"counter base=(\d+) loop=(\d+) unit=instructions", lines[1])
    assert match, context
    base, loop = int(match.group(1)), int(match.group(2))
    tick = TICK_INSTRUCTIONS[board_id]
    # The loop executes exactly 2 * N instructions; the counter is exact to one tick.
    assert abs((loop - base) - 2 * LOOP_ITERATIONS) <= tick + 1, context
    assert base < 1000, context
    assert lines[2] == "read=%d" % ord("Z"), context
    match = re.match(r"timeout=-1 waited=(\d+)$", lines[3])
    assert match, context
    assert 20000000 <= int(match.group(1)) <= 20000000 + 1000, context
    assert code == 42, context
    # The plugin's count is exact: same path around both loops, 2 instructions per turn.
    assert [m[0] for m in marks] == [0, 1, 2, 3], context
    assert marks[3][2] - marks[1][2] == 2 * LOOP_ITERATIONS, context
    assert total > marks[3][1], context
    # ...and the SysTick counter agrees with it to one tick (plus the read overhead).
    assert abs((loop - base) - (marks[3][2] - marks[1][2])) <= tick + 1


@needs_tools
def test_session_stop_is_idempotent_and_wait_times_out(firmware_project):
    elf = firmware_project / ".pio" / "build" / "microbit" / "firmware.elf"
    session = qemu.QemuSession("microbit", str(elf), timeout_s=60).start()
    try:
        # Nobody connected: the guest has not started, so it cannot exit.
        with pytest.raises(HarnessError):
            session.wait(0.5)
    finally:
        session.stop()
        session.stop()
    assert session.returncode is not None


@needs_tools
def test_upload_runs_firmware_and_reports_exit_code(firmware_project, pio_env):
    result = _run(["pio", "run", "-e", "mps2_an385", "-t", "upload"],
                  str(firmware_project), pio_env, timeout=120, stdin_text="Z")
    # The UART is this terminal: output printed, keyboard input read by the firmware,
    # whose exit code (42) fails the upload.
    assert "hello mps2_an385 f=45" in result.stdout
    assert "read=90" in result.stdout
    assert result.returncode != 0
    assert "exited with code 42" in result.stdout + result.stderr


# -- pio test -------------------------------------------------------------------------

UNIT_OK = r"""
#include "utensor_unit.h"
static void test_add(void) { UT_ASSERT_EQ_INT(4, 2 + 2); }
static void test_truth(void) { UT_ASSERT(1 < 2); }
int main(void) {
  UT_BEGIN();
  UT_RUN(test_add);
  UT_RUN(test_truth);
  return UT_END();
}
"""

UNIT_FAIL = UNIT_OK.replace("UT_ASSERT_EQ_INT(4, 2 + 2)", "UT_ASSERT_EQ_INT(5, 2 + 2)")

UNIT_CRASH = r"""
#include "utensor_unit.h"
static void test_fault(void) {
  volatile uint32_t* bad = (volatile uint32_t*)0xFFFFFFF0u;  /* unmapped: bus fault */
  UT_ASSERT(*bad == 0u);
}
int main(void) {
  UT_BEGIN();
  UT_RUN(test_fault);
  return UT_END();
}
"""


@needs_tools
def test_pio_test_verdicts(tmp_path, pio_env):
    project = tmp_path / "unit"
    for name, code in (("test_ok", UNIT_OK), ("test_fail", UNIT_FAIL),
                       ("test_crash", UNIT_CRASH)):
        (project / "test" / name).mkdir(parents=True)
        (project / "test" / name / "main.c").write_text(code)
    (project / "src").mkdir()
    shutil.copy(os.path.join(ROOT, "platformio", "test_custom_runner.py"),
                project / "test" / "test_custom_runner.py")
    (project / "platformio.ini").write_text(textwrap.dedent("""\
        [env]
        platform = symlink://%s
        test_framework = custom
        build_flags = -I%s

        [env:mps2_an386]
        board = mps2_an386
        test_port = socket://127.0.0.1:%d
        """) % (PLATFORM_DIR, RUNTIME_INCLUDE, qemu.free_tcp_port()))

    ok = _run(["pio", "test", "-e", "mps2_an386", "-f", "test_ok"], str(project), pio_env)
    assert ok.returncode == 0, ok.stdout[-3000:] + ok.stderr[-3000:]
    assert "2 test cases: 2 succeeded" in ok.stdout

    fail = _run(["pio", "test", "-e", "mps2_an386", "-f", "test_fail"], str(project), pio_env)
    assert fail.returncode != 0
    assert "test_add:FAIL: Expected 5 Was 4" in fail.stdout
    assert "1 failed, 1 succeeded" in fail.stdout + fail.stderr  # failures go to stderr

    crash = _run(["pio", "test", "-e", "mps2_an386", "-f", "test_crash"], str(project),
                 pio_env)
    assert crash.returncode != 0
    assert "firmware exited with code 70 before printing the summary" in crash.stdout + crash.stderr


@needs_tools
@pytest.mark.parametrize("weights,arena,region,overflow", [
    (300000, 1000, "FLASH", None),
    (1000, 15000, "RAM", 15000 + 2048 - 16384),  # arena + default 2 KB stack reserve
])
def test_too_big_for_microbit_fails_at_link_time(tmp_path, pio_env, weights, arena, region,
                                                 overflow):
    project = tmp_path / "big"
    (project / "src").mkdir(parents=True)
    (project / "src" / "main.c").write_text(textwrap.dedent("""\
        #include <stdint.h>
        const uint8_t weights[%d] = {1};
        static uint8_t arena[%d];
        int main(void) {
          volatile uint32_t i = 7;
          arena[i] = weights[i];
          return arena[weights[i + 1]];
        }
        """) % (weights, arena))
    (project / "platformio.ini").write_text(
        "[env:microbit]\nplatform = symlink://%s\nboard = microbit\n" % PLATFORM_DIR)
    result = _run(["pio", "run"], str(project), pio_env)
    assert result.returncode != 0
    match = re.search(r"region `%s' overflowed by (\d+) bytes" % region,
                      result.stdout + result.stderr)
    assert match, result.stdout[-2000:] + result.stderr[-2000:]
    if overflow is not None:
        # .bss holds the arena plus a few bytes of board support state.
        assert overflow <= int(match.group(1)) <= overflow + 256
