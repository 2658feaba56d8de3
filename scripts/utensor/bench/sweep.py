"""The shape sweep (`utensor bench --sweep`): a seeded grid of single-operator int8 models
per kernel family, MACs (or elements) per instruction for every point on the M4
(mps2_an386) and the M55 (mps3_an547), each beside our portable reference kernel on the
same core (-DUTENSOR_REFERENCE_KERNELS), every output bit-exact against tflite_micro.

    utensor bench --sweep --markdown BENCHMARKS.md      # the full grid, ~4 firmware builds
    python -m utensor.bench.sweep --grid reduced --json sweep.json

Writes its section of BENCHMARKS.md between the sweep markers (the rest of the file is
kept) and the plot next to it (benchmarks/sweep.png). Needs matplotlib for the plot
(`pip install utensor[sweep]`).

Grid: conv 1x1/3x3/5x5/7x7/1xN/Nx1, strides 1-2, dilation 1-2, in/out channels 1..256;
depthwise 3x3/5x5/7x7/1xN with multipliers 1/2/4/8; FULLY_CONNECTED in/out 1..1024;
MAX/AVERAGE pools 2x2..7x7; ADD/MUL 1..64K elements. Channel pairs are drawn from the seeded
generator; the spatial size is chosen so that a point has >= 4x4 outputs and ~0.3-3 M
MACs, which keeps the reference runs under QEMU short.
"""

import argparse
import datetime
import json
import os
import sys
import time
from typing import Dict, List

import numpy as np

from . import batch, singleop

BOARDS = ("mps2_an386", "mps3_an547")
CORE = {"mps2_an386": "M4", "mps3_an547": "M55"}
BEGIN = "<!-- utensor bench --sweep: begin -->"
END = "<!-- utensor bench --sweep: end -->"
PLOT = os.path.join("benchmarks", "sweep.png")
FLOORS = {"mps2_an386": 0.5, "mps3_an547": 2.0}  # issue 15: MACs/instruction, conv/depthwise/FC
CHANNELS = (1, 3, 8, 16, 32, 64, 128, 256)


def _spatial_for(macs_per_pixel: int, stride: int, target: int = 1_000_000, lo: int = 4, hi: int = 32) -> int:
    """Output side so that the point does ~target MACs (>= lo x lo outputs)."""
    side = int(round((target / max(1, macs_per_pixel)) ** 0.5))
    return max(lo, min(hi, side))


def _in_side(out_side: int, k: int, stride: int, dilation: int) -> int:
    """Input side giving `out_side` outputs with VALID padding."""
    return (out_side - 1) * stride + (k - 1) * dilation + 1


def grid(reduced: bool = False, seed: int = 0) -> List[Dict]:
    rng = np.random.RandomState(seed)
    points: List[Dict] = []
    kernels = [(1, 1), (3, 3), (5, 5), (7, 7), (1, 5), (5, 1)]
    strides = (1, 2)
    dilations = (1, 2)
    pairs_per_kernel = 1 if reduced else 2
    if reduced:
        kernels, strides, dilations = [(1, 1), (3, 3), (1, 5)], (1, 2), (1,)
    for k in kernels:
        for s in strides:
            for d in dilations:
                if k == (1, 1) and d == 2:
                    continue  # a dilated 1x1 is a 1x1
                for _ in range(pairs_per_kernel):
                    while True:
                        cin, cout = int(rng.choice(CHANNELS)), int(rng.choice(CHANNELS))
                        if k[0] * k[1] * cin * cout <= 150_000:
                            break
                    side = _spatial_for(k[0] * k[1] * cin * cout, s)
                    points.append({"op": "CONV_2D", "kernel": list(k), "stride": [s, s], "dilation": [d, d],
                                   "padding": "VALID", "out_ch": cout, "activation": "RELU",
                                   "input": [1, _in_side(side, k[0], s, d), _in_side(side, k[1], s, d), cin]})
    dw_kernels = [(3, 3), (5, 5), (7, 7), (1, 5)] if not reduced else [(3, 3)]
    for k in dw_kernels:
        for mult in (1, 2, 4, 8):
            for s in (1, 2):
                c = int(rng.choice((1, 3, 8, 32))) if mult > 1 else int(rng.choice((8, 32, 64, 128, 256)))
                side = _spatial_for(k[0] * k[1] * c * mult, s, target=300_000)
                points.append({"op": "DEPTHWISE_CONV_2D", "kernel": list(k), "stride": [s, s], "dilation": [1, 1],
                               "padding": "VALID", "multiplier": mult, "activation": "RELU6",
                               "input": [1, _in_side(side, k[0], s, 1), _in_side(side, k[1], s, 1), c]})
    sizes = (1, 16, 64, 256, 1024) if not reduced else (16, 256)
    for i in sizes:
        for o in sizes:
            points.append({"op": "FULLY_CONNECTED", "input": [1, i], "units": o, "activation": "NONE"})
    for op in ("MAX_POOL_2D", "AVERAGE_POOL_2D"):
        for k in (range(2, 8) if not reduced else (2, 3)):
            c = int(rng.choice((8, 16, 32, 64)))
            points.append({"op": op, "kernel": [k, k], "stride": [k, k], "padding": "VALID",
                           "input": [1, 8 * k, 8 * k, c]})
    for op in ("ADD", "MUL"):
        for n in ((1, 64, 1024, 16384, 65536) if not reduced else (64, 1024)):
            points.append({"op": op, "input": [1, n], "activation": "NONE"})
    return points


