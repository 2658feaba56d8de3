"""Operator lowering: from an IR operator to a call of a runtime kernel.

Each supported TFLite operator has a lowering function

    lower(op: ir.Operator, graph: ir.Graph) -> KernelCall

that validates the operator completely (dtypes, shapes, options, quantization: anything the
kernel cannot do raises `UnsupportedError` naming the operator, the offending option and
what is supported) and precomputes everything the kernel needs (fixed-point multipliers,
offsets, activation ranges, shapes). Kernels never validate at run time.

`LOWERINGS` maps the TFLite operator name to its lowering. Every module of this package
registers its operators with `register("NAME", fn)` when imported; all are imported here.

A kernel's parameters are one struct of the table in kernel_params.py: the lowering gives
their values by field name (`fields`), never by position. A kernel called as
`kernel(params, inputs..., outputs...)` needs no template of its own: `kernel_call()`.
"""

import importlib
import pkgutil
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Optional, Sequence, Tuple

from .. import kernel_params
from ..errors import ModelFormatError, UnsupportedError
from ..quantization import ScaleRangeError


@dataclass
class KernelCall:
    """What the emitter needs to render one operator.

    template: path of a jinja2 file under scripts/utensor/templates/ (e.g.
        "ops/fully_connected.j2") defining two macros, `decl(c)` (file-scope C++: const
        parameter structs, per-channel tables; may be empty) and `call(c)` (statements
        inside invoke()). `c` is an `OpContext` (see emitter.py): c.p is `params` below,
        c.ins / c.outs are TensorViews of the operator's inputs/outputs (None for an
        omitted optional input), c.sym is a unique C++ identifier prefix for this operator
        (e.g. "op3"), c.scratch is a `uint8_t*` C++ expression for the scratch buffer.
    params: anything the template needs (numbers, lists, strings); no C++ text. By
        convention `struct` names the kernel's parameter struct in the table
        (kernel_params.py) and `fields` holds its values by field name (pointer fields: a
        kernel_params.ConstArray, or None for nullptr; templates may add the rest), which
        templates/ops/_params.j2 renders.
    scratch_bytes: bytes of scratch the kernel needs, planned in the arena.
    inplace: (input slot, output slot) whose buffers may be the same memory, if the
        kernel supports it (elementwise ops).
    row_streaming: the operator is a batch-1 NHWC window operator (CONV_2D,
        DEPTHWISE_CONV_2D) whose kernel honours any consistent band of its shape
        (input_height, pad_top, output_height) and whose template defines
        `call_with(c, params, input, output)`; the planner may then run it in place
        (planner.py, kernels/row_stream.hpp).
    """

    template: str
    params: Dict[str, Any] = field(default_factory=dict)
    scratch_bytes: int = 0
    inplace: Optional[Tuple[int, int]] = None
    row_streaming: bool = False


def kernel_call(function: str, struct: str, fields: Dict[str, Any], inputs: Sequence[int] = (0,),
                scratch_type: Optional[str] = None, returns_status: bool = False, **kwargs) -> KernelCall:
    """A call `function(params, inputs..., outputs...)` of a kernel whose parameters are
    table struct `struct` (kernel_params.py) with `fields` by field name, rendered by
    templates/ops/kernel.j2: `function` is in the struct's namespace and declared by its
    family's kernel header; `inputs` are the operator's input slots passed, in order;
    with `scratch_type` (e.g. "int32_t") the planned scratch buffer follows as that
    pointer type; `returns_status`: the kernel returns a utensor::Status and a failure
    ends the inference with it. kwargs: the KernelCall's scratch_bytes, inplace, row_streaming.
    The fields are checked against the table here, so a mistake points at the lowering."""
    kernel_params.TABLE.initializer(struct, fields)
    return KernelCall(template="ops/kernel.j2",
                      params=dict(function=function, struct=struct, fields=fields,
                                  inputs=list(inputs), scratch=scratch_type, status=returns_status),
                      **kwargs)


LowerFn = Callable[..., KernelCall]
LOWERINGS: Dict[str, LowerFn] = {}
# op type -> activation dtypes it supports, for `utensor ops` and the README matrix.
DTYPES: Dict[str, Tuple[str, ...]] = {}

def register(op_type: str, fn: LowerFn, dtypes: Tuple[str, ...] = ("int8", "float32")) -> None:
    LOWERINGS[op_type] = fn
    DTYPES[op_type] = tuple(dtypes)


def _load_all() -> None:
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")


_load_all()


def supported_ops():
    return sorted(LOWERINGS)


def lower(op, graph) -> KernelCall:
    fn = LOWERINGS.get(op.op_type)
    if fn is None:
        raise UnsupportedError(
            f"{graph.source_path or graph.name}: operator {op.op_type} (operator #{op.index}) is "
            f"not supported by utensor. Supported operators: {', '.join(supported_ops())}."
        )
    try:
        return fn(op, graph)
    except kernel_params.ParamsError as e:  # a bug in the lowering: say which operator met it
        raise kernel_params.ParamsError(f"operator #{op.index} {op.op_type}: {e}") from e
    except ScaleRangeError as e:
        raise ModelFormatError(
            f"{graph.source_path or graph.name}: operator #{op.index} {op.op_type}: its quantization scales "
            f"give a {e}, which the int8 kernels cannot represent. The quantization parameters are corrupt; "
            "re-export the model with the TensorFlow Lite converter."
        ) from None
