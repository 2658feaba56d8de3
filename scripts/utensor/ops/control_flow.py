"""Lowering of IF and WHILE after the reader inlined their subgraphs (tflite/control_flow.py).

IF: what is left of the operator copies the taken branch's outputs into the IF's outputs,
as TFLite Micro copies a branch subgraph's outputs out. Inputs: the bool condition, the
then branch's outputs, the else branch's outputs.
WHILE: three operators. "enter" copies the initial values into the loop variables and opens
the loop; "test" leaves it when the condition is false; "next" copies the body's results
into the loop variables and closes the loop (templates/ops/while.j2)."""

from ..ir import Graph, Operator
from . import KernelCall, register
from ._common import malformed, unsupported


def lower_if(op: Operator, graph: Graph) -> KernelCall:
    n = len(op.outputs)
    if op.options or len(op.inputs) != 1 + 2 * n:
        raise malformed(op, graph, "is an IF the reader did not inline.")
    copies = [dict(then=1 + k, other=1 + n + k, out=k, bytes=graph.tensor(y).nbytes)
              for k, y in enumerate(op.outputs)]
    return KernelCall(template="ops/if_select.j2", params=dict(copies=copies))


def lower_while(op: Operator, graph: Graph) -> KernelCall:
    role = op.options.get("role")
    if role == "test":
        if len(op.inputs) != 1 or graph.tensor(op.inputs[0]).dtype != "bool":
            raise malformed(op, graph, "its loop test does not read one bool condition.")
        return KernelCall(template="ops/while.j2", params=dict(role=role, loop=op.index, copies=[]))
    if role not in ("enter", "next") or len(op.inputs) != len(op.outputs):
        raise malformed(op, graph, "is a WHILE the reader did not inline.")
    loop_roots = {graph.storage(y)[0] for y in op.outputs}
    copies = []
    for k, (x, y) in enumerate(zip(op.inputs, op.outputs)):
        if x == y or graph.storage(x) == graph.storage(y):
            continue  # the body passes the variable through unchanged (or reshaped: same bytes)
        if role == "next" and graph.storage(x)[0] in loop_roots:
            raise unsupported(op, graph, f"the loop body's result {k} is a view of a loop variable; "
                              "copying it in place is not supported.")
        copies.append(dict(src=k, dst=k, bytes=graph.tensor(y).nbytes))
    return KernelCall(template="ops/while.j2", params=dict(role=role, loop=op.index, copies=copies))


register("IF", lower_if, dtypes=("any",))
register("WHILE", lower_while, dtypes=("any",))
