"""Benchmark results as text: one line per model, and Markdown tables (main figures, the
comparison with TensorFlow Lite Micro, the per-layer breakdown)."""

from typing import List

from .tflm import SOURCE


def _n(x) -> str:
    return "-" if x is None else f"{x:,}"


def _r(x) -> str:
    return "-" if x is None else f"{x:.2f}"


def _core(r: dict):
    """The modelled core of a result with a cycle estimate, else None."""
    est = r.get("estimated_cycles")
    return next(iter(est)) if est else None


def _core_name(core: str) -> str:
    return core.replace("cortex-", "Cortex-").replace("-m", "-M")


def cycles_text(r: dict) -> str:
    """'; est. N cycles on a Cortex-M4 (zero wait states), X MACs/cycle, Y MACs/instruction'
    for a result with a cycle estimate, '' otherwise."""
    core = _core(r)
    if not core:
        return ""
    mpc = (r.get("macs_per_cycle") or {}).get(core)
    mpi = r.get("macs_per_instruction")
    return (f"; est. {r['estimated_cycles'][core]:,} cycles on a {_core_name(core)} (zero wait states)"
            + (f", {mpc:.3f} MACs/cycle" if mpc else "")
            + (f", {mpi:.3f} MACs/instruction" if mpi else ""))


def one_line(r: dict) -> str:
    f, ram = r["flash"], r["ram"]
    verdict = "bit-exact" if r["bit_exact"] else ("within tolerance" if r["outputs_ok"] else "MISMATCH")
    return (f"{r['model']} on {r['board']}: {r['instructions']:,} instructions "
            f"({'repeatable' if r['repeatable'] else 'NOT REPEATABLE'}){cycles_text(r)}; arena {r['arena_bytes']:,} B "
            f"(lower bound {r['arena_lower_bound']:,}"
            + (f", of which state {r['state_bytes']:,}" if r.get("state_bytes") else "")
            + f"); model RAM {ram['model_ram']:,} B; static RAM "
            f"{ram['static_total']:,} B; peak stack {ram['peak_stack']:,} B; flash {f['total']:,} B "
            f"(weights {f['weights']:,}, generated {f['generated_code']:,}, runtime+kernels "
            f"{f['runtime_kernels']:,}, board/libc {f['board_support_libc']:,}); outputs {verdict} vs tflite_micro")


