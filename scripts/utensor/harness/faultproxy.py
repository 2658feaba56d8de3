"""A fault-injecting TCP proxy between the harness host and a board's serial socket.

    host (HarnessClient) <-> FaultProxy (socket://127.0.0.1:P) <-> board (QEMU's TCP
    serial, or the host-compiled firmware's socket)

In each direction, at seeded rates, bytes are dropped, corrupted (bits flipped) or
duplicated, whole chunks are repeated (on the host firmware one chunk is one frame, so this
duplicates frames) and the line stalls (delays keep the byte order, as a UART does).
Triggers act on the clean host-to-board request stream: before the k-th request of a type
reaches the board, or right after the board's reply to it has passed, the proxy can
"reset" the board (a callback restarts it and returns its new URL; the host's connection to
the proxy stays up, as a USB serial port does across a board reset) or "freeze" it (nothing
is forwarded any more, and an optional callback SIGSTOPs the emulator).

From Python:

    with FaultProxy(board_url, to_board=LineFaults(drop=1e-3), seed=1) as proxy:
        client = HarnessClient(proxy.url)
        ...
        print(proxy.counts)

From the command line (runs until Ctrl-C, then prints what it did):

    python -m utensor.harness.faultproxy socket://127.0.0.1:4321 --drop 0.001 \\
        --corrupt 0.001 --seed 7 --freeze-at INVOKE:10
"""

import argparse
import random
import select
import socket
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Callable, Dict, List, Optional, Tuple

from ..errors import HarnessError
from . import protocol as p

FAULT_KINDS = ("dropped", "corrupted", "duplicated", "repeated", "delayed")


@dataclass
class LineFaults:
    """Fault rates of one direction: per byte (drop, corrupt, duplicate) or per received
    chunk (repeat, delay; a delay lasts up to delay_s)."""

    drop: float = 0.0
    corrupt: float = 0.0
    duplicate: float = 0.0
    repeat: float = 0.0
    delay: float = 0.0
    delay_s: float = 0.05

    @classmethod
    def uniform(cls, rate: float, delay_s: float = 0.05) -> "LineFaults":
        """Every kind of fault at the same rate."""
        return cls(rate, rate, rate, rate, rate, delay_s)


@dataclass
class Trigger:
    """An action at the `occurrence`-th (0-based) request of `request_type`.

    action: "reset" or "freeze". when: "before" the request reaches the board, or
    "after-reply" once the board's reply to it has been forwarded to the host.
    """

    request_type: int
    occurrence: int
    action: str
    when: str = "before"


def parse_url(url: str) -> Tuple[str, int]:
    """(host, port) of socket://HOST:PORT or HOST:PORT."""
    rest = url.split("://", 1)[1] if "://" in url else url
    host, _, port = rest.rpartition(":")
    try:
        return host or "127.0.0.1", int(port.split("?")[0])
    except ValueError:
        raise HarnessError(
            f"the fault proxy needs a TCP serial URL (socket://HOST:PORT), not {url!r}."
        ) from None


class _Direction:
    """One direction of the link: fault injection and an ordered, delayable send queue."""

    def __init__(self, name: str, faults: LineFaults, rng: random.Random):
        self.name = name
        self.faults = faults
        self.rng = rng
        self.queue: deque = deque()  # (release time, bytes)
        self.last_release = 0.0
        self.counts: Dict[str, int] = {k: 0 for k in FAULT_KINDS}
        self.bytes = 0

    def push(self, data: bytes, now: float) -> None:
        f, rng = self.faults, self.rng
        self.bytes += len(data)
        out = bytearray()
        for b in data:
            r = rng.random()
            if r < f.drop:
                self.counts["dropped"] += 1
                continue
            r -= f.drop
            if r < f.corrupt:
                self.counts["corrupted"] += 1
                b ^= 1 << rng.randrange(8)
            elif r - f.corrupt < f.duplicate:
                self.counts["duplicated"] += 1
                out.append(b)
            out.append(b)
        if out and rng.random() < f.repeat:
            self.counts["repeated"] += 1
            out = out + out
        release = max(self.last_release, now)
        if rng.random() < f.delay:
            self.counts["delayed"] += 1
            release += rng.uniform(0.0, f.delay_s)
        self.last_release = release
        if out:
            self.queue.append((release, bytes(out)))

    def due(self, now: float) -> List[bytes]:
        out = []
        while self.queue and self.queue[0][0] <= now:
            out.append(self.queue.popleft()[1])
        return out

    def next_release(self) -> Optional[float]:
        return self.queue[0][0] if self.queue else None

    def clear(self) -> None:
        self.queue.clear()


