"""The runtime-parameter fast-path campaign: the draws of campaign.py without compiling
any of them. One firmware per board (rt_firmware/main.cpp) holds the kernels; the host
converts each draw with the real converter (reader, passes, lowering, memory plan: the
kernel call the generated code would make, its parameter struct, its constant arrays in
the converter's layouts, its arena offsets), sends it over the serial harness framing,
and compares the outputs with tflite_micro's on the same model and inputs.

    python -m utensor.bench.rt_campaign --count 1000 --seed 0                 # 8 families, 5 boards
    python -m utensor.bench.rt_campaign --family conv --board mps2_an386 --count 3000
    python -m utensor.bench.rt_campaign --repro conv 7 123 --board mps2_an386  # one draw, this firmware
    python -m utensor.bench.campaign --repro conv 7 123 --board mps2_an386     # one draw, compiled

Inputs: bytes of murmur3's finalizer over a counter from a per-draw seed, drawn by numpy
here and by the firmware there. The firmware returns per output a CRC-32 and a
position-weighted sum; on a difference the host reads the output back and names the
first differing element. A draw whose call the firmware does not know (a lowering that
picked another kernel) fails loudly: it is never skipped.
"""

import argparse
import os
import socket
import struct
import sys
import time
import zlib
from dataclasses import dataclass, field
from typing import Dict, List, Sequence

import numpy as np

from .. import qemu
# Through convert, which loads the operators before the passes that refer to them.
from ..convert import custom, passes, planner
from ..errors import HarnessError
from ..harness import protocol as p
from . import campaign, rt_codec, singleop

FIRMWARE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "rt_firmware")
FIRMWARE_FILES = ("main.cpp", "rt_reader.hpp", "rt_params.hpp")

HELLO, BYE, DATA, RUN, GET, BATCH = 0x01, 0x07, 0x20, 0x21, 0x22, 0x23
MAX_DATA = 4096
MAGIC = 0x43525455
CODES = {0: "ran", 1: "blob damaged in transit", 2: "malformed blob", 3: "parameter struct fingerprint differs "
         "(the firmware was built from another kernel_params table: rebuild it)", 4: "unknown kernel kind"}
# Kinds (rt_firmware/main.cpp enum Kind) and the struct each one reads.
KINDS = {"conv2d_s8_gemm": 1, "conv2d_s8": 2, "depthwise_conv2d_s8": 3, "fully_connected_s8": 4,
         "max_pool2d_s8": 5, "average_pool2d_s8": 6, "add_s8": 7, "mul_s8": 8, "conv2d_s16": 9,
         "conv2d_s16_acc32": 10, "depthwise_conv2d_s16": 11, "fully_connected_s16": 12,
         # The entries a lowering picks when the layer meets their preconditions (the DSP
         # build then links only the loop the layer runs).
         "conv2d_s8_gemm_fast": 13, "depthwise_conv2d_s8_3x3": 14, "fully_connected_s8_groups4": 15,
         "fully_connected_s8_rows": 16, "max_pool2d_s8_c4": 17, "average_pool2d_s8_c4": 18,
         "add_s8_tables": 19}
# The firmware's buffers (main.cpp kBlobBytes, kPoolBytes, kArenaBytes).
BLOB_BYTES, POOL_BYTES, ARENA_BYTES = 1024 * 1024, 1024 * 1024, 1536 * 1024


REFERENCE_ARENA = 4 * 1024 * 1024

# (DSP kernels, Helium kernels) each board's firmware must run: its fast paths (the M3's
# portable kernels).
ARCH = {"mps2_an386": (True, False), "mps2_an500": (True, False), "mps2_an505": (True, False),
        "mps3_an547": (True, True), "mps2_an385": (False, False)}


class BatchStopped(HarnessError):
    """A batch that ended before its last draw; .results holds those that ran."""

    def __init__(self, results, message: str):
        super().__init__(message)
        self.results = results


class DrawError(Exception):
    """A draw the campaign firmware cannot run (a lowering it does not mirror, a size)."""


@dataclass
class Draw:
    family: str
    seed: int
    index: int
    spec: Dict
    tflite: bytes
    kind: str
    blob: bytes
    outputs: List[Dict]  # offset, nbytes, dtype, shape, expected (bytes), crc, wsum
    timings: Dict[str, float] = field(default_factory=dict)
    const_at: int = -1  # where in the blob the first constant operand's bytes start


