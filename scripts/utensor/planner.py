"""Memory plan: every activation tensor and every scratch buffer at an offset in one arena.

Buffers are the non-constant tensors (an alias shares its root's buffer) and each
operator's scratch. A buffer is live from the operator that writes it (graph inputs: from
the start) to the last operator that reads it (graph outputs: to the end). Two buffers
live at the same time never overlap, with two deliberate exceptions that merge buffers
into one *group* with fixed relative offsets:
  - an elementwise operator may write its output over an input of the same size that
    dies there (`KernelCall.inplace`);
  - a convolution whose kernel honours row-band shapes (`KernelCall.row_streaming`) may
    write its output over its dying input, the two buffers overlapping so the layer needs
    max(input, output) bytes: the generated code runs it through
    `run_rows_in_place` (runtime/include/utensor/kernels/row_stream.hpp), whose staging
    buffer this planner sizes by simulating the same flush rule.
Groups are then placed first-fit (each at the lowest aligned offset free during its whole
lifetime) in several orders, keeping the best; TFLite Micro's greedy planner is the
largest-first one. The plan also reports a lower bound for the chosen grouping: the
largest total size of buffers live at one step.

With `guard_bytes` (`utensor convert --guard`), every buffer is planned that many bytes
longer: the tail is a canary zone no other buffer uses while its owner is live, which the
generated code paints and checks after each layer (runtime/include/utensor/guard.hpp).
Row streaming is then off (its overlapping buffers would cover each other's canaries).
"""

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

from .ir import Graph

ALIGNMENT = 16  # bytes; enough for any SIMD load on Cortex-M and for double
# Streaming a layer pays only if its staging buffer is small next to what it saves.
MAX_STAGING_FRACTION = 0.25


def _align(n: int) -> int:
    return (n + ALIGNMENT - 1) // ALIGNMENT * ALIGNMENT


def _align_down(n: int) -> int:
    return n // ALIGNMENT * ALIGNMENT


@dataclass
class Buffer:
    name: str
    size: int
    first: int  # step (operator position) at which it becomes live; -1 = before the first op
    last: int  # last step at which it is read; len(ops) = after the last op
    tensors: List[int] = field(default_factory=list)  # tensor indices stored here
    scratch_of: Optional[int] = None  # operator position, for scratch buffers
    staging_of: Optional[int] = None  # operator position, for row-streaming staging buffers
    offset: int = -1
    guard: int = 0  # canary bytes at the end of `size` (guarded plans only)


@dataclass
class Streamed:
    """A layer run in place through run_rows_in_place."""

    staging_rows: int
    out_row_elems: int
    staging_offset: int = -1


@dataclass
class MemoryPlan:
    arena_bytes: int
    lower_bound: int
    buffers: List[Buffer]
    tensor_offset: Dict[int, int]  # tensor index -> arena offset
    scratch_offset: Dict[int, int]  # operator position -> arena offset
    streamed: Dict[int, Streamed] = field(default_factory=dict)  # operator position -> in-place run
    # (buffer name, buffer name) pairs allowed to share bytes: they never hold live data
    # in the same place at the same time (in-place operators).
    allowed_overlaps: List[Tuple[str, str]] = field(default_factory=list)
    guard_bytes: int = 0  # canary bytes after every buffer (0: no guard)

    def overlapping_pairs(self):
        """Pairs of buffers live at the same step that share bytes without being an
        in-place pair (must be empty)."""
        allowed = {frozenset(p) for p in self.allowed_overlaps}
        bad = []
        for i, a in enumerate(self.buffers):
            for b in self.buffers[i + 1 :]:
                if frozenset((a.name, b.name)) in allowed:
                    continue
                if _lifetimes_overlap(a, b) and a.offset < b.offset + b.size and b.offset < a.offset + a.size:
                    bad.append((a.name, b.name))
        return bad


def _lifetimes_overlap(a, b) -> bool:
    return a.first <= b.last and b.first <= a.last


def _root(graph: Graph, t: int) -> int:
    while graph.tensor(t).alias_of is not None:
        t = graph.tensor(t).alias_of
    return t


class _Group:
    """Buffers at fixed offsets relative to each other, placed as one rectangle."""

    def __init__(self, buf: Buffer):
        self.members: List[Tuple[Buffer, int]] = [(buf, 0)]

    @property
    def size(self) -> int:
        return max(_align(rel + b.size) for b, rel in self.members)

    @property
    def first(self) -> int:
        return min(b.first for b, _ in self.members)

    @property
    def last(self) -> int:
        return max(b.last for b, _ in self.members)

    @property
    def name(self) -> str:
        return self.members[0][0].name

    def rel(self, buf: Buffer) -> int:
        return next(r for b, r in self.members if b is buf)

    def live_extent(self, step: int) -> int:
        live = [(b, r) for b, r in self.members if b.first <= step <= b.last]
        if not live:
            return 0
        return max(r + b.size for b, r in live) - min(r for _, r in live)


