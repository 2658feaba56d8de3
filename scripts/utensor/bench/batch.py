"""Many single-operator models in one firmware: built once per board, run once under QEMU,
every output checked against tflite_micro, the instructions of every invoke() counted.

    results = run_batch(models, "mps2_an386", count=True)
    # models: [(name, tflite_bytes, input_seed)], results: [ModelRun] in the same order

The firmware (templates/batch_main.cpp.j2) runs the registry's models in order on
pseudo-random input bytes (float32 inputs: values in [-1, 1)) from a seeded xorshift32 (`input_bytes` draws the same bytes
here), so no input arrays take flash. The generated models go straight into src/ (the
converter's own emitter), `build_flags` may select the portable kernels
(-DUTENSOR_REFERENCE_KERNELS). A batch must fit the board: `split` groups models under
the smallest board's flash and RAM.
"""

import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from typing import Callable, List, Optional, Sequence, Tuple

import jinja2
import numpy as np

from .. import convert, emitter, qemu
from ..errors import HarnessError
from ..harness.firmware import PLATFORM_DIR, REPO, pio_command, pio_environment
from ..paths import cache_root, pio_build_cache
from ..version import __version__

ENV_NAME = "batch"
TEMPLATE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "templates")
REFERENCE_FLAGS = ("-DUTENSOR_REFERENCE_KERNELS",)

# Per batch, under the smallest emulated board (mps3_an547: 512 KB code, 2 MB constants,
# 4 MB RAM), with room for the runtime and the stack.
MAX_WEIGHT_BYTES = 1_500_000
MAX_ARENA_BYTES = 3_000_000
MAX_MODELS = 400  # generated code, ~0.4-1 KB per model, in the M55's 512 KB ITCM

_MODEL_RE = re.compile(r"^utensor-batch: model (\d+) status (\d+)$", re.M)
_OUT_RE = re.compile(r"^utensor-batch: output (\d+) (\d+) ([0-9a-f]*)$", re.M)


@dataclass
class ModelRun:
    name: str
    status: int
    outputs: List[bytes]
    instructions: Optional[int] = None
    problems: List[str] = field(default_factory=list)


def input_seed(seed: int) -> int:
    return (seed * 0x9E3779B9 + 0x7F4A7C15) & 0xFFFFFFFF


def input_bytes(seed: int, sizes: Sequence[int], dtypes: Optional[Sequence[str]] = None) -> List[bytes]:
    """The bytes batch_main.cpp.j2 writes to the inputs of a model with input seed
    `seed` (xorshift32 over input_seed(seed)): one byte per step, or for a float32 input
    (`dtypes`, numpy names) one element per step, uniform in [-1, 1) (the step's top 24
    bits as a signed fraction: exact in float32, so both sides hold the same values)."""
    x = input_seed(seed) | 1
    out = []
    for k, n in enumerate(sizes):
        as_float = dtypes is not None and np.dtype(dtypes[k]) == np.float32
        buf = bytearray(n)
        values = []
        for i in range(n // 4 if as_float else n):
            x ^= (x << 13) & 0xFFFFFFFF
            x ^= x >> 17
            x ^= (x << 5) & 0xFFFFFFFF
            if as_float:
                values.append(((x ^ 0x80000000) - 0x80000000) >> 8)
            else:
                buf[i] = x >> 24
        if as_float:
            buf = (np.array(values, np.float64) * 2.0 ** -23).astype("<f4").tobytes()
        out.append(bytes(buf))
    return out


def convert_bytes(name: str, tflite: bytes) -> convert.Conversion:
    with tempfile.NamedTemporaryFile(suffix=".tflite") as f:
        f.write(tflite)
        f.flush()
        return convert.convert_file(f.name, name=name)


def split(conversions: Sequence[convert.Conversion]) -> List[List[int]]:
    """Indices grouped into batches that fit the smallest board."""
    groups: List[List[int]] = []
    cur: List[int] = []
    w = a = 0
    for i, c in enumerate(conversions):
        cw, ca = c.emitted.weight_bytes, c.emitted.arena_bytes
        if cur and (w + cw > MAX_WEIGHT_BYTES or a + ca > MAX_ARENA_BYTES or len(cur) >= MAX_MODELS):
            groups.append(cur)
            cur, w, a = [], 0, 0
        cur.append(i)
        w += cw
        a += ca
    if cur:
        groups.append(cur)
    return groups


def _write_if_changed(path: str, text: str) -> None:
    try:
        with open(path, encoding="utf-8") as f:
            if f.read() == text:
                return
    except OSError:
        pass
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def write_project(project_dir: str, board_id: str, conversions: Sequence[convert.Conversion],
                  seeds: Sequence[int], build_flags: Sequence[str] = ()) -> None:
    src = os.path.join(project_dir, "src")
    os.makedirs(src, exist_ok=True)
    keep = {"main.cpp", convert.REGISTRY_FILE}
    for c in conversions:
        keep |= {c.emitted.header_name, c.emitted.source_name}
        _write_if_changed(os.path.join(src, c.emitted.header_name), c.emitted.header)
        _write_if_changed(os.path.join(src, c.emitted.source_name), c.emitted.source)
    for f in os.listdir(src):  # models of an earlier, larger batch in this folder
        if f not in keep:
            os.remove(os.path.join(src, f))
    _write_if_changed(os.path.join(src, convert.REGISTRY_FILE),
                      emitter.emit_registry([c.graph.name for c in conversions]))
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATE_DIR), undefined=jinja2.StrictUndefined,
                             keep_trailing_newline=True)
    _write_if_changed(os.path.join(src, "main.cpp"), env.get_template("batch_main.cpp.j2").render(
        version=__version__, count=len(conversions), seeds=[input_seed(s) for s in seeds]))
    ini = [
        "; Generated by utensor (scripts/utensor/bench/batch.py). Rewritten on every build.",
        "[platformio]", f"default_envs = {ENV_NAME}", f"build_cache_dir = {pio_build_cache()}", "",
        f"[env:{ENV_NAME}]",
        f"platform = symlink://{PLATFORM_DIR}", f"board = {board_id}", f"lib_deps = symlink://{REPO}",
    ]
    if build_flags:
        ini.append("build_flags = " + " ".join(build_flags))
    _write_if_changed(os.path.join(project_dir, "platformio.ini"), "\n".join(ini) + "\n")


