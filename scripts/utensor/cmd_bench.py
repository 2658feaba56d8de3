"""`utensor bench MODEL... --board ID`: exact instructions per inference (and, on Cortex-M4
and M7 boards, estimated cycles and MACs/cycle from the plugin's cost model), arena, static
RAM, peak stack and flash split of each model on one board, outputs checked against
tflite_micro, side by side with TensorFlow Lite Micro's figures (utensor/bench/)."""

import datetime
import json
import os
import subprocess
import sys

from .errors import UtensorError
from .paths import library_root


def add_arguments(p):
    p.add_argument("models", nargs="*", metavar="MODEL", help=".tflite model files")
    p.add_argument("--board", default="mps2_an386", metavar="ID",
                   help="emulated board id (default mps2_an386)")
    p.add_argument("--json", metavar="FILE", help="write the results as JSON")
    p.add_argument("--markdown", metavar="FILE", help="write the results as Markdown tables")
    p.add_argument("--layers", action="store_true",
                   help="also build a per-layer firmware: instructions and MACs per instruction per operator "
                        "(and estimated cycles and MACs per cycle on Cortex-M4/M7 boards)")
    p.add_argument("--seed", type=int, default=0, help="seed of the benchmark input (default 0)")
    p.add_argument("--shared-arena", action="store_true",
                   help="also report the RAM the models take together in one firmware converted with "
                        "--shared-arena (the largest scratch once, each model's state apart)")
    p.add_argument("--jobs", type=int, default=2, help="parallel compile jobs (default 2)")
    p.add_argument("--render", nargs="+", metavar="JSON",
                   help="no measuring: write the whole benchmark document (BENCHMARKS.md) to "
                        "--markdown (or print it) from earlier --json files, one per board")
    p.add_argument("--sweep", action="store_true",
                   help="the shape sweep instead of models: a seeded grid of single-operator models per "
                        "kernel family on M4 and M55, ours and the portable reference, into --markdown's "
                        "sweep section and a plot (python -m utensor.bench.sweep --help)")
    p.add_argument("--grid", choices=("full", "reduced"), default="full", help="with --sweep: the grid")


def _commit():
    repo = library_root()
    try:
        out = subprocess.run(["git", "-C", repo, "rev-parse", "--short=12", "HEAD"],
                             capture_output=True, text=True, check=False)
        dirty = subprocess.run(["git", "-C", repo, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, check=False)
        return out.stdout.strip() + ("+uncommitted" if dirty.stdout.strip() else "")
    except OSError:
        return "unknown"


def main(args) -> int:
    from .bench import report

    if args.sweep:
        from .bench import sweep

        args.plot = None
        args.board = None if args.board == "mps2_an386" and "--board" not in sys.argv else [args.board]
        return sweep.run_cli(args, "utensor bench " + " ".join(
            sys.argv[2:] if sys.argv[1:2] == ["bench"] else sys.argv[1:]))
    if args.render:
        runs = []
        for path in args.render:
            with open(path, encoding="utf-8") as f:
                runs.append(json.load(f))
        text = report.document(runs)
        if not args.markdown:
            print(text)
        else:
            from .bench import sweep

            if os.path.isfile(args.markdown):  # the sweep section is written by --sweep alone
                with open(args.markdown, encoding="utf-8") as f:
                    text = sweep.keep_section(f.read(), text)
            with open(args.markdown, "w", encoding="utf-8") as f:
                f.write(text)
        return 0
    if not args.models:
        raise UtensorError("give at least one model file (or --render JSON...).")
    from .boards import BOARDS, board_ids

    if args.board not in BOARDS:
        raise UtensorError(
            f"board {args.board!r} is not one of utensor's emulated boards ({', '.join(board_ids())}): "
            "`utensor bench` counts instructions exactly under QEMU. On a real board, "
            "`utensor verify --board ID --port PORT` reports the board's cycle counter.")
    for m in args.models:
        if not os.path.isfile(m):
            raise UtensorError(f"{m}: no such model file.")
    from .bench.core import bench_model

    results = []
    failed = False
    for m in args.models:
        r = bench_model(m, args.board, layers=args.layers, seed=args.seed, jobs=args.jobs,
                        log=lambda s: print(s, file=sys.stderr, flush=True))
        results.append(r)
        print(report.one_line(r), flush=True)
        failed |= not (r["outputs_ok"] and r["repeatable"] and r["outputs_repeat"])
    run = {
        "board": args.board,
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": _commit(),
        "command": "utensor bench " + " ".join(sys.argv[2:] if sys.argv[1:2] == ["bench"] else sys.argv[1:]),
        "results": results,
    }
    if args.shared_arena:
        run["firmware_ram"] = report.shared_arena_ram(results)
    print(report.markdown([run]))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(run, f, indent=2)
            f.write("\n")
    if args.markdown:
        with open(args.markdown, "w", encoding="utf-8") as f:
            f.write(report.markdown([run]))
    return 1 if failed else 0
