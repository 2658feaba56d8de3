"""Residual-block fusion: CONV_2D -> CONV_2D -> ADD(conv2's output, conv1's input) becomes
one operator run row by row in place over the block input
(runtime/include/utensor/kernels/residual_block.hpp), so the block's two full-size
intermediates never exist: the block needs its input plus a few rows, where unfused it
needs the input (kept for the ADD) plus conv1's output plus conv2's.

A block is fused when all of these hold (anything else is left as it is):
  - conv1 reads the block input x (an activation, not a model input kept by
    --keep-inputs: it is overwritten), conv2 reads only conv1's output, the ADD reads
    exactly conv2's output and x (identity shortcut; a projection shortcut, as in
    ResNet's down-sampling blocks, is a third convolution and is not fused);
  - conv1's and conv2's outputs have no other reader, are not model outputs, and no view
    of them exists; no part is a user operator (--user-op);
  - batch 1, NHWC, stride 1 along H in both convolutions, ADD output, conv2 output and
    x of one shape (no broadcast), int8 or float32 throughout (not hybrid, not 16x8);
  - conv2's window reaches far enough down that producing output row r never needs
    input rows above r: (KH2 - 1) * dilation_h2 >= pad_top1 + pad_top2 (SAME with
    KH1 <= KH2 for odd kernels; any 1x1 after a 1x1);
  - it makes the arena smaller: fusing costs a little work (per-row calls, the
    window's row shifts), so a block is fused only if the memory plan shrinks
    (`lower_and_plan` plans with and without it, block by block, in model order).
"""

from typing import List, Optional, Sequence, Tuple

from . import planner
from .ir import Graph, Operator
from .ops import KernelCall, custom
from .ops._residual_block import BLOCK, CAPACITY, OP_TYPE, lower_residual_block, parts_of

FUSABLE_DTYPES = ("int8", "float32")
# Give a fused block's conv1 row buffer more rows than its window while the arena has
# room (fewer window shifts); tests turn it off to run the shifting on every row.
GROW_ROW_BUFFER = True


def lower_op(op: Operator, graph: Graph, user_ops: Sequence[str] = ()) -> KernelCall:
    """The KernelCall of any operator of a converted graph, fused blocks included."""
    if parts_of(op) is not None:
        return lower_residual_block(op, graph, lambda part, g: custom.lower(part, g, user_ops))
    return custom.lower(op, graph, user_ops)


def find_blocks(graph: Graph, user_ops: Sequence[str] = ()) -> List[Tuple[Operator, Operator, Operator]]:
    """(conv1, conv2, add) of every block the rules above allow (the RAM test aside)."""
    # By position, not by operator index: inlined subgraphs may repeat an index.
    by_index = dict(enumerate(graph.operators))
    consumers, producers = {}, {}
    for k, op in enumerate(graph.operators):
        for t in op.inputs:
            if t >= 0 and k not in consumers.setdefault(t, []):
                consumers[t].append(k)
        for t in op.outputs:
            producers[t] = k
    viewed = {t.alias_of for t in graph.tensors if t.alias_of is not None}
    outputs = set(graph.outputs)
    blocks = []
    for add in graph.operators:
        if add.op_type != "ADD" or len(add.inputs) != 2 or len(add.outputs) != 1 or add.loop is not None:
            continue
        for k in (0, 1):
            block = _block(graph, add, add.inputs[k], add.inputs[1 - k], (consumers, producers, by_index),
                           viewed, outputs)
            if block is not None and not any(custom.op_name(p) in user_ops for p in block):
                blocks.append(block)
                break
    return blocks


def _only_reader(t: int, consumers, by_index, viewed, outputs) -> Optional[Operator]:
    readers = consumers.get(t, [])
    if len(readers) != 1 or t in outputs or t in viewed:
        return None
    return by_index[readers[0]]


def _block(graph: Graph, add: Operator, t2: int, x_t: int, maps, viewed, outputs):
    consumers, producers, by_index = maps
    if t2 < 0 or x_t < 0 or t2 not in producers:
        return None
    conv2 = by_index[producers[t2]]
    if conv2.op_type != "CONV_2D" or not conv2.inputs or conv2.inputs[0] not in producers:
        return None
    conv1 = by_index[producers[conv2.inputs[0]]]
    if conv1.op_type != "CONV_2D" or conv1.inputs[0] != x_t:
        return None
    if any(op.branch is not None or op.loop is not None for op in (conv1, conv2, add)):
        return None
    if (_only_reader(conv1.outputs[0], consumers, by_index, viewed, outputs) is not conv2
            or _only_reader(t2, consumers, by_index, viewed, outputs) is not add):
        return None
    x, mid, y = graph.tensor(x_t), graph.tensor(conv1.outputs[0]), graph.tensor(add.outputs[0])
    conv_out = graph.tensor(t2)
    if x.is_constant or x.is_variable or x.alias_of is not None or (graph.keep_inputs and x_t in graph.inputs):
        return None
    if any(t.dtype != x.dtype for t in (mid, y, conv_out)) or x.dtype not in FUSABLE_DTYPES:
        return None
    for conv in (conv1, conv2):
        w = graph.tensor(conv.inputs[1]) if len(conv.inputs) > 1 and conv.inputs[1] >= 0 else None
        if w is None or not w.is_constant or w.dtype != x.dtype or len(w.shape) != 4:
            return None
        if len(conv.inputs) > 2 and conv.inputs[2] >= 0 and not graph.tensor(conv.inputs[2]).is_constant:
            return None
        if int(conv.options.get("stride_h", 1) or 1) != 1:
            return None
    shapes = [tuple(t.shape) for t in (x, mid, conv_out, y)]
    if len(shapes[0]) != 4 or shapes[0][0] != 1 or not (shapes[0] == shapes[2] == shapes[3]):
        return None
    if len(shapes[1]) != 4 or shapes[1][1] != shapes[0][1]:
        return None  # conv1 keeps the height (stride 1, SAME or a 1-row window)
    geo1, geo2 = _rows(graph, conv1), _rows(graph, conv2)
    if geo1 is None or geo2 is None:
        return None
    (_, pad1), (extent2, pad2) = geo1, geo2
    if extent2 - 1 < pad1 + pad2:
        return None  # producing row r would read input rows above r, already overwritten
    return conv1, conv2, add