def build(project_dir: str, jobs: int = 2, timeout_s: float = 3600.0) -> str:
    cmd = pio_command() + ["run", "-d", project_dir, "-e", ENV_NAME, "-j", str(jobs)]
    proc = subprocess.run(cmd, env=pio_environment(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                          text=True, timeout=timeout_s, check=False)
    if proc.returncode != 0:
        tail = "\n".join(proc.stdout.strip().splitlines()[-40:])
        raise HarnessError(f"`pio run` of the batch firmware in {project_dir} failed "
                           f"(exit {proc.returncode}). Its last lines:\n{tail}")
    elf = os.path.join(project_dir, ".pio", "build", ENV_NAME, "firmware.elf")
    if not os.path.isfile(elf):
        raise HarnessError(f"`pio run` succeeded but {elf} does not exist.")
    return elf


def run(board_id: str, elf: str, n_models: int, count: bool, timeout_s: float = 1800.0):
    """Per model: (status, outputs, instructions or None)."""
    fd, uart_path = tempfile.mkstemp(prefix="utensor-batch-", suffix=".uart")
    os.close(fd)
    try:
        cmd = ["timeout", "--kill-after=5", "%g" % timeout_s] + qemu.qemu_command(
            board_id, elf, "file:" + uart_path, qemu.plugin_args() if count else ())
        proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, check=False)
        with open(uart_path, encoding="utf-8", errors="replace") as f:
            uart = f.read()
    finally:
        os.remove(uart_path)
    if proc.returncode != 0 or "utensor-batch: done" not in uart:
        raise HarnessError(
            f"the batch firmware {elf} on {board_id} ended with code {proc.returncode}"
            f"{' (timeout)' if proc.returncode == qemu.TIMEOUT_EXIT_CODE else ''}. "
            f"UART: {uart.strip()[-600:]!r}; QEMU: {proc.stdout.strip()[-600:]!r}")
    statuses = {int(m.group(1)): int(m.group(2)) for m in _MODEL_RE.finditer(uart)}
    outputs: dict = {}
    for m in _OUT_RE.finditer(uart):
        outputs.setdefault(int(m.group(1)), {})[int(m.group(2))] = bytes.fromhex(m.group(3))
    counts: List[Optional[int]] = [None] * n_models
    if count:
        marks, _ = qemu.parse_icount(proc.stdout)
        at = [a for _, a, _ in marks]
        if len(at) != 2 * n_models:
            raise HarnessError(f"{elf}: the instruction counter saw {len(at)} marks, {2 * n_models} expected.")
        counts = [at[2 * k + 1] - at[2 * k] - 1 for k in range(n_models)]
    if len(statuses) != n_models:
        raise HarnessError(f"{elf}: {len(statuses)} models reported, {n_models} expected.")
    return [(statuses[k], [outputs.get(k, {})[i] for i in sorted(outputs.get(k, {}))], counts[k])
            for k in range(n_models)]


