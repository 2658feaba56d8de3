"""Host side of the serial harness: talks to the firmware's `utensor::harness::serve()`.

The same code drives a real board (`/dev/ttyACM0`, `COM3`) and an emulated one
(`socket://127.0.0.1:PORT`): the URL goes to pyserial's `serial_for_url`.

Every request is retried with the same sequence number when its reply is missing, damaged
or NACKed; the firmware replays its stored reply instead of executing a retried request
twice. After `retries` failed attempts the client raises `HarnessError`, so a damaged byte
costs a retry and never a wrong result, and a silent board costs a bounded wait.

A board reset mid-exchange (its session number gone, see protocol.py) raises `BoardReset`
from the request that meets it; `run()` then says HELLO again, checks the board still holds
the same models, and repeats the whole inference from the input upload (at most
`reset_recoveries` times), so outputs always come from an invoke of this run's inputs.
"""

import math
import os
import random
import re
import select
import socket
import time
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

import numpy as np

from ..errors import HarnessError
from ..paths import library_path
from . import protocol as p


@dataclass
class TensorDesc:
    index: int
    name: str
    dtype: str  # IR dtype name
    numpy_dtype: str
    shape: Tuple[int, ...]
    scale: float
    zero_point: int
    bytes: int


@dataclass
class ModelDesc:
    index: int
    name: str
    sha256: str
    runtime_version: int
    arena_bytes: int
    weight_bytes: int
    inputs: List[TensorDesc]
    outputs: List[TensorDesc]
    state_bytes: int = 0  # > 0: a stateful model (state kept across INVOKE, RESET restores it)


@dataclass
class BoardInfo:
    protocol_version: int
    runtime_version: int
    counter_unit: str  # "instructions" | "cycles" | ...
    models: List[ModelDesc]
    session: int = 0  # chosen by this host's last HELLO


@dataclass
class LayerDesc:
    """One operator output of the per-layer debug firmware (LAYER_INFO)."""

    index: int  # position in the firmware's layer table
    step: int
    op_index: int
    tensor_index: int
    op_type: str
    output: TensorDesc


class BoardReset(HarnessError):
    """The board lost its session (it was reset or restarted) in the middle of an exchange."""


def _tensor_desc(index: int, t: p.TensorInfo) -> TensorDesc:
    return TensorDesc(
        index, t.name, t.dtype, t.numpy_dtype, tuple(t.shape), t.scale, t.zero_point, t.bytes
    )


STATUS_HEADER = library_path("runtime", "include", "utensor", "core", "status.hpp")


def status_name(code: int) -> str:
    """The text of a utensor::Status value, read from the runtime's X-macro list."""
    try:
        with open(STATUS_HEADER, encoding="utf-8") as f:
            names = re.findall(r'X\(\s*\w+\s*,\s*"([^"]*)"\s*\)', f.read())
    except OSError:
        names = []
    return names[code] if 0 <= code < len(names) else "unknown status"


def _tcp_socket(port):
    """The socket under a pyserial socket:// link (pyserial keeps it in `_socket`), or None."""
    sock = getattr(port, "_socket", None)
    return sock if isinstance(sock, socket.socket) else None


def _quickack(sock) -> None:
    """Acknowledge received data at once (Linux TCP_QUICKACK; resets itself, so re-armed
    after every receive). QEMU writes the guest's UART byte by byte; with Nagle on its side
    and delayed ACKs on ours every reply would stall ~40 ms (measured on mps2_an386: HELLO
    round trip 50 ms -> 4 ms)."""
    flag = getattr(socket, "TCP_QUICKACK", None)
    if flag is not None:
        try:
            sock.setsockopt(socket.IPPROTO_TCP, flag, 1)
        except OSError:
            pass


