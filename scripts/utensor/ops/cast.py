"""Lowering of CAST: every element converted with C++'s static_cast, as TFLite Micro's
cast.cc does (no quantization involved: an int8 tensor casts its stored values)."""

from ..ir import Graph, Operator
from . import KernelCall, kernel_call, register
from ._common import describe_dtypes, io_tensors, unsupported
from ._dense import require_same_shape

SUFFIX = {"float32": "f32", "int32": "i32", "int8": "s8", "int16": "s16", "int64": "i64", "bool": "b8"}


def lower_cast(op: Operator, graph: Graph) -> KernelCall:
    (x,), (y,) = io_tensors(op, graph, 1, 1)
    if x.dtype not in SUFFIX or y.dtype not in SUFFIX:
        raise unsupported(op, graph, f"dtypes input/output {describe_dtypes([x, y])} are not supported; "
                          f"supported: any of {', '.join(SUFFIX)} to any of them.")
    require_same_shape(op, graph, x, y)
    inplace = (0, 0) if x.nbytes == y.nbytes else None
    return kernel_call(f"cast_{SUFFIX[x.dtype]}_{SUFFIX[y.dtype]}", "CastParams", dict(size=x.num_elements),
                       inplace=inplace)


register("CAST", lower_cast, dtypes=tuple(SUFFIX))