class FaultProxy:
    """See the module docstring. `reset()` -> new board URL restarts the board; `pause` and
    `resume` (optional) stop and continue its process on a "freeze"."""

    def __init__(
        self,
        upstream: str,
        *,
        to_board: LineFaults = LineFaults(),
        to_host: LineFaults = LineFaults(),
        seed: int = 0,
        triggers: Tuple[Trigger, ...] = (),
        reset: Optional[Callable[[], str]] = None,
        pause: Optional[Callable[[], None]] = None,
        resume: Optional[Callable[[], None]] = None,
        listen_port: int = 0,
    ):
        self.upstream_url = upstream
        rng = random.Random(seed)
        self._down = _Direction("to_board", to_board, random.Random(rng.random()))
        self._up = _Direction("to_host", to_host, random.Random(rng.random()))
        self.triggers = list(triggers)
        for t in self.triggers:
            if t.action not in ("reset", "freeze") or t.when not in ("before", "after-reply"):
                raise ValueError(f"unknown trigger {t}")
            if t.action == "reset" and reset is None:
                raise ValueError("a reset trigger needs a reset callback")
        self._reset_cb, self._pause_cb, self._resume_cb = reset, pause, resume
        self._srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._srv.bind(("127.0.0.1", listen_port))
        self._srv.listen(1)
        self.url = f"socket://127.0.0.1:{self._srv.getsockname()[1]}"
        self._client: Optional[socket.socket] = None
        self._board: Optional[socket.socket] = None
        self._seen: Dict[int, int] = {}
        self._requests = p.Decoder()  # the clean host-to-board stream
        self._replies = p.Decoder()  # the clean board-to-host stream
        self._after_reply: List[Tuple[int, int, str]] = []  # (reply type, seq, action)
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self.frozen = False
        self.resets = 0
        self.freezes = 0
        self.requests = 0
        self.error: Optional[BaseException] = None
        self.lock = threading.Lock()

    # ---- life cycle ------------------------------------------------------------------

    def start(self) -> "FaultProxy":
        self._thread = threading.Thread(target=self._main, name="faultproxy", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
        for s in (self._client, self._board, self._srv):
            if s is not None:
                try:
                    s.close()
                except OSError:
                    pass
        if self.frozen and self._resume_cb is not None:
            self._resume_cb()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()

    @property
    def counts(self) -> Dict[str, object]:
        """What was injected so far, per direction, and the triggered actions."""
        with self.lock:
            return {
                "to_board": dict(self._down.counts, bytes=self._down.bytes),
                "to_host": dict(self._up.counts, bytes=self._up.bytes),
                "requests": self.requests,
                "resets": self.resets,
                "freezes": self.freezes,
            }

    def injected(self) -> int:
        """Total byte and chunk faults injected in both directions (delays included)."""
        with self.lock:
            return sum(self._down.counts.values()) + sum(self._up.counts.values())

    def add_trigger(self, trigger: Trigger) -> None:
        with self.lock:
            self.triggers.append(trigger)

    def freeze(self) -> None:
        """Stop forwarding from now on (and pause the board process, if a callback was given)."""
        with self.lock:
            self._freeze()

    def thaw(self) -> None:
        with self.lock:
            if self.frozen and self._resume_cb is not None:
                self._resume_cb()
            self.frozen = False

    # ---- the forwarding loop -------------------------------------------------------

    def _connect_board(self) -> None:
        host, port = parse_url(self.upstream_url)
        self._board = socket.create_connection((host, port), timeout=10)
        self._board.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _main(self) -> None:
        try:
            self._loop()
        except BaseException as e:  # reported to the test through .error
            self.error = e
        finally:
            # The host must notice a dead proxy as a dead link, not as a silent board.
            for s in (self._client, self._board):
                if s is not None:
                    try:
                        s.close()
                    except OSError:
                        pass

    def _loop(self) -> None:
        while not self._stop.is_set():
            if self._client is None:
                r, _, _ = select.select([self._srv], [], [], 0.05)
                if r:
                    self._client, _ = self._srv.accept()
                    self._client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    self._connect_board()
                continue
            with self.lock:
                nxt = [t for t in (self._down.next_release(), self._up.next_release()) if t]
            wait = 0.05 if not nxt else max(0.0, min(0.05, min(nxt) - time.monotonic()))
            socks = [self._client] + ([self._board] if self._board is not None else [])
            readable, _, _ = select.select(socks, [], [], wait)
            for s in readable:
                try:
                    data = s.recv(4096)
                except OSError:
                    data = b""
                with self.lock:
                    if s is self._client:
                        if not data:
                            return  # the host hung up: the session is over
                        self._from_host(data)
                    elif s is self._board:
                        if not data:
                            # The board exited (BYE, crash): pass the end of line on.
                            self._flush_all()
                            return
                        self._from_board(data)
            with self.lock:
                self._send_due()

    def _flush_all(self) -> None:
        for d, sock in ((self._up, self._client), (self._down, self._board)):
            for chunk in [c for _, c in d.queue]:
                self._send(sock, chunk)
            d.clear()

    def _send_due(self) -> None:
        now = time.monotonic()
        for chunk in self._down.due(now):
            self._send(self._board, chunk)
        for chunk in self._up.due(now):
            self._send(self._client, chunk)

    @staticmethod
    def _send(sock, chunk: bytes) -> None:
        if sock is None:
            return
        try:
            sock.sendall(chunk)
        except OSError:
            pass  # a board being reset: the bytes are lost, as on a wire

    def _from_host(self, data: bytes) -> None:
        # Find request frames in the clean stream first: triggers act on what the host
        # meant to send, whatever the faults then do to it.
        for ev in self._requests.feed(data):
            if not isinstance(ev, p.Frame):
                continue
            self.requests += 1
            k = self._seen.get(ev.type, 0)
            self._seen[ev.type] = k + 1
            for t in list(self.triggers):
                if t.request_type == ev.type and t.occurrence == k:
                    self.triggers.remove(t)
                    if t.when == "before":
                        self._act(t.action)
                    else:
                        self._after_reply.append((ev.type | p.REPLY, ev.seq, t.action))
        if self.frozen:
            return
        self._down.push(data, time.monotonic())

    def _from_board(self, data: bytes) -> None:
        if self.frozen:
            return
        self._up.push(data, time.monotonic())
        for ev in self._replies.feed(data):
            if not isinstance(ev, p.Frame):
                continue
            for pending in list(self._after_reply):
                if pending[:2] == (ev.type, ev.seq):
                    self._after_reply.remove(pending)
                    self._flush_all()  # the reply reaches the host, then the action
                    self._act(pending[2])

    def _act(self, action: str) -> None:
        if action == "freeze":
            self._freeze()
            return
        self.resets += 1
        self._down.clear()
        self._up.clear()
        if self._board is not None:
            self._board.close()
            self._board = None
        self._replies.clear()
        self.upstream_url = self._reset_cb()
        self._connect_board()

    def _freeze(self) -> None:
        if self.frozen:
            return
        self.frozen = True
        self.freezes += 1
        self._down.clear()
        self._up.clear()
        if self._pause_cb is not None:
            self._pause_cb()


def _trigger_arg(text: str, action: str) -> Trigger:
    name, _, n = text.partition(":")
    codes = {v: k for k, v in p.REQUEST_NAMES.items()}
    if name.upper() not in codes or not n.isdigit():
        raise argparse.ArgumentTypeError(
            f"{text!r}: expected REQUEST:N with REQUEST one of {', '.join(codes)}"
        )
    return Trigger(codes[name.upper()], int(n), action)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(
        prog="python -m utensor.harness.faultproxy",
        description="Forward a board's TCP serial link with injected faults; prints the URL "
        "to give `utensor verify --port URL --no-flash`.",
    )
    ap.add_argument("upstream", help="the board's serial URL, e.g. socket://127.0.0.1:4321")
    ap.add_argument("--listen", type=int, default=0, help="local port (default: any free one)")
    for kind in ("drop", "corrupt", "duplicate", "repeat", "delay"):
        ap.add_argument(f"--{kind}", type=float, default=0.0, help=f"{kind} rate, both directions")
    ap.add_argument("--delay-ms", type=float, default=50.0, help="longest stall (default 50)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--freeze-at", action="append", default=[], metavar="REQUEST:N",
                    help="stop forwarding before the N-th (0-based) request of that type")
    args = ap.parse_args(argv)
    faults = LineFaults(args.drop, args.corrupt, args.duplicate, args.repeat, args.delay,
                        args.delay_ms / 1000.0)
    try:
        triggers = tuple(_trigger_arg(t, "freeze") for t in args.freeze_at)
    except argparse.ArgumentTypeError as e:
        ap.error(str(e))
    parse_url(args.upstream)
    proxy = FaultProxy(args.upstream, to_board=faults, to_host=faults, seed=args.seed,
                       triggers=triggers, listen_port=args.listen)
    print(f"faultproxy: {proxy.url} -> {args.upstream}", flush=True)
    proxy.start()
    try:
        while proxy._thread.is_alive():
            proxy._thread.join(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        proxy.close()
    print(f"faultproxy: {proxy.counts}", flush=True)
    if proxy.error is not None:
        print(f"faultproxy: stopped by {proxy.error!r}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