def mix32(h: np.ndarray) -> np.ndarray:
    h = h.astype(np.uint32)
    h ^= h >> np.uint32(16)
    h *= np.uint32(0x85EBCA6B)
    h ^= h >> np.uint32(13)
    h *= np.uint32(0xC2B2AE35)
    h ^= h >> np.uint32(16)
    return h


def fill_bytes(seed: int, n: int) -> bytes:
    """main.cpp fill(): byte i is the top byte of mix32(seed + i * golden)."""
    i = np.arange(n, dtype=np.uint32)
    with np.errstate(over="ignore"):
        return (mix32(np.uint32(seed) + i * np.uint32(0x9E3779B9)) >> np.uint32(24)).astype(np.uint8).tobytes()


def weighted_sum(data: bytes) -> int:
    """main.cpp weighted_sum()."""
    b = np.frombuffer(data, np.uint8).astype(np.uint64) + 1
    w = (mix32(np.arange(len(data), dtype=np.uint32)) | np.uint32(1)).astype(np.uint64)
    return int(np.sum((b * w) & np.uint64(0xFFFFFFFF)) & np.uint64(0xFFFFFFFF))


def input_seed(draw_seed: int, k: int) -> int:
    return (draw_seed * 0x9E3779B9 + 0x7F4A7C15 + k * 0x632BE5AB) & 0xFFFFFFFF


def _read_graph(tfl: bytes, name: str):
    from ..tflite.reader import _Reader  # pylint: disable=import-outside-toplevel

    return _Reader(name + ".tflite", tfl).read(name)


def lower(tfl: bytes, name: str = "draw"):
    """The converter up to the memory plan (the emitter only renders what these fix)."""
    graph = passes.run_all(_read_graph(tfl, name), ())
    calls = [custom.lower(op, graph, ()) for op in graph.operators]
    plan = planner.plan_memory(graph, [c.scratch_bytes for c in calls], [c.inplace for c in calls],
                               [c.row_streaming for c in calls])
    return graph, calls, plan


def _const(t) -> tuple:
    return ("array", np.ascontiguousarray(t.data).tobytes())


def _operand(op_t, graph, plan):
    """A tensor slot as the generated code passes it: nullptr, its constant array, or its
    place in the arena."""
    if op_t is None or op_t < 0:
        return ("null",)
    t = graph.tensor(op_t)
    if t.is_constant:
        return _const(t)
    return ("arena", plan.tensor_offset[op_t])


def _encode_operand(o) -> bytes:
    if o[0] == "null":
        return bytes([rt_codec.TAG_NULL])
    if o[0] == "array":
        return bytes([rt_codec.TAG_ARRAY]) + struct.pack("<I", len(o[1])) + o[1]
    return bytes([rt_codec.TAG_ARENA]) + struct.pack("<I", o[1])


def call_of(graph, call, plan):
    """(kind, struct name, fields, operands) of the single operator's kernel call: what
    templates/ops/*.j2 render for it."""
    if len(graph.operators) != 1:
        raise DrawError(f"{len(graph.operators)} operators after the passes (one expected)")
    if plan.streamed and not (call.template in ("ops/conv2d.j2", "ops/depthwise_conv2d.j2")
                              and call.params.get("dtype") == "int8"):
        raise DrawError(f"the planner streams {call.template} in place (not mirrored by the campaign firmware)")
    op = graph.operators[0]
    ins = list(op.inputs) + [-1] * 3
    scratch = plan.scratch_offset.get(0)
    tpl, prm = call.template, call.params
    out = ("arena", plan.tensor_offset[op.outputs[0]])
    if tpl == "ops/conv2d.j2" and prm.get("dtype") == "int8":
        kind = ("conv2d_s8_gemm_fast" if prm.get("gemm_fast") else "conv2d_s8_gemm") if prm["gemm"] else "conv2d_s8"
        use_scratch = prm["gemm"] or prm["windowed"]
        ops = [_operand(ins[0], graph, plan), _operand(ins[1], graph, plan), _operand(ins[2], graph, plan), out,
               ("arena", scratch) if use_scratch else ("null",)]
        return kind, prm["struct"], prm["fields"], ops
    if tpl == "ops/depthwise_conv2d.j2" and prm.get("dtype") == "int8":
        return ("depthwise_conv2d_s8" + prm.get("entry", ""), prm["struct"], prm["fields"],
                [_operand(ins[0], graph, plan), _operand(ins[1], graph, plan), _operand(ins[2], graph, plan), out])
    if tpl == "ops/fully_connected.j2" and prm.get("dtype") == "int8":
        fields = dict(prm["fields"], filter_layout=0, scratch=None)  # the firmware sets both as the template does
        inter = prm.get("filter_interleaved")
        bias = (("array", np.asarray(prm["folded_bias"], "<i4").tobytes()) if prm.get("folded_bias") is not None
                else _operand(ins[2], graph, plan))
        ops = [_operand(ins[0], graph, plan), _operand(ins[1], graph, plan),
               ("array", np.asarray(inter, np.int8).tobytes()) if inter is not None else ("null",),
               bias, out, ("arena", scratch) if prm.get("wide") else ("null",)]
        return "fully_connected_s8" + prm.get("entry", ""), prm["struct"], fields, ops
    if tpl == "ops/kernel.j2" and prm["function"] in KINDS and not prm.get("scratch") and not prm.get("status"):
        ops = [_operand(ins[i] if i < len(op.inputs) else -1, graph, plan) for i in prm["inputs"]]
        ops += [("arena", plan.tensor_offset[t]) for t in op.outputs]
        return prm["function"], prm["struct"], prm["fields"], ops
    raise DrawError(f"the lowering chose {tpl} {prm.get('function') or prm.get('struct')}, which the campaign "
                    "firmware does not mirror")


