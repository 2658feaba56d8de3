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

Per-layer check: with `custom_utensor_layers = yes` (or a number N of random inputs; yes =
1) in the env, after the env's first test suite the runner also checks every layer of every
model of `custom_utensor_models` on the board against TensorFlow Lite Micro: it runs
scripts/utensor/harness/layer_check.py in the converter's interpreter (`custom_utensor_python`,
default PlatformIO's; it needs numpy and tflite-micro), which builds the per-layer debug
firmware of `utensor verify --layers` into <workspace>/utensor_layers/<env>, flashes it
(QEMU, or `pio run -t upload` and `test_port` on a real board) and reports each layer. Each
layer becomes a test case: PASSED, FAILED for the first layer that differs (its operator,
output tensor, number of differing elements and largest difference), SKIPPED for the layers
after it (they compute from the wrong data), so `pio test` exits non-zero on a mismatch.
Without test suites of its own (only test/test_custom_runner.py), the project runs just
the per-layer check.
"""

import json
import os
import re
import subprocess
import sys
import time

import click
import socket
from platformio.exception import ReturnErrorCode
from platformio.public import UnityTestRunner
from platformio.test.exception import UnitTestSuiteError
from platformio.test.result import TestCase, TestStatus

LIBRARY_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPTS_DIR = os.path.join(LIBRARY_DIR, "scripts")
TEST_SUPPORT_DIR = os.path.join(LIBRARY_DIR, "platformio", "test_support")
QEMU_PLATFORM = "utensor-qemu"
_SOCKET_PORT_RE = re.compile(r"^socket://(?:127\.0\.0\.1|localhost):(\d+)$")
OPTION_LAYERS = "custom_utensor_layers"
LAYERS_DONE_KEY = "utensor.layer_check_envs"  # in the `pio test` click context: envs checked
LAYER_BUILD_DIR = "utensor_layers"
_SOURCE_SUFFIXES = (".c", ".cc", ".cpp", ".cxx", ".S", ".s")
# Options copied into the per-layer firmware's env, so it builds and uploads as the user's.
_PASSED_OPTIONS = ("platform_packages", "build_unflags", "upload_protocol", "upload_speed",
                   "upload_flags", "upload_command")
_PASSED_PREFIXES = ("board_build.", "board_upload.")
# The per-layer firmware is converted without arena canaries: the guard macro must not
# reach it (it would check canaries the plan does not have).
_DROPPED_FLAG_RE = re.compile(r"^-DUTENSOR_ARENA_GUARD(=.*)?$")


def _utensor_module(name):
    """utensor.<name> of this library (stdlib-only modules: qemu, project_options)."""
    if SCRIPTS_DIR not in sys.path:
        sys.path.insert(0, SCRIPTS_DIR)
    import importlib  # pylint: disable=import-outside-toplevel

    return importlib.import_module("utensor." + name)


def _qemu_module():
    return _utensor_module("qemu")


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

    def _project_dir(self):
        return os.path.dirname(os.path.abspath(self.project_config.path))

    def _layer_samples(self):
        """Random inputs per model of the per-layer check (0: off)."""
        value = str(self._option(OPTION_LAYERS, "") or "").strip().lower()
        if value in ("", "no", "false", "off", "0"):
            return 0
        if value in ("yes", "true", "on"):
            return 1
        if value.isdigit():
            return int(value)
        raise UnitTestSuiteError("%s = %s: use yes, no, or a number of random inputs."
                                 % (OPTION_LAYERS, value))

    def _layers_only(self):
        """The per-layer check is the only test: it is on and the project has no test
        suite of its own (PlatformIO then runs one suite, "*", over an empty test dir)."""
        if self.test_suite.test_name != "*" or not self._layer_samples():
            return False
        for _root, _dirs, files in os.walk(self.test_suite.test_dir):
            if any(f.endswith(_SOURCE_SUFFIXES) for f in files):
                return False
        return True

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

    def stage_building(self):
        if self._layers_only():
            return None
        return super().stage_building()

    def stage_uploading(self):
        if self._layers_only():
            return None
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
        if not self._layers_only():
            self._test_firmware()
        # The check flashes its own firmware: not with --without-uploading/-testing.
        if (self._layer_samples() and not self.options.without_testing
                and not self.options.without_uploading):
            self._check_layers_once()

    def _test_firmware(self):
        if self._qemu is None:
            return super().stage_testing()
        if self.options.without_testing:
            return None
        click.secho("Testing...", bold=True)
        timeout = float(self._option("custom_utensor_qemu_timeout", "600"))
        deadline = time.monotonic() + timeout
        # A plain socket, not pyserial: its socket:// open discards what already arrived,
        # and a fast firmware may print its whole report before that open returns.
        uart = self._qemu.connect()
        try:
            while not self.test_suite.is_finished():
                try:
                    data = uart.recv(4096)
                except socket.timeout:
                    data = None
                except OSError:
                    break
                if data:
                    self.on_testing_data_output(data)
                    continue
                if data == b"":
                    break  # QEMU exited and closed the socket: all output was read
                if self._qemu.returncode is not None or time.monotonic() > deadline:
                    break
        finally:
            uart.close()
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

    # -- per-layer check (custom_utensor_layers) -----------------------------------------
    def _check_layers_once(self):
        env_name = self.test_suite.env_name
        done = self.cmd_ctx.meta.setdefault(LAYERS_DONE_KEY, set())
        if env_name in done:
            return
        done.add(env_name)
        click.secho("Per-layer check (%s)..." % OPTION_LAYERS, bold=True)
        try:
            command = self._layer_check_command()
        except UnitTestSuiteError as exc:
            self._layer_check_error(str(exc))
            return
        if self.options.verbose:
            click.echo(" ".join(command))
        self._run_layer_check(command)
        # The suite's duration was taken when its own firmware printed its summary.
        if self.test_suite.timestamp:
            self.test_suite.duration = time.time() - self.test_suite.timestamp

    def _layer_check_command(self):
        project = self._project_dir()
        options = _utensor_module("project_options")
        models = options.model_paths(self._option("custom_utensor_models", ""), project)
        if not models:
            raise UnitTestSuiteError("%s is set but custom_utensor_models names no model."
                                     % OPTION_LAYERS)
        if options.names(self._option("custom_utensor_user_ops", "")):
            raise UnitTestSuiteError(
                "%s: the per-layer debug firmware cannot link models with custom operators "
                "(custom_utensor_user_ops): their implementations live in your src/." % OPTION_LAYERS)
        python = self._option("custom_utensor_python", "") or sys.executable
        if os.sep in python or (os.altsep and os.altsep in python):
            python = os.path.normpath(os.path.join(project, python))
        workspace = self.project_config.get("platformio", "workspace_dir")
        command = [python, "-m", "utensor.harness.layer_check",
                   "--board", self._option("board"),
                   "--build-dir", os.path.join(workspace, LAYER_BUILD_DIR, self.test_suite.env_name),
                   "--samples", str(self._layer_samples())]
        for model in models:
            command += ["--model", model]
        data = (self._option("custom_utensor_representative_data", "") or "").strip()
        if data:
            command += ["--representative-data", os.path.normpath(os.path.join(project, data))]
        flags = " ".join(self._option("build_flags", []) or []).split()
        flags = [f for f in flags if not _DROPPED_FLAG_RE.match(f)]
        if flags:
            command.append("--build-flags=" + " ".join(flags))
        for name in self.project_config.options(env=self.test_suite.env_name):
            if name in _PASSED_OPTIONS or name.startswith(_PASSED_PREFIXES):
                value = self._option(name)
                if isinstance(value, (list, tuple)):
                    value = "\n".join(value)
                command += ["--option", "%s=%s" % (name, value)]
        if self._is_qemu_board():
            return command  # the harness starts QEMU with utensor's own platform
        port = self.get_test_port()
        if not port:
            raise UnitTestSuiteError(
                "%s on a real board: set test_port (e.g. test_port = /dev/ttyACM0), the "
                "serial port the per-layer firmware answers on." % OPTION_LAYERS)
        platform = self._option("platform")
        if platform.startswith(("symlink://", "file://")):
            scheme, path = platform.split("://", 1)
            platform = "%s://%s" % (scheme, os.path.normpath(os.path.join(project, path)))
        command += ["--port", port, "--platform", platform]
        framework = self._option("framework", [])
        if framework:
            command += ["--framework", ", ".join(framework)]
        upload_port = self.options.upload_port or self._option("upload_port")
        if upload_port:
            command += ["--upload-port", upload_port]
        return command

    def _run_layer_check(self, command):
        """Run layer_check.py and turn its events (one JSON object a line) into cases."""
        environ = dict(os.environ, PYTHONPATH=SCRIPTS_DIR, PYTHONDONTWRITEBYTECODE="1")
        environ.pop("PYTHONHOME", None)  # PlatformIO's, not the converter's interpreter's
        try:
            proc = subprocess.Popen(command, cwd=self._project_dir(), env=environ, text=True,
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        except OSError as exc:
            self._layer_check_error("cannot run %s (%s): set custom_utensor_python to a Python "
                                    "3 interpreter with utensor's requirements (numpy, "
                                    "tflite-micro)." % (command[0], exc))
            return
        other = []  # lines that are not events: warnings, a traceback
        verdicts = []
        errors = []
        failed_case = None
        with proc.stdout:
            for line in proc.stdout:
                try:
                    event = json.loads(line)
                    kind = event["event"]
                except (ValueError, KeyError, TypeError):
                    other.append(line.rstrip("\n"))
                    if self.options.verbose:
                        click.echo(line, nl=False)
                    continue
                if kind == "info":
                    click.echo("[utensor] %s" % event["text"])
                elif kind == "model":
                    click.echo("%s: %d layers, %d random input%s (seed %d), reference %s"
                               % (event["model"], event["layers"], event["samples"],
                                  "" if event["samples"] == 1 else "s", event["seed"],
                                  event["reference"]))
                elif kind == "layer":
                    case = self._layer_case(event)
                    self.test_suite.add_case(case)
                    click.echo(case.humanize())
                    if case.status == TestStatus.FAILED:
                        failed_case = case
                elif kind == "verdict":
                    verdicts.append(event)
                    click.secho(event["text"], fg="green" if event["ok"] else "red")
                    if not event["ok"] and failed_case is not None:
                        failed_case.stdout = event["text"]
                elif kind == "error":
                    errors.append(event["text"])
        code = proc.wait()
        mismatch = any(not v["ok"] for v in verdicts)
        if errors or not verdicts or code not in (0, 1) or (code == 1) != mismatch:
            detail = "\n".join(errors) or "\n".join(other[-30:]) or "no output"
            self._layer_check_error("per-layer check failed (exit code %d): %s" % (code, detail))

    def _layer_case(self, event):
        sample = " sample %d," % event["sample"] if self._layer_samples() > 1 else ""
        name = "%s:%s layer %d (operator #%d %s, output '%s', %s)" % (
            event["model"], sample, event["layer"], event["op_index"], event["op_type"],
            event["tensor"], event["shape"])
        if event["status"] == "after_failure":
            return TestCase(name, TestStatus.SKIPPED,
                            message="not judged, computed from a differing layer (%s)" % event["result"])
        status = TestStatus.PASSED if event["status"] == "passed" else TestStatus.FAILED
        return TestCase(name, status, message=event["result"], stdout=event["result"])

    def _layer_check_error(self, message):
        click.secho("[utensor] %s" % message, fg="red", err=True)
        self.test_suite.add_case(TestCase(
            name="%s:%s" % (self.test_suite.env_name, OPTION_LAYERS),
            status=TestStatus.ERRORED, message=message, exception=UnitTestSuiteError(message)))

    def teardown(self):
        if self._qemu is not None:
            self._qemu.stop()
            self._qemu = None
