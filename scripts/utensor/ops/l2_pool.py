"""Lowering of L2_POOL_2D (float32), as TensorFlow Lite Micro computes it: the pooling
geometry, padding and activation of AVERAGE_POOL_2D (ops/pooling.py), the kernel
pooling.hpp l2_pool2d_f32. TFLM has no quantized L2_POOL_2D and refuses int8; so do we.
"""

from ..ir import Graph, Operator
from . import KernelCall, register
from ._common import describe_dtypes, io_tensors, unsupported
from .pooling import _lower_pool  # pylint: disable=protected-access


def lower_l2_pool2d(op: Operator, graph: Graph) -> KernelCall:
    (x,), (y,) = io_tensors(op, graph, 1, 1)
    if (x.dtype, y.dtype) != ("float32", "float32"):
        raise unsupported(op, graph, f"dtypes input/output {describe_dtypes([x, y])} are not supported; "
                          "supported: float32 (TFLite Micro has no quantized L2_POOL_2D).")
    return _lower_pool(op, graph, "l2")


register("L2_POOL_2D", lower_l2_pool2d, dtypes=("float32",))
