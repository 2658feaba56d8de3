"""The memory planner: no two live buffers overlap, offsets aligned, bounds reported."""

import numpy as np
import pytest

from utensor import planner
from utensor.ir import Graph, Operator, Tensor


def _random_graph(rng, n_ops):
    """A random DAG: each op reads 1-2 earlier activations, writes one new tensor."""
    tensors = [Tensor(0, "in", "int8", (int(rng.randint(1, 300)),))]
    ops = []
    for k in range(n_ops):
        srcs = sorted(set(int(rng.randint(0, len(tensors))) for _ in range(int(rng.randint(1, 3)))))
        out = Tensor(len(tensors), f"t{len(tensors)}", "int8", (int(rng.randint(1, 300)),))
        tensors.append(out)
        ops.append(Operator(k, "ADD", srcs, [out.index]))
    return Graph("g", tensors, ops, [0], [len(tensors) - 1])


@pytest.mark.parametrize("seed", range(40))
def test_random_graphs_never_overlap(seed):
    rng = np.random.RandomState(seed)
    g = _random_graph(rng, int(rng.randint(1, 25)))
    scratch = [int(rng.choice([0, 0, 64, 300])) for _ in g.operators]
    inplace = [(0, 0) if rng.rand() < 0.3 else None for _ in g.operators]
    plan = planner.plan_memory(g, scratch, inplace)
    assert plan.overlapping_pairs() == []
    assert all(b.offset % planner.ALIGNMENT == 0 for b in plan.buffers)
    assert plan.arena_bytes >= plan.lower_bound
    assert plan.arena_bytes % planner.ALIGNMENT == 0
    # every activation has an offset and fits in the arena
    for t in g.tensors:
        assert 0 <= plan.tensor_offset[t.index] <= plan.arena_bytes - t.nbytes


def test_chain_reuses_memory_and_reaches_the_lower_bound():
    # in(100) -> a(200) -> b(100) -> c(200): at most two neighbours live at once.
    sizes = [100, 200, 100, 200]
    tensors = [Tensor(i, f"t{i}", "int8", (s,)) for i, s in enumerate(sizes)]
    ops = [Operator(i, "RELU", [i], [i + 1]) for i in range(3)]
    plan = planner.plan_memory(Graph("chain", tensors, ops, [0], [3]), [0, 0, 0], [None] * 3)
    assert plan.lower_bound == 300  # 100 + 200: in with a, a with b, or b with c
    assert plan.arena_bytes == 320  # 208 + 112 after 16-byte alignment
    assert plan.tensor_offset[0] != plan.tensor_offset[1]


def test_inplace_shares_the_input_buffer_when_it_dies():
    tensors = [Tensor(i, f"t{i}", "int8", (64,)) for i in range(4)]
    ops = [Operator(0, "RELU", [0], [1]), Operator(1, "RELU", [1], [2]), Operator(2, "RELU", [2], [3])]
    g = Graph("g", tensors, ops, [0], [3])
    plan = planner.plan_memory(g, [0, 0, 0], [(0, 0)] * 3)
    # t1 -> t2 may share (t1 dies at op 1); the graph input is never overwritten; nor is
    # the output merged into a buffer another tensor still needs.
    assert plan.tensor_offset[1] == plan.tensor_offset[2]
    assert plan.tensor_offset[0] != plan.tensor_offset[1]
    assert plan.overlapping_pairs() == []


def test_scratch_is_live_only_during_its_operator():
    tensors = [Tensor(i, f"t{i}", "int8", (32,)) for i in range(3)]
    ops = [Operator(0, "CONV_2D", [0], [1]), Operator(1, "CONV_2D", [1], [2])]
    plan = planner.plan_memory(Graph("g", tensors, ops, [0], [2]), [500, 500], [None, None])
    s0, s1 = plan.scratch_offset[0], plan.scratch_offset[1]
    assert s0 == s1  # the two scratch areas never live together
    assert plan.overlapping_pairs() == []


# ---- in-place convolutions (row streaming) ----

def test_staging_rows_follow_the_flush_rule():
    row = 320  # 5 x 64 int8
    # 3x3 stride 1 SAME over itself: row r may land only once row r+1's window (rows r..)
    # no longer needs input row r-1's place: one row of lag plus the row being computed.
    assert planner.staging_rows_needed(25, row, 25, row, 1, 1, 0) == 2
    # 1x1: row r's destination is input row r, read by nothing later.
    assert planner.staging_rows_needed(25, row, 25, row, 1, 0, 0) == 1
    # 3x3 stride 2 halving H and W: the output row lands far below the rows still read.
    assert planner.staging_rows_needed(48, 2 * row, 24, row, 2, 0, 0) == 1
    # an expanding 1x1 with the input at the top of the output: no lag either.
    assert planner.staging_rows_needed(24, row, 24, 2 * row, 1, 0, -24 * row) == 1


def _conv_chain(n_layers, h=16, w=4, c=32):
    """input -> n x (3x3 stride-1 SAME depthwise) -> output, batch 1."""
    act = (1, h, w, c)
    tensors = [Tensor(0, "x", "int8", act)]
    ops = []
    for k in range(n_layers):
        wt = Tensor(len(tensors), f"w{k}", "int8", (1, 3, 3, c), data=np.zeros((1, 3, 3, c), np.int8))
        tensors.append(wt)
        out = Tensor(len(tensors), f"y{k}", "int8", act)
        tensors.append(out)
        src = 0 if k == 0 else tensors[-3].index
        ops.append(Operator(k, "DEPTHWISE_CONV_2D", [src, wt.index], [out.index],
                            {"padding": "SAME", "stride_h": 1, "stride_w": 1, "dilation_h_factor": 1}))
    return Graph("chain", tensors, ops, [0], [tensors[-1].index])


def test_streamed_chain_needs_one_activation_plus_staging():
    g = _conv_chain(4)
    act = 16 * 4 * 32
    plain = planner.plan_memory(g, [0] * 4, [None] * 4)
    streamed = planner.plan_memory(g, [0] * 4, [None] * 4, [True] * 4)
    assert plain.arena_bytes == 2 * act
    assert streamed.arena_bytes == act + 2 * 4 * 32  # one activation and two staged rows
    # Inputs are consumed by invoke(), as in TFLite Micro: the first layer overwrites it too.
    assert set(streamed.streamed) == {0, 1, 2, 3}
    for step, s in streamed.streamed.items():
        op = g.operators[step]
        assert streamed.tensor_offset[op.inputs[0]] == streamed.tensor_offset[op.outputs[0]]
        assert s.staging_rows == 2 and s.out_row_elems == 4 * 32
    assert streamed.overlapping_pairs() == []


def test_streaming_is_refused_when_the_input_lives_on():
    g = _conv_chain(2)
    g.outputs = [1 + 1, g.outputs[0]]  # the first layer's output is also a graph output
    plan = planner.plan_memory(g, [0, 0], [None, None], [True, True])
    assert plan.streamed == {}
    assert plan.overlapping_pairs() == []