def project_dir(tag: str, board_id: str) -> str:
    """One project per (tag, board): every batch rewrites its src/, PlatformIO recompiles
    only the changed models and keeps the runtime's objects."""
    return os.path.join(cache_root(), "batch", f"{tag}-{board_id}")


def check(tflite: bytes, seed: int, outputs: Sequence[bytes]) -> List[str]:
    """Differences between our outputs and tflite_micro's on the same inputs: integer
    outputs bit-exact, float32 within 1e-5 relative (harness.compare)."""
    from ..harness.compare import FLOAT_REL_TOL, compare  # pylint: disable=import-outside-toplevel
    from ..reference import Reference  # pylint: disable=import-outside-toplevel

    ref = Reference(tflite)
    sizes = [int(np.prod(d["shape"])) * np.dtype(d["dtype"]).itemsize for d in ref.input_details]
    raw = input_bytes(seed, sizes, [np.dtype(d["dtype"]).name for d in ref.input_details])
    inputs = [np.frombuffer(b, dtype=np.dtype(d["dtype"])).reshape(d["shape"])
              for b, d in zip(raw, ref.input_details)]
    expected = ref.invoke(inputs)
    problems = []
    if len(outputs) != len(expected):
        return [f"{len(outputs)} outputs, tflite_micro has {len(expected)}"]
    for j, (got, exp) in enumerate(zip(outputs, expected)):
        e = np.ascontiguousarray(exp)
        g = np.frombuffer(got, dtype=e.dtype)
        if g.size != e.size:
            problems.append(f"output {j}: {g.size} elements, tflite_micro {e.size}")
            continue
        if np.issubdtype(e.dtype, np.floating):
            c = compare(g.reshape(e.shape), e)
            if not c.ok:
                problems.append(f"output {j}: {c.mismatches} of {e.size} elements differ from tflite_micro, "
                                f"max relative error {c.max_rel_error:.3g} (> {FLOAT_REL_TOL:g}; first at "
                                f"flat index {c.first_mismatch}: ours {c.board_value}, tflite_micro {c.ref_value})")
            continue
        bad = np.flatnonzero(g != e.reshape(-1))
        if bad.size:
            k = int(bad[0])
            problems.append(f"output {j}: {bad.size} of {e.size} elements differ from tflite_micro "
                            f"(first at flat index {k}: ours {g[k]}, tflite_micro {e.reshape(-1)[k]}; "
                            f"max |diff| {int(np.max(np.abs(g.astype(np.int64) - e.reshape(-1).astype(np.int64))))})")
    return problems


def run_batch(models: Sequence[Tuple[str, bytes, int]], board_id: str, *, count: bool = False,
              build_flags: Sequence[str] = (), tag: str = "batch", jobs: int = 2,
              conversions: Optional[Sequence[convert.Conversion]] = None,
              log: Callable[[str], None] = print, keep: bool = True) -> List[ModelRun]:
    """models: (name, tflite bytes, input seed). Convert (unless given), build in batches
    that fit, run, check against tflite_micro."""
    convs = list(conversions) if conversions is not None else [convert_bytes(n, b) for n, b, _ in models]
    results: List[ModelRun] = []
    for g, idx in enumerate(split(convs)):
        proj = project_dir(tag, board_id)
        write_project(proj, board_id, [convs[i] for i in idx], [models[i][2] for i in idx], build_flags)
        log(f"[batch] {board_id}: building batch {g} ({len(idx)} models) in {proj} ...")
        elf = build(proj, jobs=jobs)
        runs = run(board_id, elf, len(idx), count)
        for k, i in enumerate(idx):
            status, outs, n = runs[k]
            r = ModelRun(models[i][0], status, outs, n)
            if status != 0:
                r.problems.append(f"invoke() returned status {status}")
            else:
                r.problems += check(models[i][1], models[i][2], outs)
            results.append(r)
        if not keep:
            shutil.rmtree(proj, ignore_errors=True)
    return results
