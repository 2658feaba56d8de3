"""`utensor run MODEL --board ID`: build, flash, run once on a board, print the outputs
next to the TFLite Micro reference outputs."""

import sys

import numpy as np

from .harness import cli_common
from .harness.compare import FLOAT_REL_TOL, compare
from .harness.inputs import load_samples, random_samples
from .harness.session import model_io_summary, open_board


def add_arguments(p):
    cli_common.add_board_arguments(p)
    p.add_argument("--input", metavar="X.npy",
                   help="input sample (.npy, or .npz with one array per input; the first sample "
                        "of a batch is used); default: seeded random data")
    p.add_argument("--output", metavar="Y.npy", help="save the board's outputs (.npy, or .npz for several)")


def _fmt(a: np.ndarray) -> str:
    return np.array2string(a.ravel(), threshold=24, edgeitems=8, max_line_width=100,
                           separator=" ", precision=6)


def main(args) -> int:
    model_bytes = cli_common.read_model_bytes(args.model)
    with open_board(args.model, args.board, **cli_common.session_options(args)) as b:
        m = b.model
        print(f"{m.name} on {args.board}: arena {m.arena_bytes:,} B, weights {m.weight_bytes:,} B")
        for line in model_io_summary(m):
            print(line)
        if args.input:
            inputs = load_samples(args.input, m.inputs, limit=1)[0]
        else:
            inputs = random_samples(m.inputs, 1, args.seed)[0]
        outputs, counter = b.run(inputs)
        unit = b.info.counter_unit
    ref = cli_common.make_reference(model_bytes, args.model).invoke(inputs)
    all_ok = True
    for t, out, r in zip(m.outputs, outputs, ref):
        c = compare(out, r)
        all_ok &= c.ok
        if c.exact:
            verdict = "bit-exact with the TFLite Micro reference"
        elif c.ok:
            verdict = f"within {FLOAT_REL_TOL:g} relative of the reference (max {c.max_rel_error:.3g})"
        else:
            verdict = (f"DIFFERS from the reference: {c.mismatches} of {out.size} elements, max abs "
                       f"error {c.max_abs_error:g}; first at index {c.first_mismatch}: board "
                       f"{c.board_value} reference {c.ref_value}")
        print(f"output {t.index} {t.name!r} {t.dtype} {list(t.shape)}: {verdict}")
        print(f"  board:     {_fmt(out)}")
        print(f"  reference: {_fmt(np.asarray(r))}")
    print(f"{unit} per inference: {counter:,}")
    if args.output:
        cli_common.save_outputs(args.output, outputs, [t.name for t in m.outputs])
        print(f"saved the board's outputs to {args.output}")
    if not all_ok:
        print("utensor run: the board's outputs differ from the reference", file=sys.stderr)
    return 0 if all_ok else 1