def plan_memory(
    graph: Graph,
    scratch_bytes: Sequence[int],
    inplace: Sequence[Optional[tuple]],
    row_streaming: Optional[Sequence[bool]] = None,
    guard_bytes: int = 0,
) -> MemoryPlan:
    """Plan the arena. scratch_bytes[k], inplace[k] and row_streaming[k] come from the
    lowering of operator k.

    Running a layer in place ties its input and output together for both lifetimes, which
    can cost more elsewhere than it saves (long MobileNet chains drift), so the planner
    compares streaming no layer, every candidate, and two greedy passes in execution order
    (keeping a layer if the whole plan shrinks; or does not grow), then drops layers from
    the best while that helps. Ties go to fewer streamed layers (each costs a row copy).
    guard_bytes > 0 plans a canary zone after every buffer (see the module docstring).
    """
    if guard_bytes:
        return _plan(graph, scratch_bytes, inplace, (), guard_bytes)
    candidates = [k for k, ok in enumerate(row_streaming or ()) if ok]
    plans = [_plan(graph, scratch_bytes, inplace, ()), _plan(graph, scratch_bytes, inplace, candidates)]
    for keep_ties in (False, True):
        best = plans[0]
        chosen: List[int] = []
        for k in candidates:
            trial = _plan(graph, scratch_bytes, inplace, chosen + [k])
            if trial.arena_bytes < best.arena_bytes or (keep_ties and trial.arena_bytes == best.arena_bytes):
                best, chosen = trial, chosen + [k]
        plans.append(best)
    return min((_drop_while_better(graph, scratch_bytes, inplace, p) for p in plans),
               key=lambda p: (p.arena_bytes, len(p.streamed)))


def _drop_while_better(graph: Graph, scratch_bytes, inplace, best: MemoryPlan) -> MemoryPlan:
    """Breaking a chain can pay (a rigid chain may be wider than its widest layer): drop
    streamed layers one at a time while that shrinks the arena (or keeps it, with fewer)."""
    def score(p):
        return (p.arena_bytes, len(p.streamed))

    while best.streamed:
        layers = sorted(best.streamed)
        trials = [_plan(graph, scratch_bytes, inplace, [j for j in layers if j != k]) for k in layers]
        step = min(trials, key=score)
        if score(step) >= score(best):
            break
        best = step  # the single drop that helps most, then look again
    return best


def _plan(graph: Graph, scratch_bytes, inplace, stream_steps: Sequence[int], guard_bytes: int = 0) -> MemoryPlan:
    n_ops = len(graph.operators)
    buffers = _tensor_buffers(graph, n_ops)
    _merge_inplace(graph, buffers, inplace)
    unique = list({id(b): b for b in buffers.values()}.values())
    groups: Dict[int, _Group] = {id(b): _Group(b) for b in unique}  # buffer id -> its group
    allowed: List[Tuple[str, str]] = []
    streamed: Dict[int, Streamed] = {}
    extra: List[Buffer] = []
    for step in stream_steps:
        s = _try_stream(graph, step, buffers, groups, allowed)
        if s is not None:
            streamed[step] = s
            extra.append(Buffer(name=f"staging{step}", size=s.staging_rows * _row_bytes(graph, step),
                                first=step, last=step, staging_of=step))
    for step, size in enumerate(scratch_bytes):
        if size > 0:
            extra.append(Buffer(name=f"scratch{step}", size=size, first=step, last=step, scratch_of=step))
    for b in extra:
        groups[id(b)] = _Group(b)
    if guard_bytes:
        for b in unique + extra:
            b.size += guard_bytes
            b.guard = guard_bytes

    placed = list({id(g): g for g in groups.values()}.values())
    offsets = _place_best(placed)
    all_buffers = unique + extra
    for g, base in zip(placed, offsets):
        for b, rel in g.members:
            b.offset = base + rel
    arena = max((_align(b.offset + b.size) for b in all_buffers), default=0)
    lower = max(
        (sum(g.live_extent(s) for g in placed) for s in range(-1, n_ops + 1)),
        default=0,
    )
    tensor_offset = {t: b.offset for b in unique for t in b.tensors}
    # aliases resolve to their root's offset
    # (an alias nothing reads, of a root no live operator writes, has no storage)
    for tensor in graph.tensors:
        if tensor.alias_of is not None and _root(graph, tensor.index) in tensor_offset:
            tensor_offset[tensor.index] = tensor_offset[_root(graph, tensor.index)]
    scratch_offset = {b.scratch_of: b.offset for b in extra if b.scratch_of is not None}
    for b in extra:
        if b.staging_of is not None:
            streamed[b.staging_of].staging_offset = b.offset
    return MemoryPlan(arena, lower, all_buffers, tensor_offset, scratch_offset, streamed, allowed,
                      guard_bytes)