def _rows(graph: Graph, conv: Operator) -> Optional[Tuple[int, int]]:
    """(window extent along H, padding above the image) of a stride-1 CONV_2D, by the
    lowering's own arithmetic; None if its output height is not what that gives."""
    from .ops._spatial import FUSED_PADDING, axis_geometry  # pylint: disable=import-outside-toplevel

    x, w, y = graph.tensor(conv.inputs[0]), graph.tensor(conv.inputs[1]), graph.tensor(conv.outputs[0])
    dil = int(conv.options.get("dilation_h_factor", 1) or 1)
    fused = tuple(conv.options.get(FUSED_PADDING, (0, 0, 0, 0))[:2])
    out, pad_top = axis_geometry(conv.options.get("padding", "SAME"), x.shape[1], w.shape[1], 1, dil, fused)
    if out != y.shape[1]:
        return None
    return (w.shape[1] - 1) * dil + 1, pad_top


def fuse(graph: Graph, block: Tuple[Operator, Operator, Operator], rows: Optional[int] = None) -> Graph:
    """A copy of `graph` (operators list only: tensors are shared) with `block` as one
    operator at the ADD's position (`rows`: its conv1 row buffer, default the window)."""
    conv1, conv2, add = block
    def slot(op, k):
        return op.inputs[k] if len(op.inputs) > k else -1
    act = add.options.get("fused_activation_function", "NONE")
    fused = Operator(index=conv1.index, op_type=OP_TYPE,
                     inputs=[conv1.inputs[0], conv1.inputs[1], slot(conv1, 2), conv2.inputs[1], slot(conv2, 2)],
                     outputs=[add.outputs[0]],
                     options={BLOCK: (conv1, conv2, add), "fused_activation_function": act},
                     origin=add.origin)
    if rows is not None:
        fused.options[CAPACITY] = rows
    ops = []
    for op in graph.operators:
        if parts_of(op) is not None and parts_of(op)[2] is add:
            ops.append(fused)  # the same block with another row buffer
        elif op is add:
            ops.append(fused)
        elif op is not conv1 and op is not conv2:
            ops.append(op)
    copy = Graph(**{**graph.__dict__, "operators": ops})
    return copy


def lower_and_plan(graph: Graph, user_ops: Sequence[str] = (), guard_bytes: int = 0):
    """(graph, calls, plan): the graph with every block whose fusion shrinks the arena
    fused (see the module docstring), its lowering and its memory plan."""
    def plan_of(g: Graph, calls):
        return planner.plan_memory(g, [c.scratch_bytes for c in calls], [c.inplace for c in calls],
                                   [c.row_streaming for c in calls], guard_bytes=guard_bytes)

    cache = {}

    def lower_all(g: Graph):
        calls = []
        for op in g.operators:
            if id(op) not in cache:
                cache[id(op)] = (op, lower_op(op, g, user_ops))  # (op kept: ids stay unique)
            calls.append(cache[id(op)][1])
        return calls

    calls = lower_all(graph)
    plan = plan_of(graph, calls)
    for block in find_blocks(graph, user_ops):
        trial = fuse(graph, block)
        trial_calls = lower_all(trial)
        trial_plan = plan_of(trial, trial_calls)
        if trial_plan.arena_bytes >= plan.arena_bytes:
            continue
        base = graph
        graph, calls, plan = trial, trial_calls, trial_plan
        if not GROW_ROW_BUFFER:
            continue
        # A taller row buffer shifts the window less often; give it rows while the arena
        # has room for them at this step (the peak is often elsewhere by now).
        window, height = _rows(base, block[1])[0], base.tensor(block[0].outputs[0]).shape[1]
        rows = 2 * window
        while rows <= 2 * height:
            rows = min(rows, height)
            trial = fuse(graph, block, rows)
            trial_calls = lower_all(trial)
            trial_plan = plan_of(trial, trial_calls)
            if trial_plan.arena_bytes > plan.arena_bytes:
                break
            graph, calls, plan = trial, trial_calls, trial_plan
            if rows == height:
                break
            rows *= 2
    return graph, calls, plan


__all__ = ["find_blocks", "fuse", "lower_and_plan", "lower_op", "OP_TYPE"]
