"""Lowering of TRANSPOSE (int8, int16, float32; rank <= 6). int32 is refused as TFLite Micro
refuses it ("Type INT32 is currently not supported by Transpose"), although the runtime
keeps its transpose_i32 kernel.

Kernel: runtime/include/utensor/kernels/transpose.hpp: the permutation becomes, for each
output axis, the input stride it walks.
"""

from ..ir import Graph, Operator
from . import KernelCall, kernel_call, register
from ._common import describe_dtypes, io_tensors, malformed, unsupported
from ._spatial import constant_ints

SUFFIX = {"int8": "s8", "float32": "f32", "int16": "s16"}
MAX_RANK = 6


def lower_transpose(op: Operator, graph: Graph) -> KernelCall:
    (x, perm_t), (y,) = io_tensors(op, graph, 2, 2)
    if x.dtype != y.dtype or x.dtype not in SUFFIX:
        raise unsupported(op, graph, f"dtypes input/output {describe_dtypes([x, y])} are not "
                          "supported; supported: int8, int16 or float32 (same in and out; what TFLite "
                          "Micro's TRANSPOSE takes).")
    rank = len(x.shape)
    if rank > MAX_RANK:
        raise unsupported(op, graph, f"input rank {rank} is not supported (at most {MAX_RANK}).")
    perm = constant_ints(op, graph, perm_t, "the permutation input")
    perm = [p + rank if p < 0 else p for p in perm]
    if sorted(perm) != list(range(rank)):
        raise malformed(op, graph, f"permutation {perm} is not a permutation of {rank} axes.")
    expected = tuple(x.shape[p] for p in perm)
    if tuple(y.shape) != expected:
        raise malformed(op, graph, f"output shape {list(y.shape)} differs from the permuted "
                        f"shape {list(expected)}.")
    in_strides = [1] * rank
    for d in range(rank - 2, -1, -1):
        in_strides[d] = in_strides[d + 1] * x.shape[d + 1]
    pad = MAX_RANK - rank
    return kernel_call(f"transpose_{SUFFIX[x.dtype]}", "TransposeParams",
                       dict(output_dims=[1] * pad + list(expected),
                            input_strides=[0] * pad + [in_strides[p] for p in perm]))


register("TRANSPOSE", lower_transpose, dtypes=("int8", "float32", "int16"))