def _tensor_buffers(graph: Graph, n_ops: int) -> Dict[int, Buffer]:
    buffers: Dict[int, Buffer] = {}  # root tensor -> buffer

    def buffer_for(t: int) -> Buffer:
        root = _root(graph, t)
        if root not in buffers:
            tensor = graph.tensor(root)
            buffers[root] = Buffer(name=f"t{root}", size=tensor.nbytes, first=n_ops, last=-1, tensors=[root])
        buf = buffers[root]
        if t not in buf.tensors:
            buf.tensors.append(t)
        return buf

    for t in graph.inputs:
        if not graph.tensor(t).is_constant:
            buffer_for(t).first = -1
    for step, op in enumerate(graph.operators):
        for t in list(op.outputs) + list(op.inputs):
            if t >= 0 and not graph.tensor(t).is_constant:
                b = buffer_for(t)
                b.first = min(b.first, step)
                b.last = max(b.last, step)
    for t in graph.outputs:
        if not graph.tensor(t).is_constant:
            b = buffer_for(t)
            b.last = n_ops
            b.first = min(b.first, n_ops)
    if graph.keep_inputs:  # --keep-inputs: live to the end, so nothing is placed over them
        for t in graph.inputs:
            if not graph.tensor(t).is_constant:
                buffer_for(t).last = n_ops
    return buffers


def _merge_inplace(graph: Graph, buffers: Dict[int, Buffer], inplace) -> None:
    """Let an operator write its output over an input that dies at that operator."""
    for step, pair in enumerate(inplace):
        if not pair:
            continue
        op = graph.operators[step]
        i_slot, o_slot = pair
        if i_slot >= len(op.inputs) or o_slot >= len(op.outputs) or op.inputs[i_slot] < 0:
            continue
        src_t, dst_t = op.inputs[i_slot], op.outputs[o_slot]
        if graph.tensor(src_t).is_constant or src_t in graph.inputs:
            continue
        src = buffers.get(_root(graph, src_t))
        dst = buffers.get(_root(graph, dst_t))
        if src is None or dst is None or src is dst or src.last != step or dst.first != step:
            continue
        if src.size != dst.size:
            continue
        if any(_root(graph, t) == _root(graph, src_t) for t in graph.outputs):
            continue
        src.last = dst.last
        src.tensors.extend(dst.tensors)
        for root, b in list(buffers.items()):
            if b is dst:
                buffers[root] = src


# ---- in-place convolutions through row streaming ----

def _geometry(graph: Graph, step: int):
    """(H_in, in_row_bytes, H_out, out_row_elems, stride_h, pad_top) of a batch-1 NHWC layer."""
    from .ops._spatial import FUSED_PADDING, axis_geometry  # the lowering's own arithmetic

    op = graph.operators[step]
    x, w, y = graph.tensor(op.inputs[0]), graph.tensor(op.inputs[1]), graph.tensor(op.outputs[0])
    if len(x.shape) != 4 or len(y.shape) != 4 or x.shape[0] != 1 or len(w.shape) != 4:
        return None
    stride_h = int(op.options.get("stride_h", 1) or 1)
    dil_h = int(op.options.get("dilation_h_factor", 1) or 1)
    f_h = w.shape[1]
    h_in, h_out = x.shape[1], y.shape[1]
    fused = tuple(op.options.get(FUSED_PADDING, (0, 0, 0, 0))[:2])
    out, pad_top = axis_geometry(op.options.get("padding", "SAME"), h_in, f_h, stride_h, dil_h, fused)
    if out != h_out:
        return None
    itemsize = x.nbytes // max(x.num_elements, 1)
    return h_in, x.shape[2] * x.shape[3] * itemsize, h_out, y.shape[2] * y.shape[3], stride_h, pad_top


def _row_bytes(graph: Graph, step: int) -> int:
    y = graph.tensor(graph.operators[step].outputs[0])
    return y.nbytes // max(y.shape[1], 1)


def staging_rows_needed(h_in, in_row_bytes, h_out, out_row_bytes, stride, pad_top, shift) -> int:
    """Rows run_rows_in_place keeps staged when the output starts `shift` bytes after the
    input (negative: before). Mirrors the flush rule of row_stream.hpp exactly."""
    in_end = h_in * in_row_bytes
    flushed, most = 0, 1
    for oy in range(h_out):
        most = max(most, oy - flushed + 1)
        needed = in_end
        if oy + 1 < h_out:
            needed = max(0, (oy + 1) * stride - pad_top) * in_row_bytes
        while flushed <= oy:
            dst = shift + flushed * out_row_bytes
            safe = dst + out_row_bytes <= needed or dst >= in_end or dst + out_row_bytes <= 0
            if not safe and oy + 1 < h_out:
                break
            flushed += 1
    return most


