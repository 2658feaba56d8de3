"""Lowering of IF after the reader inlined its branches (tflite/control_flow.py): what is
left of the operator copies the taken branch's outputs into the IF's outputs, as TFLite
Micro copies a branch subgraph's outputs out. Inputs: the bool condition, the then
branch's outputs, the else branch's outputs."""

from ..ir import Graph, Operator
from . import KernelCall, register
from ._common import malformed


def lower_if(op: Operator, graph: Graph) -> KernelCall:
    n = len(op.outputs)
    if op.options or len(op.inputs) != 1 + 2 * n:
        raise malformed(op, graph, "is an IF the reader did not inline.")
    copies = [dict(then=1 + k, other=1 + n + k, out=k, bytes=graph.tensor(y).nbytes)
              for k, y in enumerate(op.outputs)]
    return KernelCall(template="ops/if_select.j2", params=dict(copies=copies))


register("IF", lower_if, dtypes=("any",))
