"""Memory plan: every activation tensor and every scratch buffer at an offset in one arena.

Buffers are the non-constant tensors (an alias shares its root's buffer) and each
operator's scratch. A buffer is live from the operator that writes it (graph inputs: from
the start) to the last operator that reads it (graph outputs: to the end). Two buffers
live at the same time never overlap. Placement is first-fit (each buffer at the lowest
aligned offset free during its whole lifetime) in several orders, keeping the best: TFLite
Micro's greedy planner is the largest-first one. The plan also reports the lower bound no placement can beat:
the largest total size of buffers live at one step.
"""

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

from .ir import Graph

ALIGNMENT = 16  # bytes; enough for any SIMD load on Cortex-M and for double


def _align(n: int) -> int:
    return (n + ALIGNMENT - 1) // ALIGNMENT * ALIGNMENT


@dataclass
class Buffer:
    name: str
    size: int
    first: int  # step (operator position) at which it becomes live; -1 = before the first op
    last: int  # last step at which it is read; len(ops) = after the last op
    tensors: List[int] = field(default_factory=list)  # tensor indices stored here
    scratch_of: Optional[int] = None  # operator position, for scratch buffers
    offset: int = -1


@dataclass
class MemoryPlan:
    arena_bytes: int
    lower_bound: int
    buffers: List[Buffer]
    tensor_offset: Dict[int, int]  # tensor index -> arena offset
    scratch_offset: Dict[int, int]  # operator position -> arena offset

    def overlapping_pairs(self):
        """Pairs of buffers live at the same step that share bytes (must be empty)."""
        bad = []
        for i, a in enumerate(self.buffers):
            for b in self.buffers[i + 1 :]:
                if _lifetimes_overlap(a, b) and a.offset < b.offset + b.size and b.offset < a.offset + a.size:
                    bad.append((a.name, b.name))
        return bad


def _lifetimes_overlap(a: Buffer, b: Buffer) -> bool:
    return a.first <= b.last and b.first <= a.last


def _root(graph: Graph, t: int) -> int:
    while graph.tensor(t).alias_of is not None:
        t = graph.tensor(t).alias_of
    return t


def plan_memory(graph: Graph, scratch_bytes: Sequence[int], inplace: Sequence[Optional[tuple]]) -> MemoryPlan:
    """Plan the arena. scratch_bytes[k] / inplace[k] come from the lowering of operator k."""
    n_ops = len(graph.operators)
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
            b = buffer_for(t)
            b.first = -1
    for step, op in enumerate(graph.operators):
        for t in op.outputs:
            if t >= 0 and not graph.tensor(t).is_constant:
                b = buffer_for(t)
                b.first = min(b.first, step)
                b.last = max(b.last, step)
        for t in op.inputs:
            if t >= 0 and not graph.tensor(t).is_constant:
                b = buffer_for(t)
                b.last = max(b.last, step)
                b.first = min(b.first, step)
    for t in graph.outputs:
        if not graph.tensor(t).is_constant:
            b = buffer_for(t)
            b.last = n_ops
            b.first = min(b.first, n_ops)

    _merge_inplace(graph, buffers, inplace)

    all_buffers = list({id(b): b for b in buffers.values()}.values())
    for step, size in enumerate(scratch_bytes):
        if size > 0:
            all_buffers.append(Buffer(name=f"scratch{step}", size=size, first=step, last=step, scratch_of=step))

    _place_best(all_buffers)
    arena = max((_align(b.offset + b.size) for b in all_buffers), default=0)
    lower = max(
        (sum(b.size for b in all_buffers if b.first <= s <= b.last) for s in range(-1, n_ops + 1)),
        default=0,
    )
    tensor_offset = {t: b.offset for b in all_buffers for t in b.tensors}
    # aliases resolve to their root's offset
    # (an alias nothing reads, of a root no live operator writes, has no storage)
    for tensor in graph.tensors:
        if tensor.alias_of is not None and _root(graph, tensor.index) in tensor_offset:
            tensor_offset[tensor.index] = tensor_offset[_root(graph, tensor.index)]
    scratch_offset = {b.scratch_of: b.offset for b in all_buffers if b.scratch_of is not None}
    return MemoryPlan(arena, lower, all_buffers, tensor_offset, scratch_offset)


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


# Orders in which buffers are placed first-fit. No single order wins on every graph
# (largest-first suits chains, definition order suits MobileNet-like graphs), so the
# planner tries each and keeps the smallest arena; ties keep the earlier order.
PLACEMENT_ORDERS = (
    ("largest first", lambda b: (-b.size, b.first, b.name)),
    ("definition order", lambda b: (b.first, -b.size, b.name)),
    ("longest lifetime first", lambda b: (-(b.last - b.first), -b.size, b.name)),
    ("largest area first", lambda b: (-(b.size * (b.last - b.first + 1)), b.first, b.name)),
)


def _place_best(bufs: List[Buffer]) -> None:
    best = None
    for _, key in PLACEMENT_ORDERS:
        _place_first_fit(bufs, key)
        arena = max((_align(b.offset + b.size) for b in bufs), default=0)
        if best is None or arena < best[0]:
            best = (arena, [b.offset for b in bufs])
    for b, offset in zip(bufs, best[1]):
        b.offset = offset


def _place_first_fit(bufs: List[Buffer], key) -> None:
    """Place buffers in `key` order, each at the lowest aligned offset free for its lifetime."""
    placed: List[Buffer] = []
    for b in sorted(bufs, key=key):
        candidates = sorted(
            (p for p in placed if _lifetimes_overlap(p, b)), key=lambda p: p.offset
        )
        offset = 0
        for p in candidates:
            if offset + b.size <= p.offset:
                break
            offset = max(offset, _align(p.offset + p.size))
        b.offset = offset
        placed.append(b)
