"""Running firmware on QEMU-emulated boards: the only Python that knows QEMU.

Every run uses `-icount shift=0` (virtual time = executed instructions, in ns, so counter
reads are deterministic) and semihosting (the firmware's exit code becomes QEMU's).

- `run_foreground()`: UART on this terminal (PlatformIO `upload`).
- `QemuSession`: QEMU detached, UART as a TCP server the caller connects to with pyserial
  (`socket://127.0.0.1:PORT`); the guest only starts once a client connects, so no output
  is lost.

Stdlib only: PlatformIO's builder imports this module from its own Python.
"""

import hashlib
import os
import re
import signal
import socket
import subprocess
import tempfile
import time

from .boards import get_board
from .errors import BoardError, HarnessError
from .tools import ToolNotFound, find_tool

QEMU = "qemu-system-arm"
# GNU timeout stops a QEMU whose parent died; the exit code it reports on expiry.
TIMEOUT_EXIT_CODE = 124
_WAITING_MARK = "waiting for connection"


def _require(tool):
    try:
        return find_tool(tool, "it runs firmware on emulated boards")
    except ToolNotFound as exc:
        raise BoardError(str(exc)) from None


def qemu_command(board_id, elf_path, serial, extra_args=()):
    """The qemu-system-arm argument list running elf_path with UART 0 on `serial`."""
    board = get_board(board_id)
    # The MPS2/MPS3 images always have an Ethernet controller; unconnected, QEMU warns
    # "nic ... has no peer" on every run. A user-mode backend that reaches nothing
    # (restrict=on) keeps the log clean.
    nic = (["-nic", "user,restrict=on,model=lan9118"] if board.family == "cmsdk"
           else ["-nic", "none"])
    return [
        find_tool(QEMU, required=False) or QEMU,
        "-machine", board.qemu_machine,
        "-nodefaults",
        *nic,
        "-display", "none",
        "-monitor", "none",
        "-serial", serial,
        "-semihosting-config", "enable=on,target=native",
        "-icount", "shift=0",
        "-kernel", os.path.abspath(elf_path),
        *extra_args,
    ]


PLUGIN_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "qemu_plugin")
PLUGIN_SOURCE = os.path.join(PLUGIN_DIR, "icount.c")
_MARK_RE = re.compile(r"^utensor-icount: mark (\d+) at (\d+) \(\+(\d+)\)$", re.M)
_TOTAL_RE = re.compile(r"^utensor-icount: total (\d+)$", re.M)
_CYCLE_MARK_RE = re.compile(r"^utensor-cycles: mark (\d+) m4 (\d+) m7 (\d+)$", re.M)
_CYCLE_TOTAL_RE = re.compile(r"^utensor-cycles: total m4 (\d+) m7 (\d+)$", re.M)
# The cores the plugin's cycle model estimates (qemu_plugin/cycle_model.h), in its order.
CYCLE_CORES = ("cortex-m4", "cortex-m7")