def prepare(family: str, seed: int, index: int, reference: bool = True) -> Draw:
    """Draw, build, convert, serialize, and (reference) run tflite_micro on it. timings:
    CPU seconds of each step (this process: the machine is shared)."""
    t0 = time.process_time()
    spec = campaign.draw(family, seed, index)
    s = campaign.draw_seed(family, seed, index)
    tfl = singleop.build(spec, s)
    t1 = time.process_time()
    graph, calls, plan = lower(tfl, f"{family}_{seed}_{index}")
    kind, sname, fields, ops = call_of(graph, calls[0], plan)
    body = bytearray(struct.pack("<IBII", MAGIC, KINDS[kind], rt_codec.fingerprint(sname), plan.arena_bytes))
    body += rt_codec.serialize(sname, fields)
    body.append(len(ops))
    const_at = -1
    for o in ops:
        if o[0] == "array" and const_at < 0:
            const_at = len(body) + 5
        body += _encode_operand(o)
    inputs = []
    body.append(len(graph.inputs))
    for k, t in enumerate(graph.inputs):
        nbytes, sd = graph.tensor(t).nbytes, input_seed(s, k)
        body += struct.pack("<III", plan.tensor_offset[t], nbytes, sd)
        inputs.append(fill_bytes(sd, nbytes))
    st = plan.streamed.get(0)
    body += struct.pack("<BIii", 1, st.staging_offset, st.staging_rows, st.out_row_elems) if st else b"\0"
    outs = []
    body.append(len(graph.outputs))
    for t in graph.outputs:
        tt = graph.tensor(t)
        body += struct.pack("<II", plan.tensor_offset[t], tt.nbytes)
        outs.append(dict(offset=plan.tensor_offset[t], nbytes=tt.nbytes, shape=list(tt.shape), dtype=tt.dtype))
    pool = sum((len(o[1]) + 15) // 16 * 16 for o in ops if o[0] == "array") + 4096
    if len(body) > BLOB_BYTES or pool > POOL_BYTES or plan.arena_bytes > ARENA_BYTES:
        raise DrawError(f"too large for the campaign firmware: blob {len(body)} B, constants ~{pool} B, arena "
                        f"{plan.arena_bytes} B (limits {BLOB_BYTES}, {POOL_BYTES}, {ARENA_BYTES})")
    t2 = time.process_time()
    d = Draw(family, seed, index, spec, tfl, kind + (" streamed" if st else ""), bytes(body), outs,
             timings={"build": t1 - t0, "lower": t2 - t1}, const_at=const_at)
    if reference:
        from ..reference import Reference  # pylint: disable=import-outside-toplevel

        # 4 MB from the start: tflite_micro's default arena is too small for a third of the
        # draws, and its retry costs more than the larger arena (1.33 -> 0.80 ms per draw).
        ref = Reference(tfl, arena_size=REFERENCE_ARENA)
        x = [np.frombuffer(b, np.dtype(det["dtype"])).reshape(det["shape"])
             for b, det in zip(inputs, ref.input_details)]
        for o, e in zip(outs, ref.invoke(x)):
            o["expected"] = np.ascontiguousarray(e).tobytes()
            o["np_dtype"] = np.ascontiguousarray(e).dtype
            o["crc"] = zlib.crc32(o["expected"]) & 0xFFFFFFFF
            o["wsum"] = weighted_sum(o["expected"])
        d.timings["tflm"] = time.process_time() - t2
    return d


# ---- the board side ----

def frame(msg_type: int, seq: int, payload: bytes) -> bytes:
    """The harness framing (protocol.py) with the campaign's larger DATA payloads."""
    body = p.HEADER.pack(msg_type, seq & 0xFF, len(payload)) + payload
    return p.SYNC + body + p.CRC.pack(p.crc32(body))


def write_project(project_dir: str, board_id: str) -> None:
    from ..harness.firmware import PLATFORM_DIR, REPO  # pylint: disable=import-outside-toplevel
    from ..paths import pio_build_cache  # pylint: disable=import-outside-toplevel
    from .batch import _write_if_changed  # pylint: disable=import-outside-toplevel

    src = os.path.join(project_dir, "src")
    os.makedirs(src, exist_ok=True)
    for f in FIRMWARE_FILES:
        with open(os.path.join(FIRMWARE_DIR, f), encoding="utf-8") as fh:
            _write_if_changed(os.path.join(src, f), fh.read())
    ini = ["; Generated by utensor (scripts/utensor/bench/rt_campaign.py). Rewritten on every build.",
           "[platformio]", "default_envs = rt", f"build_cache_dir = {pio_build_cache()}", "", "[env:rt]", f"platform = symlink://{PLATFORM_DIR}",
           f"board = {board_id}", f"lib_deps = symlink://{REPO}"]
    _write_if_changed(os.path.join(project_dir, "platformio.ini"), "\n".join(ini) + "\n")


def build_firmware(board_id: str, jobs: int = 2) -> str:
    import subprocess  # pylint: disable=import-outside-toplevel

    from ..harness.firmware import pio_command, pio_environment  # pylint: disable=import-outside-toplevel
    from .batch import project_dir  # pylint: disable=import-outside-toplevel

    proj = project_dir("rt-campaign", board_id)
    write_project(proj, board_id)
    proc = subprocess.run(pio_command() + ["run", "-d", proj, "-e", "rt", "-j", str(jobs)], env=pio_environment(),
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, check=False)
    if proc.returncode != 0:
        tail = "\n".join(proc.stdout.strip().splitlines()[-40:])
        raise HarnessError(f"`pio run` of the campaign firmware in {proj} failed. Its last lines:\n{tail}")
    return os.path.join(proj, ".pio", "build", "rt", "firmware.elf")


def _quickack(sock) -> None:
    """QEMU writes the UART byte by byte: without quick ACKs every reply stalls ~40 ms
    (harness/client.py _quickack)."""
    flag = getattr(socket, "TCP_QUICKACK", None)
    if flag is not None:
        try:
            sock.setsockopt(socket.IPPROTO_TCP, flag, 1)
        except OSError:
            pass


class Board:
    """One QEMU running the campaign firmware, spoken to over its UART socket."""

    def __init__(self, board_id: str, elf: str, timeout_s: float = 3600.0):
        self.board_id = board_id
        self.session = qemu.QemuSession(board_id, elf, timeout_s=timeout_s)
        self.session.start()
        self.sock = self.session.connect()
        self.sock.settimeout(None)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.decoder = p.Decoder()
        self._tail = b""
        self.seq = 0
        self.info = self._hello()

    def _await(self, msg_type: int, seq: int, timeout_s: float) -> bytes:
        deadline = time.monotonic() + timeout_s
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise HarnessError(f"the campaign firmware on {self.board_id} did not answer within {timeout_s:g} s. "
                                   f"QEMU: {self.session.log.strip()[-600:]!r}")
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            if not data:
                raise HarnessError(f"the campaign firmware on {self.board_id} closed the link (crashed or exited). "
                                   f"QEMU: {self.session.log.strip()[-600:]!r}")
            _quickack(self.sock)
            seen = self._tail + data  # the BSP's fault report, even split across reads
            self._tail = seen[-32:]
            if b"[utensor] fault" in seen:
                raise HarnessError(f"the campaign firmware on {self.board_id} faulted: "
                                   f"{seen[seen.index(b'[utensor] fault'):][:80]!r}")
            for ev in self.decoder.feed(data):
                if isinstance(ev, p.Frame) and ev.seq == seq and ev.type == (msg_type | p.REPLY):
                    return ev.payload
                if isinstance(ev, p.Frame) and ev.type == p.NACK:
                    raise HarnessError(f"the campaign firmware on {self.board_id} NACKed a frame")

    def request(self, msg_type: int, payload: bytes = b"", prefix: bytes = b"", timeout_s: float = 120.0) -> bytes:
        self.seq = (self.seq + 1) & 0xFF
        self.sock.sendall(prefix + frame(msg_type, self.seq, payload))
        return self._await(msg_type, self.seq, timeout_s)

    def _hello(self):
        for _ in range(50):
            try:
                r = self.request(HELLO, timeout_s=0.5)
                return dict(version=r[0] | r[1] << 8, dsp=r[2], mve=r[3])
            except HarnessError as e:
                if "did not answer" not in str(e):
                    raise
        raise HarnessError(f"the campaign firmware on {self.board_id} does not answer HELLO")

    def run(self, blob: bytes):
        data = b"".join(frame(DATA, 0, struct.pack("<I", off) + blob[off:off + MAX_DATA])
                        for off in range(0, len(blob), MAX_DATA))
        r = self.request(RUN, struct.pack("<I", len(blob)), prefix=data)
        code, status, cycles, n = r[0], r[1], struct.unpack_from("<I", r, 2)[0], r[6]
        hashes = [struct.unpack_from("<II", r, 7 + 8 * i) for i in range(n)]
        return code, status, cycles, hashes

    def batch(self, draws: Sequence[Draw], timeout_s: float = 0.0):
        """Every draw through the bulk path (main.cpp BATCH: semihosting files, the
        control over the UART); per draw (code, status, cycles, [output bytes]). A batch
        that stops early (a crash, a hang) raises BatchStopped with the draws done."""
        import tempfile  # pylint: disable=import-outside-toplevel

        # Generous: the largest draws take well under 0.05 s of QEMU each.
        timeout_s = timeout_s or 120.0 + 0.05 * len(draws)
        with tempfile.TemporaryDirectory(prefix="utensor-rt-") as tmp:
            fin, fout = os.path.join(tmp, "draws.bin"), os.path.join(tmp, "results.bin")
            with open(fin, "wb") as f:
                for d in draws:
                    f.write(struct.pack("<I", len(d.blob)) + d.blob + struct.pack("<I", zlib.crc32(d.blob)))
            if any(len(x.encode()) > 255 for x in (fin, fout)):
                raise HarnessError(f"temporary path too long for the campaign firmware: {tmp}")
            paths = b"".join(bytes([len(x)]) + x for x in (fin.encode(), fout.encode()))
            try:
                r = self.request(BATCH, struct.pack("<I", len(draws)) + paths, timeout_s=timeout_s)
                code, done, why = r[0], struct.unpack_from("<I", r, 1)[0], ""
            except HarnessError as e:
                code, done, why = -1, None, str(e)
            try:
                with open(fout, "rb") as f:
                    data = f.read()
            except OSError:
                data = b""
        results, at = [], 0
        while (done is None or len(results) < done) and at + 7 <= len(data):
            c, status, cycles, n = struct.unpack_from("<BBIB", data, at)
            rec, outs = at + 7, []
            for _ in range(n):
                if rec + 4 > len(data):
                    break
                k = struct.unpack_from("<I", data, rec)[0]
                outs.append(data[rec + 4:rec + 4 + k])
                rec += 4 + k
            if len(outs) != n or rec > len(data):
                break  # a record cut short by the stop
            results.append((c, status, cycles, outs))
            at = rec
        if code != 0 or len(results) != len(draws):
            raise BatchStopped(results, why or f"stopped after {len(results)} of {len(draws)} draws: "
                                               f"{CODES.get(code, code)}")
        return results

    def read(self, offset: int, nbytes: int) -> bytes:
        out = bytearray()
        while len(out) < nbytes:
            k = min(256, nbytes - len(out))
            out += self.request(GET, struct.pack("<IH", offset + len(out), k))
        return bytes(out)

    def close(self):
        try:
            self.request(BYE, timeout_s=5)
        except (HarnessError, OSError):
            pass
        try:
            self.sock.close()
        finally:
            self.session.stop()


def compare(d: Draw, code: int, status: int, outputs: Sequence[bytes]) -> List[str]:
    """The differences between a draw's outputs on the board and tflite_micro's, element
    by element (empty: bit-exact)."""
    if code != 0:
        return [f"the campaign firmware refused the draw: {CODES.get(code, code)}"]
    if status != 0:
        return [f"kernel status {status}"]
    if len(outputs) != len(d.outputs):
        return [f"{len(outputs)} outputs, tflite_micro has {len(d.outputs)}"]
    problems = []
    for j, (o, raw) in enumerate(zip(d.outputs, outputs)):
        if raw == o["expected"]:
            continue
        got = np.frombuffer(raw, o["np_dtype"])
        exp = np.frombuffer(o["expected"], o["np_dtype"])
        if got.size != exp.size:
            problems.append(f"output {j}: {got.size} elements, tflite_micro {exp.size}")
            continue
        bad = np.flatnonzero(got != exp)
        k = int(bad[0])
        problems.append(f"output {j}: {bad.size} of {exp.size} elements differ from tflite_micro (first at flat "
                        f"index {k} of shape {o['shape']}: ours {got[k]}, tflite_micro {exp[k]}; max |diff| "
                        f"{int(np.max(np.abs(got.astype(np.int64) - exp.astype(np.int64))))})")
    return problems


def check_draw(board: Board, d: Draw) -> List[str]:
    """Run one draw; the differences from tflite_micro (empty: bit-exact)."""
    for _ in range(3):
        code, status, cycles, hashes = board.run(d.blob)
        if code != 1:
            break
    d.timings.setdefault("cycles", {})[board.board_id] = cycles
    if code != 0:
        return [f"the campaign firmware refused the draw: {CODES.get(code, code)}"]
    if status != 0:
        return [f"kernel status {status}"]
    if len(hashes) != len(d.outputs):
        return [f"{len(hashes)} outputs, tflite_micro has {len(d.outputs)}"]
    problems = []
    for j, (o, (crc, wsum)) in enumerate(zip(d.outputs, hashes)):
        if crc == o["crc"] and wsum == o["wsum"]:
            continue
        got = np.frombuffer(board.read(o["offset"], o["nbytes"]), o["np_dtype"])
        exp = np.frombuffer(o["expected"], o["np_dtype"])
        bad = np.flatnonzero(got != exp)
        if not bad.size:
            problems.append(f"output {j}: hashes differ but the bytes read back agree (link error?)")
            continue
        k = int(bad[0])
        problems.append(f"output {j}: {bad.size} of {exp.size} elements differ from tflite_micro (first at flat "
                        f"index {k} of shape {o['shape']}: ours {got[k]}, tflite_micro {exp[k]}; max |diff| "
                        f"{int(np.max(np.abs(got.astype(np.int64) - exp.astype(np.int64))))})")
    return problems


def prepare_all(families: Sequence[str], count, seed: int, log=print):
    """Every family's draws, converted and run through tflite_micro once (shared by the boards).
    Returns (draws, failures)."""
    draws, failures = [], []
    t = time.perf_counter()
    for fam in families:
        n = count.get(fam, 0) if isinstance(count, dict) else count
        for i in range(n):
            try:
                draws.append(prepare(fam, seed, i))
            except Exception as e:  # pylint: disable=broad-except
                spec = campaign.draw(fam, seed, i)
                failures.append(f"{fam} seed {seed} draw {i} {singleop.describe(spec)}: {type(e).__name__}: {e}; "
                                f"reproduce: {campaign.repro_command(fam, seed, i, campaign.BOARDS[0])}")
    tot = {k: sum(d.timings.get(k, 0.0) for d in draws) for k in ("build", "lower", "tflm")}
    log(f"[rt-campaign] {len(draws)} draws prepared in {time.perf_counter() - t:.1f} s wall, CPU: singleop.build "
        f"{tot['build']:.1f} s, converter {tot['lower']:.1f} s, tflite_micro {tot['tflm']:.1f} s")
    return draws, failures


def run(families, boards, count, seed: int, jobs: int = 2, log=print, draws=None,
        serial: bool = False) -> List[str]:
    """Every draw of every family on every board; the failures, each naming its draw, board
    and the command that reproduces it (compiled, through campaign.py --repro)."""
    failures: List[str] = []
    if draws is None:
        draws, failures = prepare_all(families, count, seed, log)
    for board_id in boards:
        t, c = time.time(), campaign.cpu_seconds()
        elf = build_firmware(board_id, jobs)
        tb, cb = time.time() - t, campaign.cpu_seconds() - c
        bad, start = 0, 0
        while start < len(draws):
            board = Board(board_id, elf)
            try:
                want = ARCH[board_id]
                got = (bool(board.info["dsp"]), bool(board.info["mve"]))
                if got != want:
                    raise HarnessError(f"the campaign firmware on {board_id} was built with DSP/Helium kernels "
                                       f"{got}, expected {want}: the campaign would not test that board's fast paths")
                todo = draws[start:]
                stopped = None
                if serial:
                    probs = [check_draw(board, d) for d in todo]
                else:
                    try:
                        results = board.batch(todo)
                    except BatchStopped as e:
                        results, stopped = e.results, str(e)
                    probs = []
                    for d, res in zip(todo, results):
                        d.timings.setdefault("cycles", {})[board_id] = res[2]
                        probs.append(compare(d, res[0], res[1], res[3]))
            finally:
                board.close()
            for d, found in zip(todo, probs):
                for prob in found:
                    bad += 1
                    failures.append(f"{d.family} seed {d.seed} draw {d.index} on {board_id} "
                                    f"({singleop.describe(d.spec)}, {d.kind}): {prob}; reproduce: "
                                    f"{campaign.repro_command(d.family, d.seed, d.index, board_id)}")
            start += len(probs)
            if stopped is not None:  # the draw that stopped the firmware; QEMU restarts after it
                d = draws[start]
                bad += 1
                failures.append(f"{d.family} seed {d.seed} draw {d.index} on {board_id} "
                                f"({singleop.describe(d.spec)}, {d.kind}): the firmware stopped on it ({stopped}); "
                                f"reproduce: {campaign.repro_command(d.family, d.seed, d.index, board_id)}")
                start += 1
        log(f"[rt-campaign] {board_id}: {len(draws)} draws, {bad} problems, {time.time() - t:.1f} s wall, "
            f"{campaign.cpu_seconds() - c:.1f} s CPU (firmware build {tb:.1f} s wall, {cb:.1f} s CPU)")
    return failures


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m utensor.bench.rt_campaign", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--family", action="append", choices=sorted(campaign.DRAWS), help="default: all")
    ap.add_argument("--board", action="append", choices=campaign.BOARDS, help="default: all five")
    ap.add_argument("--count", type=int, default=campaign.DEFAULT_COUNT, help="draws per family")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--serial", action="store_true",
                    help="send every draw over the UART framing (slow under QEMU) instead of the bulk path")
    ap.add_argument("--repro", nargs=3, metavar=("FAMILY", "SEED", "INDEX"),
                    help="run one draw on the campaign firmware (prints its spec); campaign.py --repro "
                         "builds it as a compiled model instead")
    args = ap.parse_args(argv)
    if args.repro:
        fam, seed, index = args.repro[0], int(args.repro[1]), int(args.repro[2])
        print(f"{fam} seed {seed} draw {index}: {campaign.draw(fam, seed, index)}")
        d = prepare(fam, seed, index)
        print(f"kernel call: {d.kind}")
        failures = run([fam], args.board or list(campaign.BOARDS), 0, seed, args.jobs, draws=[d],
                       log=lambda s: print(s, flush=True), serial=args.serial)
        for f in failures:
            print("FAIL " + f)
        print(f"[rt-campaign] {fam} seed {seed} draw {index}: {'PASS' if not failures else 'FAIL'}")
        return 1 if failures else 0
    families = args.family or list(campaign.DRAWS)
    boards = args.board or list(campaign.BOARDS)
    t, c = time.time(), campaign.cpu_seconds()
    print(f"[rt-campaign] seed {args.seed}, {args.count} draws per family, families {families}, boards {boards}",
          flush=True)
    failures = run(families, boards, args.count, args.seed, args.jobs,
                   log=lambda s: print(s, flush=True), serial=args.serial)
    print(f"[rt-campaign] {time.time() - t:.0f} s wall, {campaign.cpu_seconds() - c:.0f} s CPU", flush=True)
    for f in failures:
        print("FAIL " + f)
    print(f"[rt-campaign] seed {args.seed}: {'PASS' if not failures else f'{len(failures)} failures'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
