"""Helpers every operator lowering shares: uniform error messages (file, operator index and
type, what is wrong, the fix) and the basic dtype/quantization checks."""

import math
from typing import Iterable, List, Optional, Tuple

from ..errors import ModelFormatError, UnsupportedError
from ..ir import Graph, Operator, Tensor
from ..quantization import ACTIVATIONS


def where(op: Operator, graph: Graph) -> str:
    origin = f" ({op.origin})" if op.origin else ""  # inlined from an IF / WHILE subgraph
    return f"{graph.source_path or graph.name}: operator #{op.index} {op.op_type}{origin}"


def unsupported(op: Operator, graph: Graph, what: str) -> UnsupportedError:
    return UnsupportedError(f"{where(op, graph)}: {what}")


def malformed(op: Operator, graph: Graph, what: str) -> ModelFormatError:
    return ModelFormatError(f"{where(op, graph)}: {what} The model file is inconsistent; "
                            "re-export it with the TensorFlow Lite converter.")


def io_tensors(op: Operator, graph: Graph, min_inputs: int, max_inputs: int, outputs: int = 1,
               pad: bool = False) -> Tuple[List[Optional[Tensor]], List[Tensor]]:
    """The operator's input tensors (None for omitted optional ones; with `pad`, as many as
    max_inputs) and output tensors, after checking their counts."""
    if not (min_inputs <= len(op.inputs) <= max_inputs) or len(op.outputs) != outputs:
        raise malformed(op, graph, f"has {len(op.inputs)} inputs and {len(op.outputs)} outputs; "
                        f"expected {min_inputs}..{max_inputs} inputs and {outputs} output(s).")
    ins = [graph.tensor(i) if i >= 0 else None for i in op.inputs]
    if pad:
        ins += [None] * (max_inputs - len(ins))
    for k in range(min_inputs):
        if ins[k] is None:
            raise malformed(op, graph, f"required input {k} is missing.")
    return ins, [graph.tensor(i) for i in op.outputs]


def describe_dtypes(tensors: Iterable[Optional[Tensor]]) -> str:
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


def weighted_dtype(op: Operator, graph: Graph, x: Tensor, w: Tensor, bias: Optional[Tensor],
                   y: Tensor, supported: str) -> str:
    """"int8" or "float32": the arithmetic of a weighted operator (convolution, fully
    connected) from its input/weights/bias/output dtypes. Hybrid models (float32
    activations, integer weights) are dispatched to ops/hybrid.py before this is asked."""
    combo = (x.dtype, w.dtype, bias.dtype if bias is not None else None, y.dtype)
    if combo in (("int8", "int8", "int32", "int8"), ("int8", "int8", None, "int8")):
        return "int8"
    if combo in (("float32", "float32", "float32", "float32"), ("float32", "float32", None, "float32")):
        return "float32"
    raise unsupported(op, graph, f"dtypes input/weights/bias/output {describe_dtypes([x, w, bias, y])} "
                      f"are not supported; supported: {supported}.")