def measure(points: List[Dict], boards=BOARDS, jobs: int = 2, log=print, seed: int = 0) -> List[Dict]:
    models = [(f"sweep{i}", singleop.build(p, seed * 100_003 + i), seed * 100_003 + i) for i, p in enumerate(points)]
    convs = [batch.convert_bytes(n, b) for n, b, _ in models]
    rows = []
    for board in boards:
        per = {}
        for variant, flags in (("ours", ()), ("reference", batch.REFERENCE_FLAGS)):
            per[variant] = batch.run_batch(models, board, count=True, build_flags=flags, conversions=convs,
                                           tag=f"sweep-{variant}", jobs=jobs, log=log)
        for i, p in enumerate(points):
            ours, ref = per["ours"][i], per["reference"][i]
            m = singleop.macs(p)
            rows.append({
                "board": board, "core": CORE.get(board, board), "point": singleop.describe(p), "spec": p,
                "family": singleop.family(p), "unit": singleop.unit(p), "work": m,
                "instructions": ours.instructions, "reference_instructions": ref.instructions,
                "per_instruction": m / ours.instructions if ours.instructions else None,
                "reference_per_instruction": m / ref.instructions if ref.instructions else None,
                "bit_exact": not ours.problems, "reference_bit_exact": not ref.problems,
                "problems": ours.problems + [f"reference kernels: {x}" for x in ref.problems],
            })
    return rows


def _fmt(x, nd=3):
    return "-" if x is None else f"{x:.{nd}f}"


def markdown(run: Dict) -> str:
    rows = run["rows"]
    out = [BEGIN, "", "## Shape sweep (`utensor bench --sweep`)", "",
           f"Command: `{run['command']}`; {run['date']}, commit {run['commit']}; {len(rows) // len(run['boards'])} "
           f"points per board, {run['seconds']:.0f} s wall. Each point is one single-operator int8 model "
           "(scripts/utensor/bench/singleop.py: quantized as TensorFlow's converter would), run once in a "
           "batch firmware on seeded input bytes, its output compared with tflite_micro; "
           "**per instr.** is MACs per instruction (conv/depthwise/FC) or output elements per "
           "instruction (pooling, ADD/MUL); **ref** is the same point with our portable reference kernels "
           "on the same core (`-DUTENSOR_REFERENCE_KERNELS`); **x ref** = reference instructions / ours.",
           "", f"![sweep]({PLOT})", ""]
    for board in run["boards"]:
        br = [r for r in rows if r["board"] == board]
        core = CORE.get(board, board)
        floor = FLOORS.get(board)
        mac = [r for r in br if r["unit"] == "MACs" and r["per_instruction"] is not None]
        slow = sorted(mac, key=lambda r: r["per_instruction"])[:10]
        below = [r for r in mac if floor and r["per_instruction"] < floor]
        slower = [r for r in br if r["instructions"] and r["reference_instructions"]
                  and r["instructions"] > r["reference_instructions"]]
        bad = [r for r in br if r["problems"]]
        out += [f"### {core} ({board})", "",
                f"- conv/depthwise/FC points under the issue's floor of {floor} MACs/instruction: "
                f"{len(below)} of {len(mac)}.",
                f"- points slower than our portable reference kernel: {len(slower)}"
                + (": " + "; ".join(f"{r['point']} ({r['instructions']:,} vs {r['reference_instructions']:,})"
                                    for r in slower) if slower else "."),
                f"- points not bit-exact against tflite_micro: {len(bad)}"
                + (": " + "; ".join(f"{r['point']}: {r['problems'][0]}" for r in bad) if bad else "."),
                "", f"Slowest 10 conv/depthwise/FC points on the {core}:", "",
                "| point | MACs | instructions | MACs/instr. | ref MACs/instr. | x ref |", "|---|---:|---:|---:|---:|---:|"]
        for r in slow:
            out.append(f"| {r['point']} | {r['work']:,} | {r['instructions']:,} | {_fmt(r['per_instruction'])} | "
                       f"{_fmt(r['reference_per_instruction'])} | "
                       f"{_fmt(r['reference_instructions'] / r['instructions'], 2)} |")
        out += ["", f"<details><summary>All {len(br)} points on the {core}</summary>", "",
                "| family | point | MACs / elements | instructions | per instr. | ref instructions | ref per instr. | x ref | bit-exact |",
                "|---|---|---:|---:|---:|---:|---:|---:|---|"]
        for r in br:
            ratio = (r["reference_instructions"] / r["instructions"]
                     if r["instructions"] and r["reference_instructions"] else None)
            out.append(f"| {r['family']} | {r['point']} | {r['work']:,} {r['unit']} | {r['instructions']:,} | "
                       f"{_fmt(r['per_instruction'])} | {r['reference_instructions']:,} | "
                       f"{_fmt(r['reference_per_instruction'])} | {_fmt(ratio, 2)} | "
                       f"{'yes' if not r['problems'] else 'NO'} |")
        out += ["", "</details>", ""]
    out.append(END)
    return "\n".join(out) + "\n"


