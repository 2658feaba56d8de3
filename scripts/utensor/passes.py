"""Graph passes run between reading and planning.

Each pass takes a Graph and returns it (possibly modified in place). They run in the order
of `run_all`. None of them changes what the model computes. Operators keep their `index`
from the source model, so messages name the operator as the user's file numbers it.
"""

from typing import Set

from .ir import Graph, Operator

# Operators whose output is the input's bytes reinterpreted under another shape: no kernel,
# the output shares the input's storage (or, for a constant input, becomes a constant).
RESHAPE_LIKE = ("RESHAPE", "SQUEEZE", "EXPAND_DIMS")


def fold_reshapes(graph: Graph) -> Graph:
    """Turn reshape-like operators into aliases (activations) or reshaped constants."""
    kept = []
    for op in graph.operators:
        if op.op_type not in RESHAPE_LIKE or not op.inputs or op.inputs[0] < 0:
            kept.append(op)
            continue
        src = graph.tensor(op.inputs[0])
        dst = graph.tensor(op.outputs[0])
        if src.nbytes != dst.nbytes or src.dtype != dst.dtype or _same_quant(src, dst) is False:
            kept.append(op)  # not a pure reinterpretation; the lowering will report it
            continue
        if src.is_constant:
            dst.data = src.data.reshape(dst.shape)
        else:
            dst.alias_of = _alias_root(graph, src.index)
    graph.operators = kept
    return graph


def _same_quant(a, b):
    if a.quant is None or b.quant is None:
        return a.quant is None and b.quant is None
    return a.quant.scale == b.quant.scale and a.quant.zero_point == b.quant.zero_point


def _alias_root(graph: Graph, index: int) -> int:
    while graph.tensor(index).alias_of is not None:
        index = graph.tensor(index).alias_of
    return index


def drop_dead_operators(graph: Graph) -> Graph:
    """Remove operators none of whose outputs reach a graph output."""
    needed: Set[int] = set(graph.outputs)
    for t in graph.outputs:
        needed.add(_alias_root(graph, t))
    kept = []
    for op in reversed(graph.operators):
        if any(t in needed or _alias_root(graph, t) in needed for t in op.outputs):
            kept.append(op)
            needed.update(t for t in op.inputs if t >= 0)
            needed.update(_alias_root(graph, t) for t in op.inputs if t >= 0)
        # an alias whose root is needed keeps its producer alive through the root
    graph.operators = list(reversed(kept))
    return graph


def run_all(graph: Graph) -> Graph:
    graph = fold_reshapes(graph)
    graph = drop_dead_operators(graph)
    return graph


__all__ = ["run_all", "fold_reshapes", "drop_dead_operators", "RESHAPE_LIKE", "Operator"]
