"""Benchmark results as text: one line per model, and Markdown tables (main figures, the
comparison with TensorFlow Lite Micro, the per-layer breakdown)."""

from typing import List

from .tflm import SOURCE


def _n(x) -> str:
    return "-" if x is None else f"{x:,}"


def _r(x) -> str:
    return "-" if x is None else f"{x:.2f}"


def one_line(r: dict) -> str:
    f, ram = r["flash"], r["ram"]
    verdict = "bit-exact" if r["bit_exact"] else ("within tolerance" if r["outputs_ok"] else "MISMATCH")
    return (f"{r['model']} on {r['board']}: {r['instructions']:,} instructions "
            f"({'repeatable' if r['repeatable'] else 'NOT REPEATABLE'}); arena {r['arena_bytes']:,} B "
            f"(lower bound {r['arena_lower_bound']:,}); model RAM {ram['model_ram']:,} B; static RAM "
            f"{ram['static_total']:,} B; peak stack {ram['peak_stack']:,} B; flash {f['total']:,} B "
            f"(weights {f['weights']:,}, generated {f['generated_code']:,}, runtime+kernels "
            f"{f['runtime_kernels']:,}, board/libc {f['board_support_libc']:,}); outputs {verdict} vs tflite_micro")


def main_table(results: List[dict]) -> List[str]:
    lines = [
        "| model | instructions | arena B (lower bound) | model RAM B | static RAM B | peak stack B "
        "| flash B | weights | generated code | runtime+kernels | board+libc | bench input | vs tflite_micro |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        f, ram = r["flash"], r["ram"]
        verdict = "bit-exact" if r["bit_exact"] else ("ok" if r["outputs_ok"] else "**MISMATCH**")
        lines.append(
            f"| {r['model']} | {_n(r['instructions'])} | {_n(r['arena_bytes'])} ({_n(r['arena_lower_bound'])}) "
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
    lines = [
        f"#### {r['model']} on {r['board']}: per layer",
        "",
        "| # | operator | output | instructions | share | MACs | MACs/instr. |",
        "|---:|---|---|---:|---:|---:|---:|",
    ]
    total = lay["sum_instructions"] or 1
    for row in lay["layers"]:
        shape = "x".join(str(d) for d in row["output_shape"])
        mpi = "-" if not row["macs"] else f"{row['macs_per_instruction']:.3f}"
        lines.append(f"| {row['index']} | {row['op']} | {shape} | {_n(row['instructions'])} "
                     f"| {100.0 * row['instructions'] / total:.1f}% | {_n(row['macs'] or None)} | {mpi} |")
    macs = sum(row["macs"] for row in lay["layers"])
    lines.append(f"| | total | | {_n(lay['sum_instructions'])} | 100% | {_n(macs)} "
                 f"| {macs / total:.3f} |")
    lines += ["", f"Each layer's count includes its hook call (a call, one mark instruction, a return); "
                  f"all hooks together cost {lay['hook_overhead_total']:,} instructions over the plain "
                  f"build's {r['instructions']:,}.", ""]
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
        for r in results:
            out += layer_table(r)
    return "\n".join(out) + "\n"