def _try_stream(graph: Graph, step: int, buffers, groups, allowed) -> Optional[Streamed]:
    op = graph.operators[step]
    if not op.inputs or op.inputs[0] < 0 or not op.outputs:
        return None
    x_t, y_t = op.inputs[0], op.outputs[0]
    if graph.tensor(x_t).is_constant:
        return None
    if any(t >= 0 and not graph.tensor(t).is_constant for t in op.inputs[1:]):
        return None  # only the activation input may be overwritten
    geo = _geometry(graph, step)
    if geo is None:
        return None
    h_in, in_row, h_out, out_row_elems, stride, pad_top = geo
    xb, yb = buffers.get(_root(graph, x_t)), buffers.get(_root(graph, y_t))
    if xb is None or yb is None or xb is yb or xb.last != step or yb.first != step:
        return None
    if any(_root(graph, t) == _root(graph, x_t) for t in graph.outputs):
        return None
    out_row = _row_bytes(graph, step)
    # Output start relative to input start: aligned starts when the output is not larger,
    # else aligned ends (the input at the top of the output), both without wasted bytes.
    shift = 0 if yb.size <= xb.size else -_align(yb.size - xb.size)
    rows = staging_rows_needed(h_in, in_row, h_out, out_row, stride, pad_top, shift)
    if rows * out_row > MAX_STAGING_FRACTION * min(xb.size, yb.size):
        return None
    gx, gy = groups[id(xb)], groups[id(yb)]
    if gx is gy:
        return None
    base_y = gx.rel(xb) + shift - gy.rel(yb)  # where gy's origin lands in gx's frame
    moved = [(b, r + base_y) for b, r in gy.members]
    for a, ra in gx.members:
        for b, rb in moved:
            if a is xb and b is yb:
                continue
            if _lifetimes_overlap(a, b) and ra < rb + b.size and rb < ra + a.size:
                return None
    merged = gx.members + moved
    low = min(r for _, r in merged)
    low = _align_down(low) if low < 0 else 0
    gx.members = [(b, r - low) for b, r in merged]
    for b, _ in moved:
        groups[id(b)] = gx
    allowed.append((xb.name, yb.name))
    return Streamed(staging_rows=rows, out_row_elems=out_row_elems)


# ---- placement ----

# Orders in which groups are placed first-fit. No single order wins on every graph
# (largest-first suits chains, definition order suits MobileNet-like graphs), so the
# planner tries each and keeps the smallest arena; ties keep the earlier order.
PLACEMENT_ORDERS = (
    ("largest first", lambda g: (-g.size, g.first, g.name)),
    ("definition order", lambda g: (g.first, -g.size, g.name)),
    ("longest lifetime first", lambda g: (-(g.last - g.first), -g.size, g.name)),
    ("largest area first", lambda g: (-(g.size * (g.last - g.first + 1)), g.first, g.name)),
)


def _place_best(groups: List[_Group]) -> List[int]:
    best = None
    for _, key in PLACEMENT_ORDERS:
        offsets = _place_first_fit(groups, key)
        arena = max((_align(o + g.size) for g, o in zip(groups, offsets)), default=0)
        if best is None or arena < best[0]:
            best = (arena, offsets)
    return best[1] if best else []


def _place_first_fit(groups: List[_Group], key) -> List[int]:
    """Place groups in `key` order, each at the lowest aligned offset where none of its
    members overlaps, in bytes, a placed member live at the same time. Members are checked
    one by one, not as the group's bounding box: a chain run in place is narrow early and
    wide late, and the space beside its narrow part stays usable."""
    offset_of = [0] * len(groups)
    placed: List[Tuple[Buffer, int]] = []  # (member, absolute offset)
    for i in sorted(range(len(groups)), key=lambda i: key(groups[i])):
        members = groups[i].members
        live_with = [
            [(p, off) for p, off in placed if _lifetimes_overlap(p, m)] for m, _ in members
        ]
        candidates = {0}
        for (m, rel), others in zip(members, live_with):
            for p, off in others:
                candidates.add(max(0, _align(off + p.size - rel)))
        for base in sorted(candidates):
            if all(
                not (base + rel < off + p.size and off < base + rel + m.size)
                for (m, rel), others in zip(members, live_with)
                for p, off in others
            ):
                break
        offset_of[i] = base
        placed.extend((m, base + rel) for m, rel in members)
    return offset_of