def icount_plugin_path():
    """Build (once, cached by source hash) and return the exact instruction counter plugin.

    QEMU's TCG plugin API counts every executed instruction; markers placed in the
    firmware with UTENSOR_PORT_ICOUNT_MARK() report the count between them exactly,
    where the SysTick-based utensor_port_cycles() is exact to one timer tick."""
    sha = hashlib.sha256()
    for name in sorted(os.listdir(PLUGIN_DIR)):
        if name.endswith((".c", ".h")):
            with open(os.path.join(PLUGIN_DIR, name), "rb") as f:
                sha.update(name.encode() + b"\0" + f.read())
    digest = sha.hexdigest()[:16]
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    out_dir = os.path.join(cache, "utensor", "qemu-plugin-" + digest)
    library = os.path.join(out_dir, "libutensor_icount.so")
    if os.path.isfile(library):
        return library
    compiler = find_tool("cc", required=False) or find_tool("gcc", required=False)
    if not compiler:
        raise BoardError("Building QEMU's instruction counter plugin needs a host C compiler "
                         "(cc/gcc) on PATH; apt-get install gcc, or run without it.")
    os.makedirs(out_dir, exist_ok=True)
    tmp = "%s.%d.tmp" % (library, os.getpid())
    result = subprocess.run([compiler, "-shared", "-fPIC", "-O2", "-I", PLUGIN_DIR, "-o", tmp, PLUGIN_SOURCE],
                            capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BoardError("Building %s failed:\n%s" % (PLUGIN_SOURCE, result.stderr.strip()))
    os.replace(tmp, library)
    return library


def plugin_args():
    """QEMU arguments loading the instruction counter plugin, its output on the log."""
    return ("-plugin", icount_plugin_path(), "-d", "plugin")


def parse_icount(log_text):
    """(marks, total) from the plugin's lines in a QEMU log: marks as (index, at, delta)."""
    marks = [tuple(int(g) for g in m.groups()) for m in _MARK_RE.finditer(log_text)]
    total = _TOTAL_RE.search(log_text)
    return marks, (int(total.group(1)) if total else None)


def parse_cycles(log_text):
    """(marks, total) of the plugin's estimated cycles: marks as (index, {core: cycles
    before the mark}), total as {core: cycles} (None when absent); cores as CYCLE_CORES."""
    marks = [(int(m.group(1)), dict(zip(CYCLE_CORES, (int(m.group(2)), int(m.group(3))))))
             for m in _CYCLE_MARK_RE.finditer(log_text)]
    total = _CYCLE_TOTAL_RE.search(log_text)
    return marks, (dict(zip(CYCLE_CORES, (int(total.group(1)), int(total.group(2)))))
                   if total else None)


def _check_elf(elf_path):
    if not os.path.isfile(elf_path):
        raise BoardError("Firmware %s does not exist; build it first (pio run)." % elf_path)


def run_foreground(board_id, elf_path, timeout_s=600.0, extra_args=()):
    """Run the firmware with its UART on stdin/stdout; return the semihosting exit code
    (124 when timeout_s elapsed first)."""
    _check_elf(elf_path)
    _require(QEMU)
    # --foreground keeps QEMU in the terminal's process group: it can read the keyboard
    # and Ctrl-C reaches it (plain `timeout` moves it to a background group).
    cmd = [_require("timeout"), "--foreground", "--kill-after=5", "%g" % timeout_s] + qemu_command(
        board_id, elf_path, "stdio", extra_args)
    proc = subprocess.Popen(cmd)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        proc.wait()
        return 130


def free_tcp_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class QemuSession:
    """QEMU running one firmware in the background, its UART a TCP server on localhost.

    with QemuSession("mps2_an386", "firmware.elf") as q:
        uart = q.connect()                   # starts the guest
        ...
        code = q.wait(30)

    Firmware that speaks first (unit tests printing results) must be read through
    connect(): pyserial's socket:// open discards what already arrived, and a fast guest
    can print everything, and exit, before that open returns. A protocol whose host
    speaks first (the serial harness) may use pyserial's `serial_for_url(q.url)`.
    """

    def __init__(self, board_id, elf_path, timeout_s=600.0, extra_args=(), port=None,
                 icount_plugin=False):
        self.board = get_board(board_id)
        self.elf_path = elf_path
        self.timeout_s = float(timeout_s)
        self.extra_args = tuple(extra_args) + (plugin_args() if icount_plugin else ())
        self.port = port
        self.url = None
        self.pid = None
        self._proc = None
        self._log_path = None
        self._log_file = None
        self._final_log = ""

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    @property
    def log(self):
        """What QEMU printed on stdout/stderr so far."""
        if not self._log_path:
            return self._final_log
        try:
            with open(self._log_path, encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def start(self, ready_timeout_s=30.0):
        """Start QEMU detached; return once it waits for the serial client."""
        if self._proc is not None and self._proc.poll() is None:
            return self
        _check_elf(self.elf_path)
        _require(QEMU)
        timeout = _require("timeout")
        last_log = ""
        for _ in range(3):  # a free port can be taken between probing and binding
            port = self.port or free_tcp_port()
            serial_spec = "tcp:127.0.0.1:%d,server=on,wait=on" % port
            cmd = [timeout, "--kill-after=5", "%g" % self.timeout_s] + qemu_command(
                self.board.board_id, self.elf_path, serial_spec, self.extra_args)
            fd, self._log_path = tempfile.mkstemp(prefix="utensor-qemu-", suffix=".log")
            self._log_file = os.fdopen(fd, "wb")
            self._proc = subprocess.Popen(
                cmd, stdin=subprocess.DEVNULL, stdout=self._log_file,
                stderr=subprocess.STDOUT, start_new_session=True)
            self.pid = self._proc.pid
            deadline = time.monotonic() + ready_timeout_s
            while time.monotonic() < deadline:
                if _WAITING_MARK in self.log:
                    self.port = port
                    self.url = "socket://127.0.0.1:%d" % port
                    return self
                if self._proc.poll() is not None:
                    break
                time.sleep(0.02)
            last_log = self.log
            self.stop()
            if self.port:  # a port the caller chose: no point retrying another
                break
        raise HarnessError(
            "QEMU (%s) did not start for %s: %s"
            % (self.board.qemu_machine, self.elf_path,
               last_log.strip() or "no output within %gs" % ready_timeout_s))

    def connect(self, timeout_s=30.0):
        """Connect to the UART (which starts the guest); a socket whose reads time out
        after 0.2 s, returning b"" once QEMU has exited and every byte was read."""
        if self.url is None:
            raise HarnessError("QEMU session for %s was not started." % self.elf_path)
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=timeout_s)
        sock.settimeout(0.2)
        return sock

    def wait(self, timeout_s):
        """Wait for the firmware to exit; return its semihosting exit code.

        Raises HarnessError when it is still running after timeout_s seconds."""
        if self._proc is None:
            raise HarnessError("QEMU session for %s was not started." % self.elf_path)
        try:
            code = self._proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            raise HarnessError(
                "Firmware %s on %s did not exit within %gs."
                % (self.elf_path, self.board.board_id, timeout_s)) from None
        if code == TIMEOUT_EXIT_CODE:
            raise HarnessError(
                "Firmware %s on %s was stopped after the session limit of %gs."
                % (self.elf_path, self.board.board_id, self.timeout_s))
        return code

    def icount(self):
        """The plugin's (marks, total) so far; needs icount_plugin=True."""
        return parse_icount(self.log)

    @property
    def returncode(self):
        return None if self._proc is None else self._proc.poll()

    def stop(self):
        """End this QEMU (only its own process group); idempotent."""
        proc = self._proc
        if proc is not None and proc.poll() is None:
            try:
                # start_new_session made `timeout` a group leader: its QEMU child is in it.
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait()
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
        if self._log_path:
            self._final_log = self.log
            try:
                os.remove(self._log_path)
            except OSError:
                pass
            self._log_path = None
