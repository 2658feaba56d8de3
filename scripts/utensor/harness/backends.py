"""Getting a built harness firmware running and reachable over a serial URL.

Only this step differs between an emulated and a real board; everything after it is the
same `HarnessClient` on a pyserial URL.

- `QemuBackend`: starts QEMU (`utensor.qemu.QemuSession`) with the board UART on a local
  TCP socket; `finish()` checks the firmware exited with code 0 after BYE.
- `SerialBackend`: `pio run -t upload` to a real board, then its serial port
  (`/dev/ttyACM0`, `COM3`, or any pyserial URL). `flash=False` talks to a board that
  already runs the harness firmware.
"""

import time
from typing import List, Optional

from ..errors import HarnessError
from .firmware import Firmware, run_pio


class QemuBackend:
    """QEMU with, when it can be built, the exact instruction counter plugin: the harness
    firmware marks the start and end of every invoke(), and `exact_counts()` reads the
    instructions executed between each pair of marks from QEMU's log."""

    def __init__(self, board_id: str, session_timeout_s: float = 3600.0, exact_count: bool = True):
        self.board_id = board_id
        self.session_timeout_s = session_timeout_s
        self.exact_count = exact_count
        self.session = None

    def start(self, firmware: Firmware) -> str:
        """Start the emulator; returns the serial URL (the guest starts on connect)."""
        from ..errors import BoardError
        from ..qemu import QemuSession, icount_plugin_path

        if self.exact_count:
            try:
                icount_plugin_path()
            except BoardError:
                self.exact_count = False  # no host C compiler: SysTick counts only
        self.session = QemuSession(self.board_id, firmware.elf, timeout_s=self.session_timeout_s,
                                   icount_plugin=self.exact_count)
        self.session.start()
        return self.session.url

    def exact_counts(self) -> Optional[List[int]]:
        """Instructions strictly between the marks around each invoke() so far, or None."""
        if self.session is None or not self.exact_count:
            return None
        marks, _ = self.session.icount()
        # Marks come in (before, after) pairs; the before-mark itself is not counted.
        return [after[1] - before[1] - 1 for before, after in zip(marks[0::2], marks[1::2])]

    def finish(self, timeout_s: float = 30.0) -> None:
        """After BYE: wait for the firmware's exit and require code 0."""
        if self.session is None:
            return
        try:
            code = self.session.wait(timeout_s)
        finally:
            log = self.session.log
            self.close()
        if code != 0:
            raise HarnessError(
                f"the harness firmware on {self.board_id} exited with code {code} after BYE "
                f"(0 expected). QEMU output:\n{log.strip()[-2000:]}"
            )

    def describe_failure(self) -> str:
        """QEMU's own output, to append to a harness error."""
        if self.session is None:
            return ""
        code = self.session.returncode
        log = self.session.log.strip()
        parts = []
        if code is not None:
            parts.append(f"QEMU exited with code {code}")
        if log:
            parts.append("QEMU output: " + log[-1500:])
        return "; ".join(parts)

    def close(self) -> None:
        if self.session is not None:
            self.session.stop()
            self.session = None


class SerialBackend:
    def __init__(self, port: str, flash: bool = True, settle_s: float = 2.0):
        self.port = port
        self.flash = flash
        self.settle_s = settle_s

    def start(self, firmware: Optional[Firmware]) -> str:
        """Upload (unless flash=False) and return the port URL once the board booted."""
        if self.flash:
            if firmware is None:
                raise HarnessError("no firmware to upload")
            run_pio(firmware.project_dir, targets=["upload"])
            # Boards reset after upload and USB CDC ports re-enumerate.
            time.sleep(self.settle_s)
        return self.port

    def exact_counts(self) -> Optional[List[int]]:
        return None

    def finish(self, timeout_s: float = 0.0) -> None:
        """A real board keeps running (halted) after BYE: nothing to wait for."""

    def describe_failure(self) -> str:
        return ""

    def close(self) -> None:
        pass
