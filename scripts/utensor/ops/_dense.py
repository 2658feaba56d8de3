"""Helpers shared by the dense lowerings (fully connected, quantize, softmax, elementwise,
activations), on top of _common's messages and checks.
"""

from typing import List, Optional, Sequence, Tuple

from ..ir import Graph, Operator, Tensor
from ._common import describe_dtypes, malformed, unsupported
from ._common import io_tensors as _io_tensors


def io_tensors(op: Operator, graph: Graph, min_inputs: int, max_inputs: int,
               outputs: int = 1) -> Tuple[List[Optional[Tensor]], List[Tensor]]:
    """Input tensors, padded with None to max_inputs, and outputs."""
    return _io_tensors(op, graph, min_inputs, max_inputs, outputs, pad=True)


def same_dtype(op: Operator, graph: Graph, tensors: Sequence[Tensor], allowed: Sequence[str],
               what: str) -> str:
    """The common dtype of `tensors` if it is one of `allowed`, else UnsupportedError."""
    dtypes = {t.dtype for t in tensors}
    if len(dtypes) == 1 and next(iter(dtypes)) in allowed:
        return next(iter(dtypes))
    raise unsupported(op, graph, f"dtypes {describe_dtypes(tensors)} are not supported; "
                      f"supported: {what}.")


def require_same_shape(op: Operator, graph: Graph, a: Tensor, b: Tensor) -> None:
    if tuple(a.shape) != tuple(b.shape):
        raise malformed(op, graph, f"output tensor '{b.name}' has shape {list(b.shape)}, but the "
                        f"input '{a.name}' has shape {list(a.shape)}.")


def float_option(op: Operator, graph: Graph, name: str, default: float) -> float:
    """A numeric builtin option (e.g. SOFTMAX beta, LEAKY_RELU alpha) as a float."""
    value = op.options.get(name, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise malformed(op, graph, f"option {name} is {value!r}; expected a number.")
    return float(value)
