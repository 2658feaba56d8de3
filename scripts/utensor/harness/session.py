"""One model on one board, ready to run: build, flash, connect, check, and clean up.

Shared by `utensor run` and `utensor verify`:

    with open_board("ad01_int8.tflite", "mps2_an386") as b:
        outputs, counter = b.run([x])
"""

import contextlib
import hashlib
import os
import sys
import time
from dataclasses import dataclass
from typing import Callable, List, Optional, Sequence

import numpy as np

from ..errors import HarnessError
from .backends import QemuBackend, SerialBackend
from .client import BoardInfo, HarnessClient, ModelDesc
from .firmware import Firmware, build_firmware, is_emulated


@dataclass
class BoardSession:
    board: str
    client: HarnessClient
    info: BoardInfo
    model: ModelDesc
    firmware: Optional[Firmware]
    backend: object = None
    # Where the counter comes from: "qemu-plugin" (exact instructions between the marks
    # around invoke()) or "port" (utensor_port_cycles(), SysTick-based under QEMU).
    counter_source: str = "port"
    _invokes: int = 0

    def reset(self) -> None:
        """The model's reset() on the board (stateful models; a no-op for the others)."""
        self.client.reset(self.model.index)

    def step(self, inputs: Sequence[np.ndarray]):
        """(outputs, counter) of one inference of a sequence: a stateful model continues
        from the state the previous invokes left (run() starts each from the reset state)."""
        return self.run(inputs, sequence=True)

    def run(self, inputs: Sequence[np.ndarray], sequence: bool = False):
        """(outputs, counter) of one inference."""
        if sequence:
            outputs, counter = self.client.step(self.model.index, inputs)
        else:
            outputs, counter = self.client.run(self.model.index, inputs)
        self._invokes += 1
        if self.backend is None:
            return outputs, counter
        deadline = time.monotonic() + 2.0
        while True:
            exact = self.backend.exact_counts()
            if exact is None:
                return outputs, counter
            if len(exact) >= self._invokes:
                self.counter_source = "qemu-plugin"
                return outputs, exact[self._invokes - 1]
            if time.monotonic() > deadline:  # the log line is late: keep the port's count
                self.counter_source = "port"
                return outputs, counter
            time.sleep(0.01)


def file_sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def find_model(info: BoardInfo, model_path: str, board: str) -> ModelDesc:
    sha = file_sha256(model_path)
    for m in info.models:
        if m.sha256.lower() == sha:
            return m
    found = ", ".join(f"{m.name} ({m.sha256[:12]})" for m in info.models) or "none"
    raise HarnessError(
        f"the firmware on {board} was not built from {model_path} (sha256 {sha[:12]}...); "
        f"it holds: {found}. Let utensor build and flash it (omit --no-flash), or flash a "
        "harness firmware built for this model."
    )


@contextlib.contextmanager
def open_board(
    model_path: str,
    board: str,
    *,
    port: Optional[str] = None,
    flash: bool = True,
    build_dir: Optional[str] = None,
    platform: Optional[str] = None,
    framework: Optional[str] = None,
    timeout_s: Optional[float] = None,
    log: Callable[[str], None] = lambda s: print(s, file=sys.stderr),
    layers: bool = False,
    graph_transform: Optional[Callable] = None,
    firmware: Optional[Firmware] = None,
    build_flags: Sequence[str] = (),
):
    """Yield a `BoardSession`; on exit say BYE and check the firmware ended cleanly.

    layers: build the per-layer debug firmware instead (harness/layer_firmware.py);
    graph_transform: applied to its graph before conversion (tests break a layer with it);
    firmware: an already built firmware to flash or emulate (nothing is built);
    build_flags: extra flags for the firmware build (PlatformIO build_flags, e.g. -flto)."""
    if not os.path.isfile(model_path):
        raise HarnessError(f"{model_path}: no such model file.")
    emulated = is_emulated(board) and port is None and platform is None
    if is_emulated(board) and port is not None and flash:
        raise HarnessError(
            f"{board} is an emulated board: utensor starts QEMU for it itself (omit --port). "
            "To use a QEMU you started with the harness firmware, add --no-flash."
        )
    if not emulated and port is None:
        raise HarnessError(
            f"board {board} is not emulated by utensor: give its serial port with --port "
            "(e.g. /dev/ttyACM0; `pio device list` shows them)."
        )
    if firmware is None and (flash or emulated):
        ini = {"platform": platform, "framework": framework, "build_flags": list(build_flags)}
        if port and "://" not in port:  # a device path: PlatformIO uploads through it
            ini["upload_port"] = port
        kind = "per-layer debug harness" if layers else "harness"
        log(f"[utensor] building the {kind} firmware for {os.path.basename(model_path)} on {board} ...")
        if layers:
            from .layer_firmware import build_layer_firmware

            firmware = build_layer_firmware(model_path, board, build_dir, graph_transform=graph_transform, **ini)
        else:
            firmware = build_firmware([model_path], board, build_dir, **ini)
        log(
            f"[utensor] {firmware.elf}: flash {firmware.flash_bytes:,} B, "
            f"static RAM {firmware.ram_bytes:,} B"
        )
    backend = QemuBackend(board) if emulated else SerialBackend(port, flash=flash)
    client = None
    ok = False
    try:
        url = backend.start(firmware)
        # Emulators answer at once; a real board may need a moment after reset or upload.
        if timeout_s is None:
            timeout_s = 3.0 if emulated else 2.0
        client = HarnessClient(url, timeout_s=timeout_s, open_timeout_s=0.0 if emulated else 5.0)
        try:
            info = client.hello()
            model = find_model(info, model_path, board)
        except HarnessError as e:
            detail = backend.describe_failure()
            raise HarnessError(f"{e}{' ' + detail if detail else ''}") from None
        try:
            yield BoardSession(board, client, info, model, firmware, backend)
        except HarnessError as e:
            detail = backend.describe_failure()
            if detail:
                raise HarnessError(f"{e} {detail}") from None
            raise
        ok = True
    finally:
        if client is not None:
            if ok:
                client.bye()
            client.close()
        if ok:
            backend.finish()
        else:
            backend.close()


def model_io_summary(model: ModelDesc) -> List[str]:
    lines = []
    for kind, tensors in (("input", model.inputs), ("output", model.outputs)):
        for t in tensors:
            q = f", scale {t.scale:g}, zero point {t.zero_point}" if t.scale else ""
            lines.append(f"  {kind} {t.index} {t.name!r}: {t.dtype} {list(t.shape)}{q}")
    return lines
