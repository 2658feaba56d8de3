"""`utensor verify MODEL --board ID`: stream N inputs through the harness firmware and
compare every output with the TFLite Micro reference (int8: bit-exact; float: within 1e-5
relative, as defined in utensor/harness/compare.py). Exit 0 only if every output matches."""

import json
import sys
import time

import numpy as np

from .harness import cli_common, layers
from .harness.compare import FLOAT_REL_TOL, compare
from .harness.inputs import load_samples, random_samples
from .harness.session import open_board

MAX_REPORTED_MISMATCHES = 5


def add_arguments(p):
    cli_common.add_board_arguments(p)
    p.add_argument("--samples", type=int, default=10, metavar="N",
                   help="number of inputs (default 10; with --input: at most N of the file's, 0 = all)")
    p.add_argument("--input", metavar="X.npy|.npz",
                   help="inputs: one sample or a batch along axis 0 (.npz: one array per input, "
                        "named after the input tensors); default: seeded random data")
    p.add_argument("--json", metavar="FILE", help="write the results as JSON")
    p.add_argument("--layers", action="store_true",
                   help="build a debug firmware that captures every operator's output and compare "
                        "each layer with the reference on the first sample(s); names the first "
                        "layer that differs")
    p.add_argument("--layer-samples", type=int, default=1, metavar="K",
                   help="with --layers: how many of the samples are checked layer by layer (default 1)")


