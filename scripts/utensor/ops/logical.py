"""Lowering of LOGICAL_AND, LOGICAL_OR (with TFLite's broadcasting) and LOGICAL_NOT, on bool
tensors as TFLite Micro's logical.cc and elementwise.cc compute them."""

from ..ir import Graph, Operator
from . import KernelCall, kernel_call, register
from ._common import describe_dtypes, unsupported
from ._dense import io_tensors, require_same_shape
from .elementwise import broadcast_shape


def _require_bool(op, graph, tensors):
    if any(t.dtype != "bool" for t in tensors):
        raise unsupported(op, graph, f"dtypes {describe_dtypes(tensors)} are not supported; "
                          f"{op.op_type} takes and gives bool tensors.")


def _lower_binary(op: Operator, graph: Graph) -> KernelCall:
    (a, b), (y,) = io_tensors(op, graph, 2, 2)
    _require_bool(op, graph, [a, b, y])
    function = {"LOGICAL_AND": "logical_and_b8", "LOGICAL_OR": "logical_or_b8"}[op.op_type]
    return kernel_call(function, "BroadcastParams", dict(shape=broadcast_shape(op, graph, a, b, y)),
                       inputs=(0, 1))


def _lower_not(op: Operator, graph: Graph) -> KernelCall:
    (x,), (y,) = io_tensors(op, graph, 1, 1)
    _require_bool(op, graph, [x, y])
    require_same_shape(op, graph, x, y)
    return kernel_call("logical_not_b8", "UnaryB8Params", dict(size=x.num_elements), inplace=(0, 0))


register("LOGICAL_AND", _lower_binary, dtypes=("bool",))
register("LOGICAL_OR", _lower_binary, dtypes=("bool",))
register("LOGICAL_NOT", _lower_not, dtypes=("bool",))
