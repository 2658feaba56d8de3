"""RESHAPE, SQUEEZE, EXPAND_DIMS: no kernel.

`passes.fold_reshapes` turns each into an alias of its input (or a reshaped constant)
before lowering, so these lowerings run only for an operator that is not a pure
reinterpretation of its input's bytes, which a valid model never contains.
"""

from ..errors import UnsupportedError
from . import register
from .. import passes


def _lower_reshape_like(op, graph):
    src = graph.tensor(op.inputs[0]) if op.inputs and op.inputs[0] >= 0 else None
    dst = graph.tensor(op.outputs[0])
    what = "no input" if src is None else (
        f"input {src.dtype}{list(src.shape)} ({src.nbytes} bytes) and output {dst.dtype}{list(dst.shape)} ({dst.nbytes} bytes)"
    )
    raise UnsupportedError(
        f"{graph.source_path or graph.name}: operator #{op.index} {op.op_type} has {what}: utensor "
        f"implements {op.op_type} as a view of its input, which needs the same dtype, quantization and "
        "byte size on both sides. Re-export the model; the TFLite converter never produces this."
    )


for _op in passes.RESHAPE_LIKE:
    register(_op, _lower_reshape_like, dtypes=("int8", "float32", "int16", "int32", "uint8"))
