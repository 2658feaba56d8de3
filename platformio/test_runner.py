"""`pio test` runner for utensor firmware tests (`test_framework = custom`).

A project's `test/test_custom_runner.py` (copy examples' one, a few lines) loads this file
and exposes its `CustomTestRunner`. The firmware prints Unity-style lines
(`file:line:name:PASS|FAIL[:msg]`, then `N Tests M Failures K Ignored`), for instance with
platformio/test_support/utensor_unit.h, which this runner puts on the include path; no
Unity library is downloaded.

On utensor's QEMU boards the upload stage only builds; the runner then starts QEMU itself
(scripts/utensor/qemu.py) with the UART as a TCP server, on the port of
`test_port = socket://127.0.0.1:PORT` if set, else on a free one, and reads the UART from
the first byte (PlatformIO's own reader flushes input after opening, losing lines). The
firmware's semihosting exit code is checked too: a crash or non-zero exit after all tests
passed is reported as an error. On real boards everything is PlatformIO's stock behaviour.
"""

import os
import re
import sys
import time

import click
import serial
from platformio.exception import ReturnErrorCode
from platformio.public import UnityTestRunner
from platformio.test.exception import UnitTestSuiteError
from platformio.test.result import TestCase, TestStatus

LIBRARY_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPTS_DIR = os.path.join(LIBRARY_DIR, "scripts")
TEST_SUPPORT_DIR = os.path.join(LIBRARY_DIR, "platformio", "test_support")
QEMU_PLATFORM = "utensor-qemu"
_SOCKET_PORT_RE = re.compile(r"^socket://(?:127\.0\.0\.1|localhost):(\d+)$")


def _qemu_module():
    if SCRIPTS_DIR not in sys.path:
        sys.path.insert(0, SCRIPTS_DIR)
    from utensor import qemu  # pylint: disable=import-outside-toplevel

    return qemu


class CustomTestRunner(UnityTestRunner):
    EXTRA_LIB_DEPS = None  # the firmware prints Unity's format itself

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._qemu = None

    # -- helpers ---------------------------------------------------------------------
    def _option(self, name, default=None):
        return self.project_config.get("env:%s" % self.test_suite.env_name, name, default)

    def _is_qemu_board(self):
        return self.platform.name == QEMU_PLATFORM

    def _firmware_path(self):
        build_dir = self.project_config.get("platformio", "build_dir")
        env_dir = os.path.join(build_dir, self.test_suite.env_name)
        for name in ("firmware.elf", "program.elf"):
            if os.path.isfile(os.path.join(env_dir, name)):
                return os.path.join(env_dir, name)
        raise UnitTestSuiteError("No firmware ELF in %s after building." % env_dir)

    # -- PlatformIO hooks ------------------------------------------------------------
    def configure_build_env(self, env):
        env.Append(CPPPATH=[TEST_SUPPORT_DIR])
        return env

    def stage_uploading(self):
        if not self._is_qemu_board():
            return super().stage_uploading()
        if self.options.without_uploading:
            return None
        click.secho("Building & starting QEMU...", bold=True)
        targets = ["nobuild"] if self.options.without_building else ["__test"]
        try:
            self.run_project_targets(targets)
        except ReturnErrorCode as exc:
            raise UnitTestSuiteError(
                "Building stage has failed, see errors above. "
                "Use `pio test -vvv` option to enable verbose output."
            ) from exc
        port = None
        test_port = self.get_test_port()
        if test_port:
            match = _SOCKET_PORT_RE.match(test_port)
            if not match:
                raise UnitTestSuiteError(
                    "test_port = %s: on QEMU boards it must be socket://127.0.0.1:PORT "
                    "(or left unset to pick a free port)." % test_port)
            port = int(match.group(1))
        timeout = float(self._option("custom_utensor_qemu_timeout", "600"))
        extra = (self._option("custom_utensor_qemu_args", "") or "").split()
        board = self._option("board")
        self._qemu = _qemu_module().QemuSession(
            board, self._firmware_path(), timeout_s=timeout, extra_args=extra, port=port)
        self._qemu.start()
        if self.options.verbose:
            click.echo("QEMU pid %d, UART at %s" % (self._qemu.pid, self._qemu.url))
        return None

    def stage_testing(self):
        if self._qemu is None:
            return super().stage_testing()
        if self.options.without_testing:
            return None
        click.secho("Testing...", bold=True)
        timeout = float(self._option("custom_utensor_qemu_timeout", "600"))
        deadline = time.monotonic() + timeout
        ser = serial.serial_for_url(self._qemu.url, timeout=0.2)
        try:
            while not self.test_suite.is_finished():
                try:
                    data = ser.read(ser.in_waiting or 1)
                except serial.SerialException:
                    break  # QEMU exited and closed the socket: all output was read
                if data:
                    self.on_testing_data_output(data)
                    continue
                if self._qemu.returncode is not None or time.monotonic() > deadline:
                    break
        finally:
            ser.close()
        self._check_exit_code()
        return None

    def _check_exit_code(self):
        qemu = _qemu_module()
        finished = self.test_suite.is_finished()
        try:
            code = self._qemu.wait(30 if finished else 1)
        except Exception as exc:  # pylint: disable=broad-except
            code = None
            reason = str(exc)
        else:
            reason = "firmware exited with code %d" % code
            if code == qemu.TIMEOUT_EXIT_CODE:
                reason = "firmware did not finish within custom_utensor_qemu_timeout"
        failed = any(c.status == TestStatus.FAILED for c in self.test_suite.cases)
        if finished and (code == 0 or (code is not None and failed)):
            return
        message = "%s%s" % (reason, "" if finished else " before printing the summary")
        click.secho("[utensor] %s" % message, fg="red", err=True)
        self.test_suite.add_case(TestCase(
            name="%s:firmware" % self.test_suite.env_name,
            status=TestStatus.ERRORED,
            message=message,
            stdout=self._qemu.log,
        ))
        if not finished:
            self.test_suite.on_finish()

    def teardown(self):
        if self._qemu is not None:
            self._qemu.stop()
            self._qemu = None