def _progress(i, n, ok_so_far, counter, unit, start):
    every = max(1, n // 10)
    if i + 1 == n or (i + 1) % every == 0:
        rate = (i + 1) / max(time.monotonic() - start, 1e-9)
        state = "all match so far" if ok_so_far else "MISMATCHES"
        print(f"  [{i + 1}/{n}] {state}; last {counter:,} {unit}; {rate:.1f} samples/s", flush=True)


def main(args) -> int:
    if args.samples < 0 or (args.samples == 0 and not args.input):
        print("utensor verify: --samples must be at least 1", file=sys.stderr)
        return 2
    if args.layers and args.layer_samples < 1:
        print("utensor verify: --layer-samples must be at least 1", file=sys.stderr)
        return 2
    model_bytes = cli_common.read_model_bytes(args.model)
    reference = cli_common.make_reference(model_bytes, args.model)
    results = []  # per sample: list of Comparison
    counters = []
    mismatch_lines = []
    layer_failure = None  # (sample, LayerResult) of the first differing layer
    layer_report = []
    with open_board(args.model, args.board, layers=args.layers, **cli_common.session_options(args)) as b:
        m = b.model
        unit = b.info.counter_unit
        if args.input:
            samples = load_samples(args.input, m.inputs, limit=args.samples)
        else:
            samples = random_samples(m.inputs, args.samples, args.seed)
        source = args.input or f"random inputs, seed {args.seed}"
        print(f"verify {m.name} on {args.board}: {len(samples)} samples ({source})", flush=True)
        if args.layers:
            layer_failure, layer_report = _check_layers(b, model_bytes, args, samples)
        start = time.monotonic()
        ok_so_far = True
        for i, inputs in enumerate(samples):
            outputs, counter = b.run(inputs)
            refs = reference.invoke(inputs)
            comps = [compare(o, r) for o, r in zip(outputs, refs)]
            for t, c, o in zip(m.outputs, comps, outputs):
                if not c.ok and len(mismatch_lines) < MAX_REPORTED_MISMATCHES:
                    mismatch_lines.append(
                        f"  sample {i} output {t.name!r}: {c.mismatches} of {o.size} elements "
                        f"differ, max abs error {c.max_abs_error:g}, max rel error "
                        f"{c.max_rel_error:.3g}; ERROR at pos {c.first_mismatch}: Act: "
                        f"{c.board_value} Ref: {c.ref_value}"
                    )
            ok_so_far &= all(c.ok for c in comps)
            results.append(comps)
            counters.append(counter)
            _progress(i, len(samples), ok_so_far, counter, unit, start)
        retries = b.client.stats["retries"]
        counter_source = b.counter_source
    fw = b.firmware
    all_comps = [c for comps in results for c in comps]
    passed = sum(all(c.ok for c in comps) for comps in results)
    all_ok = passed == len(results)
    bit_exact = all(c.exact for c in all_comps)
    max_abs = max((c.max_abs_error for c in all_comps), default=0.0)
    max_rel = max((c.max_rel_error for c in all_comps), default=0.0)
    per_inf = int(round(float(np.median(counters)))) if counters else 0
    for line in mismatch_lines:
        print(line)
    rule = "bit-exact" if bit_exact else (
        f"max abs error {max_abs:.3g}, max rel error {max_rel:.3g} (limit {FLOAT_REL_TOL:g} for float, "
        "bit-exact for integer outputs)")
    sizes = f"arena {m.arena_bytes:,} B, weights {m.weight_bytes:,} B"
    if fw is not None:
        sizes += f", flash {fw.flash_bytes:,} B, static RAM {fw.ram_bytes:,} B"
    if layer_failure is not None:
        sample, r = layer_failure
        print(f"FAIL: {m.name} on {args.board}: first differing layer is layer {r.layer.index}, "
              f"operator #{r.layer.op_index} {r.layer.op_type} (output {r.layer.output.name!r}, sample "
              f"{sample}); the layers before it match. {layers.describe(r)}")
    print(
        f"{'PASS' if all_ok else 'FAIL'}: {m.name} on {args.board}: {passed}/{len(results)} samples "
        f"match; {rule}; {per_inf:,} {unit}/inference (min {min(counters):,}, max "
        f"{max(counters):,}); {sizes}"
        + (f"; {retries} serial retries" if retries else "")
    )
    if args.json:
        report = {
            "model": m.name,
            "model_path": args.model,
            "model_sha256": m.sha256,
            "board": args.board,
            "samples": len(results),
            "passed_samples": passed,
            "ok": all_ok,
            "bit_exact": bit_exact,
            "max_abs_error": max_abs,
            "max_rel_error": max_rel,
            "float_rel_tolerance": FLOAT_REL_TOL,
            "counter_unit": unit,
            f"{unit}_per_inference": per_inf,
            f"{unit}_min": min(counters),
            f"{unit}_max": max(counters),
            "arena_bytes": m.arena_bytes,
            "weights_bytes": m.weight_bytes,
            "flash_bytes": fw.flash_bytes if fw else None,
            "ram_bytes": fw.ram_bytes if fw else None,
            "text_bytes": fw.text_bytes if fw else None,
            "data_bytes": fw.data_bytes if fw else None,
            "bss_bytes": fw.bss_bytes if fw else None,
            "stack_reserve_bytes": fw.stack_reserve_bytes if fw else None,
            "runtime_version": b.info.runtime_version,
            "counter_source": counter_source,
            "serial_retries": retries,
            "reference": getattr(reference, "name", "TensorFlow Lite Micro"),
            "reference_note": getattr(reference, "note", ""),
        }
        if args.layers:
            report["layers"] = layer_report
            report["first_differing_layer"] = (
                {"sample": layer_failure[0], "layer": layer_failure[1].layer.index,
                 "op_index": layer_failure[1].layer.op_index, "op_type": layer_failure[1].layer.op_type}
                if layer_failure else None)
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(report, f, indent=2)
            f.write("\n")
    return 0 if all_ok and layer_failure is None else 1


def _check_layers(b, model_bytes, args, samples):
    """Per-layer check of the first --layer-samples samples; prints a table per sample.
    Returns ((sample, LayerResult) of the first differing layer or None, JSON rows)."""
    ref = layers.LayerReference(model_bytes, args.model)
    table = b.client.layers(b.model.index)
    first = None
    rows = []
    for i, inputs in enumerate(samples[: args.layer_samples]):
        results = layers.check_layers(b, ref, inputs, table)
        print(f"layers of {b.model.name}, sample {i} ({len(results)} operator outputs, reference "
              f"{ref.name}):", flush=True)
        for line in layers.table(results):
            print(line)
        failed = layers.first_failure(results)
        if failed is not None and first is None:
            first = (i, failed)
        rows += [{"sample": i, "layer": r.layer.index, "op_index": r.layer.op_index, "op_type": r.layer.op_type,
                  "tensor": r.layer.output.name, "shape": list(r.shape), "ok": r.ok,
                  "bit_exact": r.comparison.exact, "mismatches": r.comparison.mismatches,
                  "max_abs_error": r.comparison.max_abs_error, "max_rel_error": r.comparison.max_rel_error,
                  "range_error": r.range_error if np.isfinite(r.range_error) else None}
                 for r in results]
    return first, rows
