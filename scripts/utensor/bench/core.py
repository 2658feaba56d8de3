"""One benchmark: a model on a board, measured.

    result = bench_model("kws_ref_model.tflite", "mps2_an386", layers=True)

Converts the model (arena, plan lower bound, weights), builds the benchmark firmware with
PlatformIO, runs it under QEMU with the exact instruction counter, checks the outputs
against tflite_micro on the same seeded input, and splits flash and RAM by where they go
(sizes.py). Returns a JSON-ready dict; report.py turns a list of them into tables.
"""

import hashlib
import os
from types import SimpleNamespace
from typing import Callable, Optional

import numpy as np

from .. import convert, cycle_model
from ..boards import get_board
from ..errors import HarnessError
from ..harness.cli_common import make_reference, read_model_bytes
from ..harness.compare import compare
from ..harness.inputs import random_samples
from . import firmware, macs, runner, sizes, tflm

SCHEMA = 1


def _stem(path: str) -> str:
    return os.path.splitext(os.path.basename(path.rstrip("/\\")))[0]


def bench_inputs(reference, seed: int):
    """The benchmark input: sample 0 of `utensor verify --seed SEED`'s random inputs."""
    descs = [SimpleNamespace(dtype=np.dtype(d["dtype"]).name, numpy_dtype=np.dtype(d["dtype"]).name,
                             shape=tuple(int(s) for s in d["shape"]))
             for d in reference.input_details]
    return random_samples(descs, 1, seed)[0]


def _outputs_as_arrays(raw, reference):
    arrays = []
    for data, d in zip(raw, reference.output_details):
        dt = np.dtype(d["dtype"])
        arrays.append(np.frombuffer(data, dtype=dt).reshape(tuple(int(s) for s in d["shape"])))
    return arrays


def _check_runs(result: runner.RunResult, where: str) -> None:
    bad = [s for s in result.statuses if s != 0]
    if bad or not result.statuses:
        raise HarnessError(f"{where}: invoke() returned status {bad or 'nothing'} (0 = ok).")


def _flash(mm: sizes.MemoryMap) -> dict:
    f = mm.flash
    detail = {k: f.get(k) for k in ("bsp", "libc", "driver", "padding")}
    return {
        "total": f.total,
        "weights": f.get("weights"),
        "generated_code": f.get("model"),
        "runtime_kernels": f.get("runtime"),
        "board_support_libc": sum(detail.values()),
        "board_support_libc_detail": detail,
        # The benchmark's own input arrays: flash of this firmware, not of a product.
        "bench_input": f.get("bench_input"),
    }


def _ram(mm: sizes.MemoryMap, arena: int, stack: int, stack_reserve: int) -> dict:
    r = mm.ram
    model_runtime = r.get("model") + r.get("runtime")
    return {
        "static_total": r.total,
        "arena": r.get("arena"),
        "static_non_arena": r.total - r.get("arena"),
        "static_model_runtime_non_arena": model_runtime,
        "static_other": r.total - r.get("arena") - model_runtime,
        # The issue's RAM: the arena plus the static RAM generated code and runtime add.
        "model_ram": arena + model_runtime,
        "peak_stack": stack,
        "stack_reserve": stack_reserve,
    }


def _ratios(result: dict, board: str) -> Optional[dict]:
    fig = tflm.figures(result["model_stem"])
    if fig is None:
        return None
    instr = result["instructions"]
    ours_flash = (result["flash"]["weights"] + result["flash"]["generated_code"]
                  + result["flash"]["runtime_kernels"])
    ratios = {
        "tflm": fig.__dict__,
        "tflm_optimized_instructions": tflm.cmsis_instructions_for(fig, board),
        "instructions_vs_tflm_optimized": instr / tflm.cmsis_instructions_for(fig, board),
        "instructions_vs_tflm_reference": (instr / fig.reference_instructions
                                           if board != "mps3_an547" else None),
        "ram_vs_tflm_arena": result["ram"]["model_ram"] / fig.arena_bytes,
        "ram_goal_bytes": int(0.6 * fig.arena_bytes),
        "flash_ours": ours_flash,
        "flash_tflm": fig.runtime_flash_bytes + fig.flatbuffer_bytes,
        "flash_vs_tflm": ours_flash / (fig.runtime_flash_bytes + fig.flatbuffer_bytes),
    }
    ratios["ram_goal_met"] = ratios["ram_vs_tflm_arena"] <= 0.6
    ratios["flash_goal_met"] = ratios["flash_vs_tflm"] <= 0.5
    return ratios


def _per_cycle(macs_count: int, cycles: Optional[int]) -> Optional[float]:
    return (macs_count / cycles) if cycles else None


