"""Helpers shared by the lowerings of kernels-dense (fully connected, quantize, softmax,
elementwise, activations): uniform error messages and dtype/quantization checks.
"""

import math
from typing import List, Optional, Sequence, Tuple

from ..errors import ModelFormatError, UnsupportedError
from ..ir import Graph, Operator, Tensor
from ..quantization import ACTIVATIONS


def where(op: Operator, graph: Graph) -> str:
    return f"{graph.source_path or graph.name}: operator #{op.index} {op.op_type}"


def unsupported(op: Operator, graph: Graph, what: str) -> UnsupportedError:
    return UnsupportedError(f"{where(op, graph)}: {what}")


def malformed(op: Operator, graph: Graph, what: str) -> ModelFormatError:
    return ModelFormatError(f"{where(op, graph)}: {what} The model file is inconsistent; "
                            "re-export it with the TensorFlow Lite converter.")


def io_tensors(op: Operator, graph: Graph, min_inputs: int, max_inputs: int,
               outputs: int = 1) -> Tuple[List[Optional[Tensor]], List[Tensor]]:
    """Input tensors (None for omitted optional ones, padded to max_inputs) and outputs."""
    if not (min_inputs <= len(op.inputs) <= max_inputs) or len(op.outputs) != outputs:
        raise malformed(op, graph, f"has {len(op.inputs)} inputs and {len(op.outputs)} outputs; "
                        f"expected {min_inputs}..{max_inputs} inputs and {outputs} output(s).")
    ins = [graph.tensor(i) if i >= 0 else None for i in op.inputs]
    ins += [None] * (max_inputs - len(ins))
    for k in range(min_inputs):
        if ins[k] is None:
            raise malformed(op, graph, f"required input {k} is missing.")
    return ins, [graph.tensor(i) for i in op.outputs]


def describe_dtypes(tensors: Sequence[Optional[Tensor]]) -> str:
    return "/".join(t.dtype if t is not None else "-" for t in tensors)


def activation(op: Operator, graph: Graph) -> str:
    act = op.options.get("fused_activation_function", "NONE") or "NONE"
    if act not in ACTIVATIONS:
        raise unsupported(op, graph, f"fused activation {act} is not supported (supported: "
                          f"{', '.join(ACTIVATIONS)}). Apply the activation as a separate layer.")
    return act


def per_tensor(op: Operator, graph: Graph, t: Tensor, role: str) -> Tuple[float, int]:
    """(scale, zero_point) of a per-tensor quantized tensor."""
    q = t.quant
    if q is None or not q.scale:
        raise unsupported(op, graph, f"{role} tensor '{t.name}' is {t.dtype} without quantization "
                          "parameters; only quantized int8 (TFLite full-integer quantization) is "
                          "supported.")
    if len(q.scale) != 1:
        raise unsupported(op, graph, f"{role} tensor '{t.name}' is quantized per channel; only "
                          "per-tensor quantization is supported for it.")
    scale = float(q.scale[0])
    if not (scale > 0.0 and math.isfinite(scale)):
        raise malformed(op, graph, f"{role} tensor '{t.name}' has quantization scale {scale}.")
    return scale, int(q.zero_point[0]) if q.zero_point else 0


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