class HarnessClient:
    """One connection to a harness firmware.

    url: any pyserial URL. timeout_s: how long one attempt waits for a reply (INVOKE waits
    `invoke_timeout_s`, a model may run for seconds on an emulator). `serial` may be given
    instead of a URL (an already open pyserial-like object), for tests and custom links.
    """

    def __init__(
        self,
        url: str = "",
        timeout_s: float = 2.0,
        *,
        retries: int = 4,
        invoke_timeout_s: float = 120.0,
        baudrate: int = 115200,
        serial=None,
        open_timeout_s: float = 0.0,
        boot_s: float = 3.0,
        reset_recoveries: int = 2,
    ):
        self.url = url
        self.timeout_s = timeout_s
        self.invoke_timeout_s = invoke_timeout_s
        self.retries = retries
        self.boot_s = boot_s
        self.reset_recoveries = reset_recoveries
        self.stats = {"retries": 0, "nacks": 0, "bad_frames": 0, "timeouts": 0, "resets": 0}
        self._session = 0
        self._seq = random.randrange(256)
        self._decoder = p.Decoder()
        self._info: Optional[BoardInfo] = None
        self._port = serial if serial is not None else self._open(url, baudrate, open_timeout_s)
        self._sock = _tcp_socket(self._port)

    @staticmethod
    def _open(url: str, baudrate: int, open_timeout_s: float):
        import serial  # pyserial

        deadline = time.monotonic() + open_timeout_s
        while True:
            try:
                return serial.serial_for_url(url, baudrate=baudrate, timeout=0.05)
            except (serial.SerialException, OSError, ValueError) as e:
                if time.monotonic() >= deadline:
                    raise HarnessError(
                        f"cannot open the board's serial port {url!r}: {e}. Check the port "
                        "name (`pio device list`), that no other program holds it, or, for "
                        "QEMU, that the emulator is running and listening on that address."
                    ) from None
                time.sleep(0.1)

    # ---- context management --------------------------------------------------------

    def close(self) -> None:
        if self._port is not None:
            try:
                self._port.close()
            finally:
                self._port = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ---- transport -------------------------------------------------------------------

    def _read_some(self) -> bytes:
        """What arrives within ~50 ms (possibly nothing); never blocks longer."""
        try:
            if self._sock is not None:
                return self._read_socket()
            # Ask for no more than the current frame needs: a read waits until it has all
            # the bytes asked for or its timeout expires.
            return self._port.read(max(self._decoder.wanted(), self._port.in_waiting or 0))
        except HarnessError:
            raise
        except Exception as e:  # pyserial raises SerialException/OSError on a dead link
            raise HarnessError(
                f"the serial link {self.url or '(custom)'} failed while waiting for a reply: "
                f"{e}. The board was disconnected or the emulator exited."
            ) from None

    def _read_socket(self) -> bytes:
        ready, _, _ = select.select([self._sock], [], [], 0.05)
        if not ready:
            return b""
        try:
            data = self._sock.recv(4096)
        except (BlockingIOError, InterruptedError):
            return b""
        if not data:
            raise HarnessError(
                f"the board closed the connection {self.url} (the emulator exited or the "
                "firmware crashed)."
            )
        _quickack(self._sock)
        return data

    def _write(self, data: bytes) -> None:
        try:
            self._port.write(data)
            self._port.flush()
        except Exception as e:
            raise HarnessError(
                f"cannot write to the serial link {self.url or '(custom)'}: {e}. The board "
                "was disconnected or the emulator exited."
            ) from None

    def request(self, msg_type: int, payload: bytes = b"", timeout_s: Optional[float] = None,
                retries: Optional[int] = None):
        """Send one request, return the reply payload; retries transport failures."""
        if self._port is None:
            raise HarnessError("the harness connection is closed")
        self._seq = (self._seq + 1) & 0xFF
        frame = p.encode_frame(msg_type, self._seq, payload)
        timeout = self.timeout_s if timeout_s is None else timeout_s
        retries = self.retries if retries is None else retries
        name = p.request_name(msg_type)
        problems: List[str] = []
        for attempt in range(retries + 1):
            if attempt:
                self.stats["retries"] += 1
            self._write(frame)
            outcome, value = self._await_reply(msg_type, timeout)
            if outcome == "reply":
                return value
            if outcome == "error":
                code, message = p.decode_error(value)
                meaning = p.ERROR_CODES.get(code, f"code {code}")
                if code == p.ERR_SESSION:
                    raise BoardReset(
                        f"the board on {self.url or '(custom link)'} answered {name} with "
                        f"'{meaning}': it restarted (reset, power loss, watchdog or crash) "
                        "after HELLO, so its inputs and outputs are gone."
                    )
                raise HarnessError(
                    f"the firmware refused {name}: {meaning}"
                    + (f" ({message})" if message else "")
                    + ". The host and the firmware disagree about the model; rebuild and "
                    "reflash the harness firmware for this model."
                )
            problems.append(value)
        if all(x.startswith("no reply") for x in problems):
            raise HarnessError(
                f"the board on {self.url or '(custom link)'} did not answer {name} "
                f"({retries + 1} attempts, {timeout:g} s each). Check that the harness "
                "firmware is flashed and running, the port and baud rate are right, and "
                "nothing else is reading the port."
            )
        raise HarnessError(
            f"{name} failed {retries + 1} times on {self.url or '(custom link)'}: "
            + "; ".join(problems)
            + ". The serial link is too noisy, or the firmware speaks another protocol "
            f"version (host: {p.PROTOCOL_VERSION}); reflash the harness firmware."
        )

    def _await_reply(self, msg_type: int, timeout: float):
        deadline = time.monotonic() + timeout
        stalled = False
        while True:
            data = self._read_some()
            now = time.monotonic()
            for ev in self._decoder.feed(data) if data else []:
                if isinstance(ev, p.BadFrame):
                    self.stats["bad_frames"] += 1
                    self._resync()
                    return "retry", f"damaged reply ({ev.reason})"
                kind = p.frame_for_reply(ev, msg_type, self._seq)
                if kind == "nack":
                    self.stats["nacks"] += 1
                    self._resync()
                    return "retry", f"NACK ({p.describe_nack(ev.payload)})"
                if kind in ("reply", "error"):
                    return kind, ev.payload
            if data and self._decoder.pending:
                # A reply is arriving, so the firmware is done working: a frame stalled
                # mid-way lost a byte and gets the short timeout, not INVOKE's long one.
                deadline = min(deadline, now + self.timeout_s)
                stalled = True
            if now >= deadline:
                self.stats["timeouts"] += 1
                self._resync()
                if stalled:
                    return "retry", f"reply stalled mid-frame for {self.timeout_s:g} s"
                return "retry", f"no reply within {timeout:g} s"

    def _resync(self) -> None:
        # Drop what is buffered: it belongs to the failed exchange; the retry's reply is
        # recognized by its sequence number among anything that still arrives late.
        self._decoder.clear()
        try:
            self._port.reset_input_buffer()
        except Exception:
            pass

    # ---- messages --------------------------------------------------------------------

    def hello(self) -> BoardInfo:
        """Everything the firmware reports about itself and its models."""
        # The first bytes can arrive before the firmware has enabled its UART (QEMU's
        # STM32 USART drops them; a real board may still be booting): ask often at first.
        quick = min(self.timeout_s, 0.5)
        attempts = max(self.retries + 1, int(math.ceil(self.boot_s / quick)))
        session = random.randrange(1, 1 << 32)
        h = self._decode(p.decode_hello, self.request(
            p.HELLO, p.SESSION.pack(session), timeout_s=quick, retries=attempts - 1))
        if h.protocol_version != p.PROTOCOL_VERSION:
            raise HarnessError(
                f"the firmware speaks harness protocol {h.protocol_version}, this host "
                f"{p.PROTOCOL_VERSION}. Rebuild the firmware with this utensor version."
            )
        if h.session != session:
            raise HarnessError(
                f"the firmware did not take the session of this HELLO ({h.session:#x}, "
                f"{session:#x} sent); it does not implement protocol {p.PROTOCOL_VERSION} "
                "correctly. Rebuild and reflash the harness firmware."
            )
        self._session = session
        models = []
        for m in range(h.num_models):
            mi = self._decode(p.decode_model_info, self.request(p.MODEL_INFO, bytes([m])))
            ins = [self._tensor(m, 0, i) for i in range(mi.num_inputs)]
            outs = [self._tensor(m, 1, i) for i in range(mi.num_outputs)]
            models.append(
                ModelDesc(
                    m, mi.name, mi.sha256, mi.runtime_version, mi.arena_bytes,
                    mi.weight_bytes, ins, outs, mi.state_bytes,
                )
            )
        self._info = BoardInfo(h.protocol_version, h.runtime_version, h.counter_unit, models, session)
        return self._info

    def _tensor(self, model: int, is_output: int, index: int) -> TensorDesc:
        payload = self.request(p.TENSOR_INFO, bytes([model, is_output, index]))
        return _tensor_desc(index, self._decode(p.decode_tensor_info, payload))

    @staticmethod
    def _decode(fn, payload):
        try:
            return fn(payload)
        except p.ProtocolError as e:
            raise HarnessError(
                f"the firmware sent a malformed reply: {e}. Host and firmware are from "
                "different utensor versions; rebuild and reflash the harness firmware."
            ) from None

    def set_input(self, model: int, index: int, data: bytes) -> None:
        for off, n in p.chunks(len(data), p.INPUT_CHUNK):
            self.request(p.SET_INPUT, p.with_session(
                self._session, p.encode_set_input(model, index, off, data[off : off + n])))

    def invoke(self, model: int) -> Tuple[int, int]:
        """(status code, counter delta around the model's invoke())."""
        payload = self.request(p.INVOKE, p.with_session(self._session, bytes([model])),
                               timeout_s=self.invoke_timeout_s)
        return self._decode(p.decode_invoke, payload)

    def get_output(self, model: int, index: int, nbytes: int) -> bytes:
        out = bytearray()
        for off, n in p.chunks(nbytes, p.OUTPUT_CHUNK):
            piece = self.request(p.GET_OUTPUT, p.with_session(
                self._session, p.encode_get_output(model, index, off, n)))
            if len(piece) != n:
                raise HarnessError(
                    f"GET_OUTPUT returned {len(piece)} bytes where {n} were asked; the "
                    "firmware does not match this host. Reflash the harness firmware."
                )
            out += piece
        return bytes(out)

    def bye(self) -> None:
        """Ask the firmware to exit (semihosting exit 0 on an emulator).

        Best effort: the firmware exits right after replying, so a lost reply cannot be
        recovered by a retry; the caller checks the exit code where it can see one.
        """
        try:
            self.request(p.BYE, retries=0)
        except HarnessError:
            pass

    def reset(self, model: int) -> None:
        """The model's reset(): its state back to the initial values."""
        self.request(p.RESET, p.with_session(self._session, bytes([model])))

    def step(self, model_index: int, inputs: Sequence[np.ndarray]) -> Tuple[List[np.ndarray], int]:
        """One inference of a sequence: the state the previous invokes left is used and
        updated. A board reset on the way loses that state: HarnessError, no recovery."""
        try:
            return self._run_once(model_index, inputs)
        except BoardReset:
            raise HarnessError(
                f"the board on {self.url or '(custom link)'} was reset in the middle of a "
                "stateful sequence; its state is lost, run the sequence again.") from None

    def run(self, model_index: int, inputs: Sequence[np.ndarray]) -> Tuple[List[np.ndarray], int]:
        """Upload inputs, invoke once, download outputs. A stateful model is reset first,
        so every sample is one inference from the initial state (as the reference runs it).

        Returns the outputs as numpy arrays (dtype and shape from the descriptor) and the
        counter delta (instructions or cycles, see `hello().counter_unit`). A board reset
        on the way is recovered by a new HELLO and a complete re-run (see `BoardReset`).
        """
        for attempt in range(self.reset_recoveries + 1):
            try:
                stateful = self._info is not None and any(
                    m.index == model_index and m.state_bytes for m in self._info.models)
                return self._run_once(model_index, inputs, reset=stateful)
            except BoardReset:
                if attempt == self.reset_recoveries:
                    raise
                self.stats["resets"] += 1
                self._rehello()
        raise AssertionError("unreachable")

    def _rehello(self) -> None:
        """HELLO again after a reset; the board must still hold the same models."""
        before = self._info
        after = self.hello()
        if before is not None and [(m.name, m.sha256) for m in before.models] != \
                [(m.name, m.sha256) for m in after.models]:
            raise HarnessError(
                f"the board on {self.url or '(custom link)'} was reset and now runs other "
                "models than before; another firmware was flashed during the run."
            )

    # ---- per-layer capture (debug firmware only) -------------------------------------

    def layers(self, model_index: int) -> List[LayerDesc]:
        """The layer table of a model in the per-layer debug firmware."""
        result: List[LayerDesc] = []
        count = 1
        while len(result) < count:
            payload = self._layer_request(p.LAYER_INFO, p.encode_layer_request(model_index, len(result)))
            count, info = self._decode(p.decode_layer_info, payload)
            if info is None:
                break
            result.append(LayerDesc(len(result), info.step, info.op_index, info.tensor_index,
                                    info.op_type, _tensor_desc(0, info.output)))
        return result

    def _layer_request(self, msg_type: int, payload: bytes, **kw):
        try:
            return self.request(msg_type, payload, **kw)
        except HarnessError as e:
            if "unknown message type" not in str(e):
                raise
            raise HarnessError(
                f"the firmware on {self.url or '(custom link)'} does not capture layers: it is "
                "the default harness firmware. Let `utensor verify --layers` build and flash the "
                "per-layer debug firmware (omit --no-flash)."
            ) from None

    def run_layer(self, model_index: int, inputs: Sequence[np.ndarray], layer: LayerDesc) -> np.ndarray:
        """Upload inputs, invoke once capturing `layer`'s output, and download it (a
        board reset on the way is recovered as in `run`)."""
        for attempt in range(self.reset_recoveries + 1):
            try:
                return self._run_layer_once(model_index, inputs, layer)
            except BoardReset:
                if attempt == self.reset_recoveries:
                    raise
                self.stats["resets"] += 1
                self._rehello()
        raise AssertionError("unreachable")

    def _run_layer_once(self, model_index: int, inputs, layer: LayerDesc) -> np.ndarray:
        model = self._upload_inputs(model_index, inputs)
        payload = self._layer_request(
            p.INVOKE_LAYER, p.with_session(self._session, p.encode_layer_request(model_index, layer.index)),
            timeout_s=self.invoke_timeout_s)
        status, _, captured = self._decode(p.decode_invoke_layer, payload)
        self._check_status(model, status)
        out = layer.output
        if captured != out.bytes:
            raise HarnessError(
                f"the board captured {captured} bytes of layer {layer.index} (operator "
                f"#{layer.op_index} {layer.op_type}) where {out.bytes} were expected: its "
                "operator did not run. Rebuild the per-layer debug firmware."
            )
        raw = bytearray()
        for off, n in p.chunks(out.bytes, p.OUTPUT_CHUNK):
            raw += self.request(p.GET_CAPTURE, p.with_session(self._session, p.encode_get_capture(off, n)))
        if len(raw) != out.bytes:
            raise HarnessError(f"GET_CAPTURE returned {len(raw)} bytes where {out.bytes} were asked.")
        return np.frombuffer(bytes(raw), dtype=np.dtype(out.numpy_dtype))

    def _check_status(self, model: ModelDesc, status: int) -> None:
        if status != 0:
            raise HarnessError(
                f"model {model.name} returned runtime status {status} ({status_name(status)}) "
                "from invoke() on the board (utensor::Status, "
                "runtime/include/utensor/core/status.hpp)."
            )

    def _upload_inputs(self, model_index: int, inputs: Sequence[np.ndarray]) -> ModelDesc:
        info = self._info or self.hello()
        if not 0 <= model_index < len(info.models):
            raise HarnessError(
                f"model index {model_index} does not exist: the firmware has "
                f"{len(info.models)} model(s)."
            )
        model = info.models[model_index]
        if len(inputs) != len(model.inputs):
            raise HarnessError(
                f"model {model.name} takes {len(model.inputs)} input(s), {len(inputs)} given."
            )
        for desc, x in zip(model.inputs, inputs):
            arr = np.ascontiguousarray(np.asarray(x), dtype=np.dtype(desc.numpy_dtype))
            if arr.size * arr.itemsize != desc.bytes:
                raise HarnessError(
                    f"input {desc.name!r} of model {model.name} needs shape {desc.shape} "
                    f"({desc.bytes} bytes); the given array has shape {np.shape(x)}."
                )
            self.set_input(model_index, desc.index, arr.tobytes())
        return model

    def _run_once(self, model_index: int, inputs: Sequence[np.ndarray], reset: bool = False):
        if reset:
            self.reset(model_index)
        model = self._upload_inputs(model_index, inputs)
        status, counter = self.invoke(model_index)
        self._check_status(model, status)
        outputs = []
        for desc in model.outputs:
            raw = self.get_output(model_index, desc.index, desc.bytes)
            outputs.append(np.frombuffer(raw, dtype=np.dtype(desc.numpy_dtype)).reshape(desc.shape))
        return outputs, counter
