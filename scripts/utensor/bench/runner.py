"""Run a benchmark firmware once under QEMU with the exact instruction counter plugin and
parse what it reports: per run the status, peak stack, outputs, and the instructions
between the counter marks (utensor/qemu.py builds the plugin and the command line)."""

import os
import re
import subprocess
import tempfile
from dataclasses import dataclass, field
from typing import Dict, List

from .. import qemu
from ..errors import HarnessError

_RUN_RE = re.compile(r"^utensor-bench: run (\d+) status (\d+) stack (\d+)$", re.M)
_OUT_RE = re.compile(r"^utensor-bench: output (\d+) (\d+) ([0-9a-f]*)$", re.M)
_MODEL_RE = re.compile(r"^utensor-bench: model (\S+) arena (\d+) weights (\d+)$", re.M)


@dataclass
class RunResult:
    arena_bytes: int
    weight_bytes: int
    statuses: List[int]
    stacks: List[int]
    outputs: List[List[bytes]]  # per run, per output tensor
    marks: List[int] = field(default_factory=list)  # instructions before each mark
    total_instructions: int = 0
    # Per modelled core (qemu.CYCLE_CORES): estimated cycles before each mark.
    cycle_marks: Dict[str, List[int]] = field(default_factory=dict)
    # A stateful model's uncounted invoke before the runs (bench_main.cpp.j2).
    warmup: bool = False

    def drop_leading_marks(self, n: int) -> None:
        """Forget the first n marks (the warm-up invoke's layer marks)."""
        if len(self.marks) < n:
            raise HarnessError(f"the instruction counter saw {len(self.marks)} marks, at least {n} expected.")
        self.marks = self.marks[n:]
        self.cycle_marks = {core: at[n:] for core, at in self.cycle_marks.items()}

    def segments(self, marks_per_run: int) -> List[List[int]]:
        """Per run, the instructions strictly between consecutive marks (the mark
        instruction itself not counted)."""
        if len(self.marks) != marks_per_run * len(self.statuses):
            raise HarnessError(
                f"the instruction counter saw {len(self.marks)} marks, "
                f"{marks_per_run * len(self.statuses)} expected.")
        runs = []
        for r in range(len(self.statuses)):
            at = self.marks[r * marks_per_run:(r + 1) * marks_per_run]
            runs.append([b - a - 1 for a, b in zip(at, at[1:])])
        return runs

    def cycle_segments(self, marks_per_run: int, core: str) -> List[List[int]]:
        """Per run, the estimated `core` cycles strictly between consecutive marks (the
        mark instruction, 1 cycle, not counted)."""
        at_all = self.cycle_marks.get(core, [])
        if len(at_all) != marks_per_run * len(self.statuses):
            raise HarnessError(
                f"the cycle estimate saw {len(at_all)} marks, "
                f"{marks_per_run * len(self.statuses)} expected.")
        runs = []
        for r in range(len(self.statuses)):
            at = at_all[r * marks_per_run:(r + 1) * marks_per_run]
            runs.append([b - a - 1 for a, b in zip(at, at[1:])])
        return runs


def run(board_id: str, elf: str, timeout_s: float = 600.0) -> RunResult:
    fd, uart_path = tempfile.mkstemp(prefix="utensor-bench-", suffix=".uart")
    os.close(fd)
    try:
        cmd = ["timeout", "--kill-after=5", "%g" % timeout_s] + qemu.qemu_command(
            board_id, elf, "file:" + uart_path, qemu.plugin_args())
        proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, check=False)
        with open(uart_path, encoding="utf-8", errors="replace") as f:
            uart = f.read()
    finally:
        os.remove(uart_path)
    log = proc.stdout
    if proc.returncode != 0 or "utensor-bench: done" not in uart:
        raise HarnessError(
            f"the benchmark firmware {elf} on {board_id} ended with code {proc.returncode}"
            f"{' (timeout)' if proc.returncode == qemu.TIMEOUT_EXIT_CODE else ''}. "
            f"UART: {uart.strip()[-800:]!r}; QEMU: {log.strip()[-800:]!r}")
    model = _MODEL_RE.search(uart)
    runs = [tuple(int(g) for g in m.groups()) for m in _RUN_RE.finditer(uart)]
    outputs = {}
    for m in _OUT_RE.finditer(uart):
        outputs.setdefault(int(m.group(1)), {})[int(m.group(2))] = bytes.fromhex(m.group(3))
    marks, total = qemu.parse_icount(log)
    cycle_marks, _ = qemu.parse_cycles(log)
    return RunResult(
        arena_bytes=int(model.group(2)),
        weight_bytes=int(model.group(3)),
        statuses=[s for _, s, _ in runs],
        stacks=[k for _, _, k in runs],
        outputs=[[outputs[r][i] for i in sorted(outputs.get(r, {}))] for r, _, _ in runs],
        marks=[at for _, at, _ in marks],
        total_instructions=total or 0,
        cycle_marks={core: [m[core] for _, m in cycle_marks] for core in qemu.CYCLE_CORES},
        warmup="utensor-bench: warmup" in uart,
    )