def main_table(results: List[dict]) -> List[str]:
    lines = [
        "| model | instructions | est. cycles | MACs/instr. | MACs/cycle | arena B (lower bound) "
        "| model RAM B | static RAM B | peak stack B "
        "| flash B | weights | generated code | runtime+kernels | board+libc | bench input | vs tflite_micro |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        f, ram = r["flash"], r["ram"]
        verdict = "bit-exact" if r["bit_exact"] else ("ok" if r["outputs_ok"] else "**MISMATCH**")
        core = _core(r)
        cycles = r["estimated_cycles"][core] if core else None
        mpc = (r.get("macs_per_cycle") or {}).get(core) if core else None
        mpi = r.get("macs_per_instruction")
        if mpi is None and r.get("macs") and r.get("instructions"):  # JSON of earlier versions
            mpi = r["macs"] / r["instructions"]
        lines.append(
            f"| {r['model']} | {_n(r['instructions'])} | {_n(cycles)} "
            f"| {'-' if not mpi else f'{mpi:.3f}'} | {'-' if not mpc else f'{mpc:.3f}'} "
            f"| {_n(r['arena_bytes'])} ({_n(r['arena_lower_bound'])}) "
            f"| {_n(ram['model_ram'])} | {_n(ram['static_total'])} | {_n(ram['peak_stack'])} "
            f"| {_n(f['total'])} | {_n(f['weights'])} | {_n(f['generated_code'])} "
            f"| {_n(f['runtime_kernels'])} | {_n(f['board_support_libc'])} | {_n(f.get('bench_input', 0))} | {verdict} |")
    return lines


def tflm_table(results: List[dict], board: str) -> List[str]:
    rows = [r for r in results if r.get("vs_tflm")]
    if not rows:
        return []
    helium = board == "mps3_an547"
    opt = "TFLM+CMSIS-NN (Helium)" if helium else "TFLM+CMSIS-NN"
    lines = [
        f"| model | ours instr. | TFLM ref. instr. | ours/ref. | {opt} instr. | ours/CMSIS-NN "
        "| our RAM B | TFLM arena B | RAM ratio (goal <= 0.60) | our flash B | TFLM runtime+flatbuffer B "
        "| flash ratio (goal <= 0.50) | tflite_micro host arena: head / total B |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        v = r["vs_tflm"]
        t = v["tflm"]
        host = r.get("tflm_host_arena") or {}
        ram_mark = "" if v["ram_goal_met"] else " (not met)"
        flash_mark = "" if v["flash_goal_met"] else " (not met)"
        lines.append(
            f"| {r['model']} | {_n(r['instructions'])} "
            f"| {'-' if helium else _n(t['reference_instructions'])} | {_r(v['instructions_vs_tflm_reference'])} "
            f"| {_n(v['tflm_optimized_instructions'])} | {_r(v['instructions_vs_tflm_optimized'])} "
            f"| {_n(r['ram']['model_ram'])} | {_n(t['arena_bytes'])} | {_r(v['ram_vs_tflm_arena'])}{ram_mark} "
            f"| {_n(v['flash_ours'])} | {_n(v['flash_tflm'])} | {_r(v['flash_vs_tflm'])}{flash_mark} "
            f"| {_n(host.get('head'))} / {_n(host.get('total'))} |")
    return lines


def layer_table(r: dict) -> List[str]:
    lay = r.get("per_layer")
    if not lay:
        return []
    core = _core(r)
    cyc_head = f" est. cycles ({_core_name(core)}) | MACs/cycle |" if core else ""
    lines = [
        f"#### {r['model']} on {r['board']}: per layer",
        "",
        "| # | operator | output | instructions | share | MACs | MACs/instr. |" + cyc_head,
        "|---:|---|---|---:|---:|---:|---:|" + ("---:|---:|" if core else ""),
    ]
    total = lay["sum_instructions"] or 1
    for row in lay["layers"]:
        shape = "x".join(str(d) for d in row["output_shape"])
        mpi = "-" if not row["macs"] else f"{row['macs_per_instruction']:.3f}"
        cyc = ""
        if core:
            mpc = row["macs_per_cycle"][core]
            cyc = f" {_n(row['estimated_cycles'][core])} | {'-' if not mpc else f'{mpc:.3f}'} |"
        lines.append(f"| {row['index']} | {row['op']} | {shape} | {_n(row['instructions'])} "
                     f"| {100.0 * row['instructions'] / total:.1f}% | {_n(row['macs'] or None)} | {mpi} |" + cyc)
    macs = sum(row["macs"] for row in lay["layers"])
    cyc = ""
    if core:
        sum_cyc = lay["sum_estimated_cycles"][core]
        cyc = f" {_n(sum_cyc)} | {(macs / sum_cyc if sum_cyc else 0):.3f} |"
    lines.append(f"| | total | | {_n(lay['sum_instructions'])} | 100% | {_n(macs)} "
                 f"| {macs / total:.3f} |" + cyc)
    over = lay["hook_overhead_total"]
    if over >= 0:
        cost = f"all hooks together cost {over:,} instructions over the plain build's {r['instructions']:,}."
    else:
        # A hook call is an opaque call, so the compiler lays invoke() out differently around it;
        # the layers' sum can then come out below the plain build's count.
        cost = (f"the per-layer build ran {-over:,} instructions fewer than the plain build's "
                f"{r['instructions']:,} (the hook calls change how the compiler lays out invoke()).")
    lines += ["", "Each layer's count includes its hook call (a call, one mark instruction, a return); "
                  + cost, ""]
    return lines


def markdown(runs: List[dict]) -> str:
    """Tables for one or more `utensor bench --json` runs (one board each)."""
    out = []
    for run in runs:
        results = run["results"]
        out += [f"### {run['board']}", "",
                f"`{run.get('command', 'utensor bench')}` — {run.get('date', '?')}, commit {run.get('commit', '?')}", ""]
        out += main_table(results) + [""]
        t = tflm_table(results, run["board"])
        if t:
            out += [f"Against TensorFlow Lite Micro ({SOURCE})", ""] + t + [""]
        if run.get("firmware_ram"):
            fr = run["firmware_ram"]
            out += [f"These models in one firmware with `--shared-arena`: {fr['text']} (with an arena "
                    f"each: {fr['separate_arenas']:,} B).", ""]
        for r in results:
            out += layer_table(r)
    return "\n".join(out) + "\n"


def shared_arena_ram(results: List[dict]) -> dict:
    """The RAM for tensors of the benchmarked models converted together with --shared-arena
    (utensor.firmware_ram: the largest scratch once, each model's state apart), from each
    one's arena and state bytes."""
    from ..firmware_ram import firmware_ram  # pylint: disable=import-outside-toplevel

    ram = firmware_ram([{"name": r["model"], "arena_bytes": r["arena_bytes"], "state_bytes": r.get("state_bytes", 0),
                         "shared_arena": True} for r in results])
    return {"shared_scratch": ram.shared_scratch, "states": ram.states, "total": ram.total,
            "separate_arenas": sum(r["arena_bytes"] for r in results), "text": ram.describe()}


def goals(results: List[dict]) -> List[str]:
    """Issue 5's RAM and flash goals per model, met or by how much not, and whether the
    structure of the model (plan lower bound, weight bytes) allows them at all."""
    lines = []
    for r in results:
        v = r.get("vs_tflm")
        if not v:
            continue
        t = v["tflm"]
        ram, goal = r["ram"]["model_ram"], v["ram_goal_bytes"]
        if ram <= goal:
            ram_text = f"RAM {ram:,} B <= goal {goal:,} B: **met** ({v['ram_vs_tflm_arena']:.2f} x TFLM's arena)."
        else:
            bound = r["arena_lower_bound"]
            why = (f"the plan's own lower bound ({bound:,} B: the largest set of buffers that must be "
                   "live together, convolutions already run in place) is above the goal, so no placement of "
                   "these buffers reaches it; what remains live is a whole activation another branch still "
                   "needs (a residual input) beside the layer computing from it, and going lower takes "
                   "fusing consecutive layers with a rolling row buffer"
                   if bound > goal else
                   f"the plan's lower bound ({bound:,} B) is below the goal: a better placement of the same buffers may reach it")
            ram_text = (f"RAM {ram:,} B vs goal {goal:,} B: **not met**, {ram - goal:,} B over "
                        f"({v['ram_vs_tflm_arena']:.2f} x TFLM's arena); {why}.")
        fl, fgoal = v["flash_ours"], (t["runtime_flash_bytes"] + t["flatbuffer_bytes"]) // 2
        w = r["flash"]["weights"]
        if fl <= fgoal:
            flash_text = f"flash {fl:,} B <= goal {fgoal:,} B: **met** ({v['flash_vs_tflm']:.2f})."
        else:
            why = (f"the int8 weights alone ({w:,} B) exceed the goal, so it is out of reach without "
                   "compressing the weights themselves"
                   if w > fgoal else
                   f"weights take {w:,} B, leaving {fgoal - w:,} B for code; generated code "
                   f"{r['flash']['generated_code']:,} B (mostly per-channel bias/multiplier/shift tables) "
                   f"and runtime+kernels {r['flash']['runtime_kernels']:,} B are over that")
            flash_text = (f"flash {fl:,} B vs goal {fgoal:,} B: **not met**, {fl - fgoal:,} B over "
                          f"({v['flash_vs_tflm']:.2f}); {why}.")
        lines.append(f"- **{r['model']}**: {ram_text} {flash_text}")
    return lines


# Issue 15: flash that is not the model's weights at most this fraction of TFLM's (its
# runtime + flatbuffer less the same weight bytes), on the M4.
FLASH_GOAL_FRACTION = 0.25
FLASH_GOAL_BOARD = "mps2_an386"


def non_weight_flash(r: dict) -> int:
    """Everything in the firmware's flash but the model's weights and the bench's own
    input: generated code, runtime+kernels, board support + libc + the driver."""
    f = r["flash"]
    return f["generated_code"] + f["runtime_kernels"] + f["board_support_libc"]


def flash_goals(results: List[dict], fraction: float = FLASH_GOAL_FRACTION) -> List[str]:
    """Issue 15's non-weight flash goal per model: met, or by how much not and where the
    bytes are."""
    lines = []
    for r in results:
        v = r.get("vs_tflm")
        if not v:
            continue
        f = r["flash"]
        tflm_rest = v["flash_tflm"] - f["weights"]
        goal = int(fraction * tflm_rest)
        ours = non_weight_flash(r)
        split = (f"generated code {f['generated_code']:,}, runtime+kernels {f['runtime_kernels']:,}, "
                 f"board+libc {f['board_support_libc']:,}; bench input {f['bench_input']:,} B apart")
        if ours <= goal:
            text = (f"{ours:,} B ({split}) <= goal {goal:,} B: **met** "
                    f"({ours / tflm_rest:.2f} x TFLM's {tflm_rest:,} B).")
        else:
            text = (f"{ours:,} B ({split}) vs goal {goal:,} B: **not met**, {ours - goal:,} B over "
                    f"({ours / tflm_rest:.2f} x TFLM's {tflm_rest:,} B).")
        lines.append(f"- **{r['model']}**: {text}")
    return lines


# Issue 6: instructions per inference at most this fraction of TFLM + CMSIS-NN's on the
# same board (DSP on the M4, Helium on the M55).
SPEED_GOAL_FRACTION = 0.6
SPEED_GOAL_BOARDS = ("mps2_an386", "mps3_an547")
# Issue 15's next step on MLPerf Tiny: a fraction of TFLM + CMSIS-NN per board.
ISSUE15_GOAL_FRACTIONS = {"mps2_an386": 0.45, "mps3_an547": 0.40}


def speed_goals(results: List[dict], board: str, fraction: float = SPEED_GOAL_FRACTION) -> List[str]:
    """The instruction goal (`fraction` x TFLM + CMSIS-NN; issue 6's by default) per model
    on `board`: met, or how far off and which layers take the most (from the per-layer
    counts when the run has them)."""
    lines = []
    for r in results:
        v = r.get("vs_tflm")
        if not v:
            continue
        cmsis = v["tflm_optimized_instructions"]
        goal = round(fraction * cmsis)
        ours = r["instructions"]
        exact = "bit-exact" if r["bit_exact"] else "**outputs not bit-exact**"
        if ours <= goal:
            text = f"{ours:,} <= goal {goal:,}: **met** ({ours / cmsis:.2f} x CMSIS-NN; {exact})."
        else:
            text = (f"{ours:,} vs goal {goal:,}: **not met**, {ours / goal:.2f} x the goal "
                    f"({ours / cmsis:.2f} x CMSIS-NN; {exact}).")
            layers = (r.get("per_layer") or {}).get("layers") or []
            if layers:
                by_op = {}
                for row in layers:
                    by_op[row["op"]] = by_op.get(row["op"], 0) + row["instructions"]
                top = sorted(by_op.items(), key=lambda kv: -kv[1])[:3]
                text += " Largest shares: " + ", ".join(
                    f"{op} {n:,} ({n / ours:.0%})" for op, n in top) + "."
        lines.append(f"- **{r['model']}**: {text}")
    return lines


DEFINITIONS = """\
What each number is (all from the firmware `utensor bench` builds: the model converted by
the library's own PlatformIO extra script, exactly as a user's `pio run` does, and a small
driver as `main.cpp`):

- **instructions**: executed guest instructions between two marks around `invoke()`,
  counted exactly by the QEMU TCG plugin `scripts/utensor/qemu_plugin/icount.c`, with
  interrupts off (no SysTick handler inside). The firmware runs the model twice on the same
  input and a run is accepted only if both counts are equal. The plugin itself is
  calibrated in `test/test_platform.py` (a loop of 1,000,000 two-instruction turns counts
  exactly 2,000,000).
- **est. cycles**: an estimate, not a measurement: the same executed instruction
  stream priced by a per-instruction cost model of the board's core (Cortex-M4 boards:
  the TRM's instruction timings; Cortex-M7 boards: a stated dual-issue approximation, Arm
  publishing no M7 table), at zero wait states, applied by the same QEMU plugin
  (`scripts/utensor/qemu_plugin/cycle_model.h`). The JSON's `cycle_model` states every
  assumption and the cost per instruction class; `test/test_cycle_model.py` checks the M4
  model on microbenchmarks whose cycle counts the TRM gives. Other cores: `-`.
  **MACs/cycle** = MACs / est. cycles, beside **MACs/instr.** = MACs / instructions.
- **arena**: the model's one static buffer for activations and scratch (`kArenaBytes` of
  the generated descriptor; equal to the `arena` symbol in the ELF). **lower bound**: the
  largest set of buffers the plan must keep live together.
- **model RAM** (issue 5's "our RAM"): the arena plus any static RAM the generated model
  and the runtime add besides it (today: none). **static RAM**: everything in `.data` +
  `.bss` of the firmware (model RAM plus board support and libc). The stack is not
  static RAM: **peak stack** is the high-water mark during `invoke()`, measured by painting
  the free stack with a pattern before and finding the lowest overwritten word after.
- **flash** = `.vectors` + `.text` + `.rodata` + `.ARM.exidx` + `.init_array` + the load
  image of `.data` (= `arm-none-eabi-size` text + data), attributed byte for byte from the
  linker map: **weights** (the model's constant arrays `kT<n>`), **generated code** (the
  rest of the generated model's objects: `run()`, per-channel bias/multiplier/shift tables,
  the descriptor), **runtime+kernels** (the utensor library archive: only the kernels the
  model calls are linked), **board+libc** (startup, UART, port, newlib-nano, libgcc, the
  driver, alignment), **bench input** (the driver's input array, not part of a product).
- **vs tflite_micro**: the outputs of the benchmark input (numpy `default_rng(0)`, sample
  0 of `utensor verify --seed 0`) compared with the `tflite_micro` interpreter's.
- **TFLM figures**: measured for issue 5 (TFLM at its default flags: runtime -Os, kernels
  -O2; same QEMU; exact counts). On the M7 TFLM's counts are practically the M4's; on the
  M55 the optimized column is TFLM + CMSIS-NN with Helium. **our flash** in the ratio =
  weights + generated code + runtime+kernels, against TFLM's flash without the model plus
  the model's flatbuffer; board support and libc are left out on our side (about 2 KB).
  **our RAM** against TFLM's arena on target (TFLM's own ~560 B of static RAM is not
  counted on its side, none is on ours). *tflite_micro host arena* is what the `tflite_micro`
  Python package's allocator records on this 64-bit host: its head (activations) is the
  planned part comparable with our arena; its tail (persistent structures) is larger than
  on a 32-bit target.
"""


def document(runs: List[dict]) -> str:
    """BENCHMARKS.md: definitions, the issue 5 and 6 goals, then every run's tables."""
    out = ["# Benchmarks", "",
           "Generated by `utensor bench` (scripts/utensor/bench/). Do not edit by hand: re-run the "
           "commands below.", ""]
    out += ["## Commands", "", "```sh"]
    for run in runs:
        out.append(run.get("command", "utensor bench"))
    out += ["utensor bench --render " + " ".join(f"bench-{run['board']}.json" for run in runs)
            + " --markdown BENCHMARKS.md", "```", ""]
    out += ["Each run from a clean checkout of the commit shown (`git worktree add --detach DIR "
            "COMMIT`, `PYTHONPATH=DIR/scripts python3 -m utensor ...`).", ""]
    out += ["Runs: " + "; ".join(f"{run['board']} {run.get('date', '?')}, commit {run.get('commit', '?')}"
                                 for run in runs), ""]
    out += ["## Definitions", "", DEFINITIONS]
    for run in runs:
        g = goals(run["results"])
        if g and run["board"] == "mps2_an386":
            out += ["## Issue 5 goals on mps2_an386 (RAM <= 0.6 x TFLM arena; flash <= 0.5 x TFLM runtime + flatbuffer)", ""]
            out += g + [""]
    for run in runs:
        g = speed_goals(run["results"], run["board"])
        if g and run["board"] in SPEED_GOAL_BOARDS:
            out += [f"## Issue 6 goals on {run['board']} (instructions <= {SPEED_GOAL_FRACTION} x "
                    "TFLM + CMSIS-NN" + (" with Helium" if run["board"] == "mps3_an547" else "") + ")", ""]
            out += g + [""]
    for run in runs:
        g = flash_goals(run["results"])
        if g and run["board"] == FLASH_GOAL_BOARD:
            out += [f"## Issue 15 goals on {FLASH_GOAL_BOARD} (flash that is not the weights <= "
                    f"{FLASH_GOAL_FRACTION} x TFLM's runtime + flatbuffer - the same weights)", ""]
            out += g + [""]
    for run in runs:
        fraction = ISSUE15_GOAL_FRACTIONS.get(run["board"])
        g = speed_goals(run["results"], run["board"], fraction) if fraction else []
        if g:
            out += [f"## Issue 15 goals on {run['board']} (instructions <= {fraction} x "
                    "TFLM + CMSIS-NN" + (" with Helium" if run["board"] == "mps3_an547" else "") + ")", ""]
            out += g + [""]
    out += ["## Results", "", markdown(runs)]
    return "\n".join(out)
