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

Which layers to stream is a search over plans (`_Search`). Its run time must stay small on
100+ operator models (pre-build time), so everything that does not depend on the chosen
layers (buffers, lifetimes, who is live with whom, each layer's staging) is computed once
in a `_Layout`, a trial plan only regroups and re-places, the search stops as soon as a
plan meets the lower bound no choice of layers can beat, and its work is bounded.

With `guard_bytes` (`utensor convert --guard`), every buffer is planned that many bytes
longer: the tail is a canary zone no other buffer uses while its owner is live, which the
generated code paints and checks after each layer (runtime/include/utensor/guard.hpp).
Row streaming is then off (its overlapping buffers would cover each other's canaries).

State: variable tensors (`Tensor.is_variable`, e.g. SVDF's activation state) keep their
values from one invoke() to the next, so no other buffer may ever use their bytes. They
take the start of the arena (`MemoryPlan.state_bytes`), each aligned, live from before
the first operator to after the last; the scratch plan above is made without them and
placed after that region. The generated reset() refills the region (emitter).
"""

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

from .ir import Graph

ALIGNMENT = 16  # bytes; enough for any SIMD load on Cortex-M and for double
# Streaming a layer pays only if its staging buffer is small next to what it saves.
MAX_STAGING_FRACTION = 0.25
# How much work (buffer pairs looked at, see _Layout.work) the search for layers to stream
# may spend once the first plan misses the lower bound: about 0.3 s of Python on a
# 120-operator graph built to be hard. A budget in work, not in trials or operators, keeps
# large models fast, lets small ones search as widely as before, and stays deterministic.
SEARCH_WORK = 2_000_000


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
    # The persistent region at the start of the arena: variable tensors (state across
    # invoke() calls), never reused. state_bytes is its size, aligned.
    state_bytes: int = 0
    state_tensors: List[int] = field(default_factory=list)

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


def _fills(graph: Graph, t: int, buffer: "Buffer") -> bool:
    """Tensor `t` is its whole buffer (not a view into part of it)."""
    return graph.storage(t)[1] == 0 and graph.tensor(t).nbytes == buffer.size


def _root(graph: Graph, t: int) -> int:
    while graph.tensor(t).alias_of is not None:
        t = graph.tensor(t).alias_of
    return t


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
    searches for the set of layers to stream (`_Search`); plans compare by arena, then by
    fewer streamed layers (each costs a row copy).
    guard_bytes > 0 plans a canary zone after every buffer (see the module docstring).
    """
    layout = _Layout(graph, scratch_bytes, inplace, () if guard_bytes else row_streaming, guard_bytes)
    if guard_bytes:
        plan = layout.memory_plan(layout.trial(()))
    else:
        plan = layout.memory_plan(_Search(layout).run())
    return _with_state_region(graph, plan)


def _with_state_region(graph: Graph, plan: MemoryPlan) -> MemoryPlan:
    """`plan` moved up behind a region holding every state tensor (see the docstring)."""
    state = graph.state_tensors()
    if not state:
        return plan
    n_ops = len(graph.operators)
    buffers, offset = [], 0
    for t in state:
        size = graph.tensor(t).nbytes + plan.guard_bytes
        buffers.append(Buffer(name=f"state{t}", size=size, first=-1, last=n_ops, tensors=[t],
                              offset=offset, guard=plan.guard_bytes))
        offset += _align(size)
    region = offset
    for b in plan.buffers:
        b.offset += region
    for s in plan.streamed.values():
        s.staging_offset += region
    tensor_offset = {t: o + region for t, o in plan.tensor_offset.items()}
    tensor_offset.update({b.tensors[0]: b.offset for b in buffers})
    return MemoryPlan(
        arena_bytes=plan.arena_bytes + region, lower_bound=plan.lower_bound + region,
        buffers=buffers + plan.buffers, tensor_offset=tensor_offset,
        scratch_offset={k: o + region for k, o in plan.scratch_offset.items()},
        streamed=plan.streamed, allowed_overlaps=plan.allowed_overlaps, guard_bytes=plan.guard_bytes,
        state_bytes=region, state_tensors=list(state))


class _Search:
    """Which layers to stream.

    No plan needs less than `_Layout.floor`: the most crowded step, each step counted with
    its own layer streamed if that helps. The layers some step cannot do without to stay
    at the floor are *forced*; streaming exactly those is tried first and, if that plan
    meets the floor, it is the answer: no arena is smaller and no plan that small streams
    fewer layers. Next, layers at the most crowded steps are added while that helps. The
    MLPerf Tiny models and MobileNet-like graphs end there, after a trial or two
    (milliseconds, where the earlier exhaustive search took 0.5 s on vww and 35 s on a
    120-operator MobileNet-like model).

    Otherwise the search compares more plans, cheapest ideas first: streaming every
    candidate and then dropping layers while that helps; greedy passes in execution order
    from no layer; adding crowded layers to the best so far; and last the thorough (many
    trials per layer) descent the earlier planner ran from each of its starting plans.
    It stops at the floor, and all of it shares SEARCH_WORK: once that is spent, further
    trials count as no better, so large graphs keep the best plan found so far while
    smaller ones (up to about 40 operators, even when built to be hard) run every step and
    never do worse than the earlier planner. Trials are remembered by the layers asked
    for, and most are only asked whether they beat the best plan so far: placement stops
    as soon as a plan is sure to need more (`limit`). Deterministic: the budget counts
    work, not time.
    """

    def __init__(self, layout: "_Layout"):
        self.layout = layout
        self.candidates = sorted(layout.candidates)
        self.target = _align(layout.floor)  # arenas are aligned: none is smaller than this
        self.budget = layout.work + SEARCH_WORK
        self.trials: Dict[Tuple[int, ...], _Trial] = {}

    def trial(self, steps, limit: Optional[int] = None, must: bool = False) -> "_Trial":
        """The plan streaming `steps`; its arena exactly if it is at most `limit` (None: no
        limit), else _OVER. `must`: even once the budget is spent."""
        key = tuple(sorted(set(steps)))
        known = self.trials.get(key)
        if known is not None and (known.arena != _OVER or (limit is not None and known.beyond >= limit)):
            return known
        if not must and self.layout.work > self.budget:
            return _Trial(_OVER, key, [], [], beyond=-1)  # not remembered: unknown, not worse
        t = self.layout.trial(key, limit)
        self.trials[key] = t
        return t

    def run(self) -> "_Trial":
        layout, candidates, target = self.layout, self.candidates, self.target
        quick = self.trial([k for k in candidates if layout.unstreamed_need(k) > target], must=True)
        if quick.arena <= target:
            return quick
        # A few more layers at the most crowded steps often close the gap (vww: one).
        crowded = self.add_crowded(quick)
        if crowded.arena <= target:
            return self.descend(crowded)
        none, every = self.trial((), must=True), self.trial(candidates, must=True)
        results = [quick, crowded, none, every]
        # From every layer streamed (the least memory at each step), drop those that cost
        # more elsewhere: a trial or two per layer.
        results += [self.descend(every, strict_first=True), self.descend(every)]
        # Greedy passes in execution order: keep a layer if the plan shrinks (or, second
        # pass, does not grow: a layer may pay only together with a later one).
        starts = [every]
        for keep_ties in (False, True):
            best, chosen = none, []
            for k in candidates:
                if best.arena <= target:
                    break
                t = self.trial(chosen + [k], best.arena - (0 if keep_ties else 1))
                if t.arena < best.arena or (keep_ties and t.arena == best.arena):
                    best, chosen = t, chosen + [k]
            starts.append(best)
            results.append(self.descend(best))
        results.append(self.descend(self.add_crowded(min(results, key=_score))))
        # Whatever budget is left goes to the thorough descent (the best single drop each
        # round, many trials per layer) from every layer and from the greedy plans: on
        # small models the search then covers the plans the earlier, exhaustive planner
        # found.
        results += [self.steepest_descent(p) for p in starts]
        return min(results, key=_score)

    def add_crowded(self, best: "_Trial") -> "_Trial":
        """Add layers to `best`, the most crowded steps first, while that helps."""
        need = self.layout.unstreamed_need
        for k in sorted(set(self.candidates) - set(best.streamed), key=lambda k: (-need(k), k)):
            if best.arena <= self.target:
                break
            t = self.trial(best.streamed + (k,), best.arena)
            if _score(t) < _score(best):
                best = t
        return best

    def _drop_order(self, streamed):
        """Least crowded steps first: their layers are the least likely to be needed."""
        return sorted(streamed, key=lambda k: (self.layout.unstreamed_need(k), k))

    def _can_drop(self, k: int, best: "_Trial") -> bool:
        return self.layout.unstreamed_need(k) <= best.arena  # else that step alone needs more

    def descend(self, best: "_Trial", strict_first: bool = False) -> "_Trial":
        """Breaking a chain can pay (a rigid chain may be wider than its widest layer): try
        dropping each streamed layer and keep any drop that shrinks the arena (or keeps it,
        with fewer layers: each costs a row copy); again until none does. strict_first:
        first keep only drops that shrink the arena, so that layers which pay only
        together are not broken up by drops that merely keep it."""
        for strict in (True, False) if strict_first else (False,):
            improved = True
            while improved:
                improved = False
                for k in self._drop_order(best.streamed):
                    if k not in best.streamed or not self._can_drop(k, best):
                        continue
                    t = self.trial([j for j in best.streamed if j != k], best.arena - 1 if strict else best.arena)
                    if t.arena < best.arena if strict else _score(t) < _score(best):
                        best, improved = t, True
        return best

    def steepest_descent(self, best: "_Trial") -> "_Trial":
        """descend(), taking the single best drop each round."""
        while best.streamed:
            step = best
            for k in best.streamed:
                if self._can_drop(k, best):
                    t = self.trial([j for j in best.streamed if j != k], step.arena)
                    if _score(t) < _score(step):
                        step = t
            if step is best:
                break
            best = step
        return best


_OVER = float("inf")  # the arena of a trial known only to exceed its limit


def _score(t: "_Trial"):
    return (t.arena, len(t.streamed))


@dataclass
class _Candidate:
    """What running one layer in place needs, whatever the other layers do."""

    step: int
    x: int  # span index of the input buffer
    y: int  # span index of the output buffer
    shift: int  # output start relative to input start, in bytes
    staging: int  # span index of its staging buffer
    rows: int
    out_row_elems: int
    saving: int  # bytes the step needs less when streamed (staging included)


class _Group:
    """Spans (by index) at fixed offsets relative to each other, placed as one rectangle."""

    __slots__ = ("members", "size", "first", "last", "name", "work")

    def __init__(self, members: List[Tuple[int, int]], layout: "_Layout"):
        self.members = members
        self.size = max(_align(rel + layout.size[m]) for m, rel in members)
        self.first = min(layout.first[m] for m, _ in members)
        self.last = max(layout.last[m] for m, _ in members)
        self.name = layout.spans[members[0][0]].name
        self.work = sum(len(layout.neighbours[m]) + 1 for m, _ in members)  # placing it looks at these


@dataclass
class _Trial:
    """One plan of the search: the layers streamed and where each group goes."""

    arena: int  # or _OVER: more than `beyond`
    streamed: Tuple[int, ...]
    groups: List[_Group]
    offsets: List[int]  # per group
    beyond: int = 0


class _Layout:
    """The buffers of one graph and everything about them that does not depend on which
    layers are streamed, computed once for the whole search."""

    def __init__(self, graph: Graph, scratch_bytes, inplace, row_streaming, guard_bytes: int):
        self.graph = graph
        self.guard_bytes = guard_bytes
        n_ops = self.n_ops = len(graph.operators)
        buffers = _tensor_buffers(graph, n_ops)
        _merge_inplace(graph, buffers, inplace)
        self.unique = list({id(b): b for b in buffers.values()}.values())
        # Spans: every buffer a plan may hold, by index: tensor buffers, then one staging
        # buffer per candidate layer, then scratch.
        spans: List[Buffer] = list(self.unique)
        self.candidates: Dict[int, _Candidate] = {}
        for step, ok in enumerate(row_streaming or ()):
            if ok:
                c = _candidate(graph, step, buffers, spans)
                if c is not None:
                    self.candidates[step] = c
        self.scratch: List[int] = []
        for step, size in enumerate(scratch_bytes):
            if size > 0:
                self.scratch.append(len(spans))
                spans.append(Buffer(name=f"scratch{step}", size=size, first=step, last=step, scratch_of=step))
        if guard_bytes:
            for b in spans:
                b.size += guard_bytes
                b.guard = guard_bytes
        self.spans = spans
        self.size = [b.size for b in spans]
        self.first = [b.first for b in spans]
        self.last = [b.last for b in spans]
        # span -> [(span live with it at some step, its size)]
        self.neighbours = [[(p, self.size[p]) for p in ps] for ps in _neighbours(self.first, self.last)]
        self.single = [_Group([(i, 0)], self) for i in range(len(spans))]  # the ungrouped spans
        # Bytes live at each step with nothing streamed (staging buffers are not live then).
        staging = {c.staging for c in self.candidates.values()}
        self.live = [0] * (n_ops + 2)  # index step + 1: steps -1 .. n_ops
        for i, b in enumerate(spans):
            if i not in staging:
                for s in range(b.first, b.last + 1):
                    self.live[s + 1] += b.size
        # No plan needs less than this: each step with its layer streamed if that helps.
        self.floor = max((self.live[k + 1] - max(self.candidates[k].saving if k in self.candidates else 0, 0)
                          for k in range(-1, n_ops + 1)), default=0)
        self.work = 0  # buffer pairs looked at so far (the search's budget unit)

    def unstreamed_need(self, step: int) -> int:
        return self.live[step + 1]

    def step_floor(self, streamed) -> int:
        """The lower bound of a plan streaming `streamed`: its most crowded step."""
        need = list(self.live)
        for k in streamed:
            need[k + 1] -= self.candidates[k].saving
        return max(need, default=0)

    # ---- one trial plan ----

    def trial(self, steps: Sequence[int], limit: Optional[int] = None) -> _Trial:
        """The plan streaming `steps`; _OVER if its arena would exceed `limit`."""
        groups, streamed = self._groups(steps)
        floor = _align(self.step_floor(streamed))
        placed = None
        if limit is None or floor <= limit:
            placed = self._place_best(groups, floor, limit)
        if placed is None:
            return _Trial(_OVER, tuple(streamed), groups, [], beyond=limit)
        return _Trial(placed[0], tuple(streamed), groups, placed[1])

    def _groups(self, steps: Sequence[int]) -> Tuple[List[_Group], List[int]]:
        """Group the spans for streaming `steps` (ascending); a layer whose output would
        overlap, at a fixed offset, a buffer live with it is left out."""
        size, neighbours = self.size, self.neighbours
        n_tensor = len(self.unique)
        members: Dict[int, List[Tuple[int, int]]] = {i: [(i, 0)] for i in range(n_tensor)}
        group_of = list(range(n_tensor)) + [-1] * (len(size) - n_tensor)  # span -> its group
        rel_of = [0] * len(size)  # span -> offset in its group
        streamed: List[int] = []
        for step in steps:
            c = self.candidates.get(step)
            if c is None:
                continue
            gx, gy = group_of[c.x], group_of[c.y]
            if gx == gy:
                continue
            base_y = rel_of[c.x] + c.shift - rel_of[c.y]  # where gy's origin lands in gx's frame
            moved = [(b, r + base_y) for b, r in members[gy]]
            # Refused if a moved span would overlap a span of gx live with it (bar x and y).
            self.work += sum(len(neighbours[b]) for b, _ in moved)
            if any(group_of[a] == gx and rel_of[a] < rb + size[b] and rb < rel_of[a] + sa
                   and not (a == c.x and b == c.y)
                   for b, rb in moved for a, sa in neighbours[b]):
                continue
            members[gx] += moved
            del members[gy]
            for b, r in moved:
                group_of[b], rel_of[b] = gx, r
            streamed.append(step)
        for i, ms in members.items():
            # Shift each group to start at 0 (aligned). Offsets are multiples of ALIGNMENT
            # (shifts are), so doing it once here equals doing it after every merge.
            low = _align_down(min(r for _, r in ms))
            if low:
                members[i] = [(b, r - low) for b, r in ms]
        # The same order as the buffers (placement ties never depend on it: names differ).
        single = self.single
        groups = [single[i] if len(members[i]) == 1 else _Group(members[i], self)
                  for i in range(n_tensor) if i in members]
        groups += [single[self.candidates[k].staging] for k in streamed]
        groups += [single[i] for i in self.scratch]
        return groups, streamed

    def _place_best(self, groups: List[_Group], good_enough: int, limit: Optional[int]):
        """(arena, offsets) of the smallest of the first-fit placements in PLACEMENT_ORDERS
        (ties: the earlier order), or None if none fits in `limit`. Stops at one that
        reaches `good_enough` (a lower bound: none does better)."""
        best = None
        for _, key in PLACEMENT_ORDERS:
            cap = limit if best is None else best[0] - 1  # a later order must do better
            offsets = self._first_fit(groups, key, cap)
            if offsets is None:
                continue
            arena = max((_align(o + g.size) for g, o in zip(groups, offsets)), default=0)
            best = (arena, offsets)
            if arena <= good_enough:
                break
        return best

    def _first_fit(self, groups: List[_Group], key, cap: Optional[int] = None) -> Optional[List[int]]:
        """Place groups in `key` order, each at the lowest aligned offset where none of its
        members overlaps, in bytes, a placed member live at the same time; None as soon as
        the arena would exceed `cap`. Members are checked one by one, not as the group's
        bounding box: a chain run in place is narrow early and wide late, and the space
        beside its narrow part stays usable.

        A placed span p at `o` rules out the bases strictly between o - rel - size(m) and
        o + size(p) - rel for a member m at `rel`. Sorted by their low ends, these ranges
        are swept once: the first base not inside any is the lowest fit (the same offset as
        trying every range end in turn, in O(k log k) instead of O(k^2))."""
        size, neighbours = self.size, self.neighbours
        at = [-1] * len(size)  # span -> placed offset
        bases = [0] * len(groups)
        for gi in sorted(range(len(groups)), key=lambda i: key(groups[i])):
            g = groups[gi]
            self.work += g.work
            if len(g.members) == 1:
                m = g.members[0][0]
                lo = -size[m]
                ruled_out = [(o + lo, o + sp) for p, sp in neighbours[m] if (o := at[p]) >= 0]
            else:
                ruled_out = [(o - rel - size[m], o + sp - rel)
                             for m, rel in g.members for p, sp in neighbours[m] if (o := at[p]) >= 0]
            base = 0
            ruled_out.sort()
            for lo, hi in ruled_out:
                if base <= lo:
                    break  # every later range starts higher still
                if base < hi:
                    base = (hi + ALIGNMENT - 1) // ALIGNMENT * ALIGNMENT
            if cap is not None and base + g.size > cap:
                return None  # (g.size is aligned: this is the arena's growth)
            bases[gi] = base
            for m, rel in g.members:
                at[m] = base + rel
        return bases

    # ---- the chosen plan ----

    def memory_plan(self, t: _Trial) -> MemoryPlan:
        graph = self.graph
        for g, base in zip(t.groups, t.offsets):
            for m, rel in g.members:
                self.spans[m].offset = base + rel
        streamed: Dict[int, Streamed] = {}
        allowed: List[Tuple[str, str]] = []
        staging: List[Buffer] = []
        for k in t.streamed:
            c = self.candidates[k]
            streamed[k] = Streamed(c.rows, c.out_row_elems, self.spans[c.staging].offset)
            allowed.append((self.spans[c.x].name, self.spans[c.y].name))
            staging.append(self.spans[c.staging])
        scratch = [self.spans[i] for i in self.scratch]
        all_buffers = self.unique + staging + scratch
        arena = max((_align(b.offset + b.size) for b in all_buffers), default=0)
        tensor_offset = {tt: b.offset for b in self.unique for tt in b.tensors
                         if graph.tensor(tt).alias_of is None}
        # aliases resolve to their root's offset plus their own (views start inside it)
        # (an alias nothing reads, of a root no live operator writes, has no storage)
        for tensor in graph.tensors:
            if tensor.alias_of is not None:
                root, offset = graph.storage(tensor.index)
                if root in tensor_offset:
                    tensor_offset[tensor.index] = tensor_offset[root] + offset
        scratch_offset = {b.scratch_of: b.offset for b in scratch}
        return MemoryPlan(arena, self._grouping_lower_bound(t.groups), all_buffers, tensor_offset,
                          scratch_offset, streamed, allowed, self.guard_bytes)

    def _grouping_lower_bound(self, groups: List[_Group]) -> int:
        """The largest total, over groups, of the extent each spans at one step (a chain
        run in place can be wider than its live members add up to)."""
        need = [0] * (self.n_ops + 2)
        for g in groups:
            for s in range(g.first, g.last + 1):
                live = [(m, r) for m, r in g.members if self.first[m] <= s <= self.last[m]]
                if live:
                    need[s + 1] += (max(r + self.size[m] for m, r in live) - min(r for _, r in live))
        return max(need, default=0)


def _neighbours(first: List[int], last: List[int]) -> List[List[int]]:
    """For each span, the spans live at some step with it: one sweep in order of start."""
    order = sorted(range(len(first)), key=lambda i: (first[i], i))
    result: List[List[int]] = [[] for _ in first]
    for pos, a in enumerate(order):
        if first[a] > last[a]:
            continue  # never live
        for b in order[pos + 1:]:
            if first[b] > last[a]:
                break
            if first[b] <= last[b]:
                result[a].append(b)
                result[b].append(a)
    return result


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
            # State tensors live in the state region (_with_state_region), not here.
            if t >= 0 and not graph.tensor(t).is_constant and not graph.tensor(t).is_variable:
                b = buffer_for(t)
                b.first = min(b.first, step)
                b.last = max(b.last, step)
    for t in graph.outputs:
        if not graph.tensor(t).is_constant:
            b = buffer_for(t)
            b.last = n_ops
            b.first = min(b.first, n_ops)
    # A loop (an inlined WHILE: the operators sharing `loop`) runs its steps again: what
    # it reads that was written before it (its variables, anything from outside) must
    # stay live to its last step, or a later step of one iteration could overwrite what an
    # earlier step of the next one reads.
    spans: Dict[int, List[int]] = {}
    for step, op in enumerate(graph.operators):
        if op.loop is not None:
            spans.setdefault(op.loop, [step, step])[1] = step
    for first, last in spans.values():
        for step in range(first, last + 1):
            for t in graph.operators[step].inputs:
                if t >= 0 and not graph.tensor(t).is_constant:
                    b = buffer_for(t)
                    if b.first < first:
                        b.last = max(b.last, last)
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
        if src.size != dst.size or not _fills(graph, src_t, src) or not _fills(graph, dst_t, dst):
            continue  # (a view is only part of its buffer)
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


def _candidate(graph: Graph, step: int, buffers: Dict[int, Buffer], spans: List[Buffer]) -> Optional[_Candidate]:
    """The layer at `step` as a streaming candidate (its staging buffer appended to
    `spans`), or None if it can never run in place."""
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
    if not _fills(graph, x_t, xb) or not _fills(graph, y_t, yb):
        return None  # a view is only part of its buffer
    if any(_root(graph, t) == _root(graph, x_t) for t in graph.outputs):
        return None
    out_row = _row_bytes(graph, step)
    # Output start relative to input start: aligned starts when the output is not larger,
    # else aligned ends (the input at the top of the output), both without wasted bytes.
    shift = 0 if yb.size <= xb.size else -_align(yb.size - xb.size)
    rows = staging_rows_needed(h_in, in_row, h_out, out_row, stride, pad_top, shift)
    if rows * out_row > MAX_STAGING_FRACTION * min(xb.size, yb.size):
        return None
    index = {id(b): i for i, b in enumerate(spans)}
    staging = Buffer(name=f"staging{step}", size=rows * out_row, first=step, last=step, staging_of=step)
    spans.append(staging)
    extent = max(xb.size, shift + yb.size) - min(0, shift)
    return _Candidate(step, index[id(xb)], index[id(yb)], shift, len(spans) - 1, rows, out_row_elems,
                      saving=xb.size + yb.size - extent - staging.size)


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