def _layers(conv, board: str, model_path: str, inputs, plain_outputs, jobs: int, log) -> dict:
    project = firmware.cache_dir(model_path, board, "layers")
    firmware.write_project(project, board, model_path, conv, inputs, "layers")
    log(f"[bench] building the per-layer firmware in {project} ...")
    fw = firmware.build(project, board, "layers", jobs=jobs)
    res = runner.run(board, fw.elf)
    _check_runs(res, f"{fw.elf} on {board}")
    ops = conv.graph.operators
    if res.warmup:
        res.drop_leading_marks(len(ops))
    segs = res.segments(len(ops) + 2)
    if any(s != segs[0] for s in segs) or any(o != plain_outputs for o in res.outputs):
        raise HarnessError(f"{fw.elf}: the per-layer runs differ from each other or from the plain build.")
    seg = segs[0]
    core = cycle_model.core_for_cpu(get_board(board).cpu)
    # The first run's estimate: a cold branch history, like a single inference.
    cyc = res.cycle_segments(len(ops) + 2, core)[0] if core else None
    rows = []
    for i, op in enumerate(ops):
        m = macs.operator_macs(conv.graph, op)
        row = {
            "index": i,
            "op": op.op_type,
            "output_shape": list(conv.graph.tensor(op.outputs[0]).shape) if op.outputs else [],
            "instructions": seg[i],
            "macs": m,
            "macs_per_instruction": (m / seg[i]) if seg[i] else None,
        }
        if core:
            row["estimated_cycles"] = {core: cyc[i]}
            row["macs_per_cycle"] = {core: _per_cycle(m, cyc[i])}
        rows.append(row)
    extra = {}
    if core:
        extra = {"tail_estimated_cycles": {core: cyc[-1]}, "sum_estimated_cycles": {core: sum(cyc)}}
    return {
        **extra,
        "layers": rows,
        # After the last operator's hook until invoke() returned.
        "tail_instructions": seg[-1],
        "sum_instructions": sum(seg),
        # Each layer includes one hook call (call, mark, return): the hooked total minus
        # the plain count is what the marks cost.
        "hook_overhead_total": None,
    }


def bench_model(model_path: str, board: str, *, layers: bool = False, seed: int = 0, jobs: int = 2,
                tflm_arena: bool = True, log: Callable[[str], None] = print) -> dict:
    model_bytes = read_model_bytes(model_path)
    conv = convert.convert_file(model_path)
    reference = make_reference(model_bytes, model_path)
    inputs = bench_inputs(reference, seed)
    stateful = conv.plan.state_bytes > 0 and hasattr(reference, "step")
    if stateful:
        # As the firmware runs it: one invoke (a CALL_ONCE init runs then), reset(), the
        # measured invoke.
        reference.invoke(inputs)
        reference.reset()
        refs = reference.step(inputs)
    else:
        refs = reference.invoke(inputs)

    project = firmware.cache_dir(model_path, board, "plain")
    firmware.write_project(project, board, model_path, conv, inputs, "plain")
    log(f"[bench] building {os.path.basename(model_path)} for {board} in {project} ...")
    fw = firmware.build(project, board, "plain", jobs=jobs)
    res = runner.run(board, fw.elf)
    _check_runs(res, f"{fw.elf} on {board}")
    if res.warmup != stateful:
        raise HarnessError(f"{fw.elf}: warm-up invoke {'missing' if stateful else 'unexpected'} "
                           f"(state {conv.plan.state_bytes} B).")
    counts = [s[0] for s in res.segments(2)]
    with open(fw.map_file, encoding="utf-8", errors="replace") as f:
        mm = sizes.parse_map(f.read(), conv.graph.name)

    outputs = _outputs_as_arrays(res.outputs[0], reference)
    comps = [compare(o, r) for o, r in zip(outputs, refs)]
    result = {
        "schema": SCHEMA,
        "model": conv.graph.name,
        "model_stem": _stem(model_path),
        "model_path": os.path.abspath(model_path),
        "model_sha256": hashlib.sha256(model_bytes).hexdigest(),
        "board": board,
        "input": f"seeded random (numpy default_rng({seed}), sample 0 of `utensor verify --seed {seed}`)"
                 + ("; stateful: each counted invoke after one uncounted invoke and reset()" if stateful else ""),
        "instructions": counts[0],
        "instructions_runs": counts,
        "repeatable": len(set(counts)) == 1,
        "counter": "exact instructions between two marks around invoke(), interrupts off "
                   "(QEMU TCG plugin scripts/utensor/qemu_plugin/icount.c)",
        "arena_bytes": conv.emitted.arena_bytes,
        "arena_descriptor_bytes": res.arena_bytes,
        "arena_lower_bound": conv.plan.lower_bound,
        # Part of arena_bytes: the persistent state (variable tensors), never reused.
        "state_bytes": conv.plan.state_bytes,
        "weight_bytes": conv.emitted.weight_bytes,
        "ops": len(conv.graph.operators),
        "macs": sum(macs.operator_macs(conv.graph, op) for op in conv.graph.operators),
        "flash": _flash(mm),
        "ram": _ram(mm, conv.emitted.arena_bytes, max(res.stacks), fw.stack_reserve_bytes),
        "elf": {"path": fw.elf, "text": fw.text_bytes, "data": fw.data_bytes, "bss": fw.bss_bytes,
                "flash": fw.flash_bytes, "ram": fw.ram_bytes},
        "outputs_repeat": all(o == res.outputs[0] for o in res.outputs),
        "bit_exact": all(c.exact for c in comps),
        "outputs_ok": all(c.ok for c in comps),
        "max_abs_error": max((c.max_abs_error for c in comps), default=0.0),
    }
    core = cycle_model.core_for_cpu(get_board(board).cpu)
    if core:
        cycles = [s[0] for s in res.cycle_segments(2, core)]
        result["estimated_cycles"] = {core: cycles[0]}
        result["estimated_cycles_runs"] = {core: cycles}
        result["macs_per_cycle"] = {core: _per_cycle(result["macs"], cycles[0])}
        result["cycle_model"] = cycle_model.describe(core)
    else:
        # Only the Cortex-M4 and M7 have a cycle model; other cores report instructions.
        result["estimated_cycles"] = None
        result["cycle_model"] = None
    result["macs_per_instruction"] = _per_cycle(result["macs"], result["instructions"])
    if tflm_arena:
        result["tflm_host_arena"] = tflm.host_arena(model_path)
    result["vs_tflm"] = _ratios(result, board)
    if layers:
        lay = _layers(conv, board, model_path, inputs, res.outputs[0], jobs, log)
        lay["hook_overhead_total"] = lay["sum_instructions"] - result["instructions"]
        result["per_layer"] = lay
    return result
