"""Lowering of resource variables: READ_VARIABLE, ASSIGN_VARIABLE and CALL_ONCE.

The reader (tflite/resources.py) has already turned every variable into a variable tensor
of the arena's state region, dropped VAR_HANDLE and replaced CALL_ONCE's init subgraph by
(variable, constant) pairs. Reading and assigning are copies (kernels/variable.hpp);
CALL_ONCE copies the initial values on the first invoke (templates/ops/call_once.j2).
TFLite Micro's reset() zeroes the variables without running the init subgraph again; the
generated reset() does the same.
"""

from ..ir import Graph, Operator
from . import KernelCall, kernel_call, register
from ._common import malformed

ALL_DTYPES = ("int8", "int16", "int32", "float32", "bool", "int64", "uint8")


def _same(op: Operator, graph: Graph, var, value) -> None:
    if (var.dtype, tuple(var.shape)) != (value.dtype, tuple(value.shape)):
        raise malformed(op, graph, f"variable '{var.name}' is {var.dtype}{list(var.shape)} but the value "
                        f"'{value.name}' is {value.dtype}{list(value.shape)}.")


def lower_read(op: Operator, graph: Graph) -> KernelCall:
    if len(op.inputs) != 1 or len(op.outputs) != 1:
        raise malformed(op, graph, "READ_VARIABLE takes 1 input and gives 1 output.")
    var, y = graph.tensor(op.inputs[0]), graph.tensor(op.outputs[0])
    _same(op, graph, var, y)
    return kernel_call("copy_bytes", "CopyParams", dict(bytes=y.nbytes), inputs=(0,))


def lower_assign(op: Operator, graph: Graph) -> KernelCall:
    if len(op.inputs) != 2 or op.outputs:
        raise malformed(op, graph, "ASSIGN_VARIABLE takes 2 inputs and gives no output.")
    var, value = graph.tensor(op.inputs[0]), graph.tensor(op.inputs[1])
    _same(op, graph, var, value)
    # copy_bytes(params, value, variable): the variable is the destination.
    return kernel_call("copy_bytes", "CopyParams", dict(bytes=var.nbytes), inputs=(1, 0))


def lower_call_once(op: Operator, graph: Graph) -> KernelCall:
    if not op.options.get("init") or len(op.inputs) % 2 != 1:
        raise malformed(op, graph, "CALL_ONCE was not resolved into its initial values.")
    for k in range(1, len(op.inputs), 2):
        _same(op, graph, graph.tensor(op.inputs[k]), graph.tensor(op.inputs[k + 1]))
    return KernelCall(template="ops/call_once.j2")


register("READ_VARIABLE", lower_read, dtypes=ALL_DTYPES)
register("ASSIGN_VARIABLE", lower_assign, dtypes=ALL_DTYPES)
register("CALL_ONCE", lower_call_once, dtypes=ALL_DTYPES)
