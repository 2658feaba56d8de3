"""`utensor inspect MODEL...`: operators, tensors and the memory plan of each model; with
several models (or --shared-arena), the RAM they take together in one firmware."""

import os

from . import convert, firmware_ram
from .errors import UtensorError
from .ir import Graph
from .ops import custom


def add_arguments(p):
    p.add_argument("models", nargs="+", metavar="MODEL", help=".tflite file, .keras/.h5 file or SavedModel folder")
    p.add_argument("--name", help="C++ name of the model (default: from the file name); one model only")
    p.add_argument("--plan-png", metavar="FILE",
                   help="draw the memory plan (tensors over time and arena offset); one model only")
    p.add_argument("--shared-arena", action="store_true",
                   help="the models as converted with --shared-arena: one arena for the largest scratch, "
                        "each model's state apart")
    p.add_argument("--representative-data", metavar="FILE", help=".npy/.npz inputs to quantize a Keras model")
    p.add_argument("--user-op", action="append", default=[], metavar="NAME",
                   help="operator implemented by your project (as for convert)")


def macs(graph: Graph, op) -> int:
    """Multiply-accumulates of the operator (0 for operators without a weighted sum)."""
    if not op.outputs:
        return 0  # ASSIGN_VARIABLE, CALL_ONCE
    from .ops._residual_block import parts_of  # pylint: disable=import-outside-toplevel

    if parts_of(op) is not None:  # a fused residual block: its convolutions' MACs
        return sum(macs(graph, part) for part in parts_of(op))
    out = graph.tensor(op.outputs[0])
    if op.op_type == "FULLY_CONNECTED":
        w = graph.tensor(op.inputs[1])
        return (out.num_elements // max(w.shape[0], 1)) * w.shape[0] * w.shape[1]
    if op.op_type == "CONV_2D":
        w = graph.tensor(op.inputs[1])  # [C_OUT, KH, KW, C_IN]
        return out.num_elements * w.shape[1] * w.shape[2] * w.shape[3]
    if op.op_type == "DEPTHWISE_CONV_2D":
        w = graph.tensor(op.inputs[1])  # [1, KH, KW, C_OUT]
        return out.num_elements * w.shape[1] * w.shape[2]
    if op.op_type in ("SVDF", "UNIDIRECTIONAL_SEQUENCE_LSTM"):
        from .bench.macs import operator_macs  # pylint: disable=import-outside-toplevel

        return operator_macs(graph, op)
    return 0


def layer_rows(conversion):
    g, plan = conversion.graph, conversion.plan
    rows = []
    for step, op in enumerate(g.operators):
        weights = sum(g.tensor(t).nbytes for t in op.inputs if t >= 0 and g.tensor(t).is_constant)
        outs = [g.tensor(t) for t in op.outputs]
        act = op.options.get("fused_activation_function", "")
        rows.append(
            dict(
                index=op.index,
                op=op.op_type + (f"+{act}" if act and act != "NONE" else ""),
                shape=" ".join("x".join(map(str, t.shape)) + f" {t.dtype}" for t in outs),
                macs=macs(g, op),
                weights=weights,
                offset=plan.tensor_offset.get(op.outputs[0], -1) if op.outputs else -1,
                size=sum(t.nbytes for t in outs),
                scratch=conversion.calls[step].scratch_bytes,
            )
        )
    return rows


def main(args) -> int:
    if len(args.models) > 1 and (args.name or args.plan_png):
        raise UtensorError("--name and --plan-png apply to a single model; inspect the models one by one for those.")
    entries = []
    for k, path in enumerate(args.models):
        if k:
            print()
        conversion = convert.convert_file(path, name=args.name, representative_data=args.representative_data,
                                          user_ops=custom.check_names(args.user_op), shared_arena=args.shared_arena)
        _inspect(args, path, conversion)
        c = conversion
        entries.append({"name": c.graph.name, "arena_bytes": c.emitted.arena_bytes,
                        "state_bytes": c.emitted.state_bytes, "shared_arena": args.shared_arena})
    if len(entries) > 1 or args.shared_arena:
        print()
        print(f"in one firmware{' with --shared-arena' if args.shared_arena else ''}: "
              f"{firmware_ram.firmware_ram(entries).describe()}")
    return 0


def _inspect(args, path, conversion) -> None:
    g, plan = conversion.graph, conversion.plan
    print(f"model {g.name} ({os.path.basename(path)}, sha256 {g.source_sha256[:16]}...)")
    header = f"{'#':>4}  {'operator':<28} {'output':<24} {'MACs':>11} {'weights B':>10} {'offset':>8} {'bytes':>8} {'scratch':>8}"
    print(header)
    print("-" * len(header))
    rows = layer_rows(conversion)
    for r in rows:
        print(
            f"{r['index']:>4}  {r['op']:<28} {r['shape']:<24} {r['macs']:>11,} {r['weights']:>10,} "
            f"{r['offset']:>8} {r['size']:>8,} {r['scratch']:>8,}"
        )
    print("-" * len(header))
    total_macs = sum(r["macs"] for r in rows)
    print(f"operators {len(rows)}, MACs {total_macs:,}, weights {conversion.emitted.weight_bytes:,} B")
    print(f"arena {plan.arena_bytes:,} B; lower bound (largest total of buffers live at one step) {plan.lower_bound:,} B "
          f"({plan.arena_bytes / max(plan.lower_bound, 1):.2f}x)")
    if plan.state_bytes:
        where = ("in a buffer of its own with --shared-arena, the scratch "
                 f"({conversion.emitted.arena_bytes - plan.state_bytes:,} B) in the shared arena"
                 if args.shared_arena else
                 f"at the start of the arena, before the scratch ({conversion.emitted.arena_bytes - plan.state_bytes:,} B)")
        print(f"state {plan.state_bytes:,} B, {where}; kept across invoke(), reset() restores it:")
        for t in plan.state_tensors:
            tensor = g.tensor(t)
            print(f"  {tensor.name!r}: {tensor.dtype}[{', '.join(map(str, tensor.shape))}] at offset "
                  f"{plan.tensor_offset[t]}, {tensor.nbytes:,} B")
    else:
        print("state 0 B (stateless model)")
    for label, idx in (("input", g.inputs), ("output", g.outputs)):
        for t in idx:
            tensor = g.tensor(t)
            q = tensor.quant
            qtext = f", scale {q.scale[0]:.9g}, zero point {q.zero_point[0]}" if q else ""
            print(f"{label} {tensor.name!r}: {tensor.dtype}[{', '.join(map(str, tensor.shape))}] at offset {plan.tensor_offset[t]}{qtext}")
    if args.plan_png:
        from .plan_plot import draw_plan

        draw_plan(conversion, args.plan_png)
        print(f"memory plan drawn to {args.plan_png}")