def plot(run: Dict, path: str) -> None:
    import matplotlib  # pylint: disable=import-outside-toplevel

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt  # pylint: disable=import-outside-toplevel

    fams = ["conv", "depthwise", "fc", "pool", "elementwise"]
    colors = dict(zip(fams, ["C0", "C1", "C2", "C3", "C4"]))
    fig, axes = plt.subplots(1, len(run["boards"]), figsize=(7 * len(run["boards"]), 5), squeeze=False)
    for ax, board in zip(axes[0], run["boards"]):
        br = [r for r in run["rows"] if r["board"] == board and r["per_instruction"]]
        for fam in fams:
            fr = [r for r in br if r["family"] == fam]
            if not fr:
                continue
            x = [r["work"] for r in fr]
            ax.scatter(x, [r["per_instruction"] for r in fr], c=colors[fam], label=f"{fam} (ours)", s=18)
            ax.scatter(x, [r["reference_per_instruction"] for r in fr], facecolors="none",
                       edgecolors=colors[fam], label=f"{fam} (reference)", s=18, alpha=0.6)
        floor = FLOORS.get(board)
        if floor:
            ax.axhline(floor, color="grey", ls="--", lw=0.8)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("MACs (conv/depthwise/FC) or output elements (pool, ADD/MUL) per point")
        ax.set_ylabel("MACs or elements per instruction")
        ax.set_title(f"{CORE.get(board, board)} ({board}): filled ours, hollow portable reference")
        ax.grid(True, which="both", lw=0.3)
    axes[0][0].legend(fontsize=7, ncol=2)
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_section(markdown_path: str, section: str) -> None:
    """Replace the sweep section of `markdown_path` (or append it); the rest is kept."""
    text = ""
    if os.path.isfile(markdown_path):
        with open(markdown_path, encoding="utf-8") as f:
            text = f.read()
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        tail = rest.split(END, 1)[1].lstrip("\n")
        text = head + section + tail
    else:
        text = text.rstrip("\n") + ("\n\n" if text else "") + section
    with open(markdown_path, "w", encoding="utf-8") as f:
        f.write(text)


def keep_section(old_markdown: str, new_text: str) -> str:
    """`utensor bench --render` rewrites BENCHMARKS.md: carry the sweep section over."""
    if BEGIN in old_markdown and END in old_markdown and BEGIN not in new_text:
        block = BEGIN + old_markdown.split(BEGIN, 1)[1].split(END, 1)[0] + END + "\n"
        return new_text.rstrip("\n") + "\n\n" + block
    return new_text


def main(argv=None, prog="python -m utensor.bench.sweep") -> int:
    p = argparse.ArgumentParser(prog=prog, description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(p)
    return run_cli(p.parse_args(argv), " ".join([prog] + list(argv if argv is not None else sys.argv[1:])))


def add_arguments(p) -> None:
    p.add_argument("--grid", choices=("full", "reduced"), default="full")
    p.add_argument("--board", action="append", choices=BOARDS, help="default: both")
    p.add_argument("--seed", type=int, default=0, help="seed of the grid's channel draws and of the data")
    p.add_argument("--json", metavar="FILE")
    p.add_argument("--markdown", metavar="FILE", help="BENCHMARKS.md whose sweep section to write")
    p.add_argument("--plot", metavar="PNG", help=f"default: {PLOT} beside --markdown")
    p.add_argument("--jobs", type=int, default=2)


def run_cli(args, command: str) -> int:
    from ..cmd_bench import _commit  # pylint: disable=import-outside-toplevel

    t = time.time()
    boards = args.board or list(BOARDS)
    points = grid(args.grid == "reduced", args.seed)
    log = lambda s: print(s, file=sys.stderr, flush=True)  # noqa: E731
    log(f"[sweep] {len(points)} points on {boards}")
    rows = measure(points, boards, args.jobs, log, args.seed)
    run = {"command": command, "boards": boards, "grid": args.grid, "seed": args.seed,
           "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
           "commit": _commit(), "seconds": time.time() - t, "rows": rows}
    section = markdown(run)
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(run, f, indent=1)
            f.write("\n")
    if args.markdown:
        png = args.plot or os.path.join(os.path.dirname(os.path.abspath(args.markdown)), PLOT)
        plot(run, png)
        write_section(args.markdown, section)
    else:
        print(section)
        if args.plot:
            plot(run, args.plot)
    bad = [r for r in rows if r["problems"]]
    for r in bad:
        print(f"FAIL {r['board']} {r['point']}: {'; '.join(r['problems'])}", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
