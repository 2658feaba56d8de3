"""Lowering of RESIZE_BILINEAR (int8 and float32), as TensorFlow Lite Micro computes it.

Kernel: runtime/include/utensor/kernels/resize_bilinear.hpp. TFLM's Prepare is followed:
rank-4 input, a constant int32 size, align_corners and half_pixel_centers not both set;
its Eval picks ResizeBilinear (float32) or ResizeBilinearInteger (int8; the bytes are
blended, so input and output must share their quantization, as the converter makes them).
Each output row's and column's source pair and weight are computed here with TFLite's
arithmetic: float32 step by step for float (numpy float32), C integer division for int8.
"""

import numpy as np

from .. import kernel_params
from ..ir import Graph, Operator
from . import KernelCall, kernel_call, register
from ._common import describe_dtypes, io_tensors, malformed, per_tensor, unsupported
from ._spatial import constant_ints


def _cdiv(a: int, b: int) -> int:
    """C's integer division (toward zero)."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b > 0) else -q


def float_taps(out_size: int, in_size: int, align_corners: bool, half_pixel: bool):
    """[(lower, upper, source - lower)] of ComputeInterpolationValues, in float32."""
    f = np.float32
    scale = f(in_size) / f(out_size)
    if align_corners and out_size > 1:
        scale = f(in_size - 1) / f(out_size - 1)
    taps = []
    for i in range(out_size):
        value = (f(i) + f(0.5)) * scale - f(0.5) if half_pixel else f(i) * scale
        lower = max(int(np.floor(value)), 0)
        upper = min(int(np.ceil(value)), in_size - 1)
        taps.append((lower, upper, float(value - f(lower))))
    return taps


def integer_taps(out_size: int, in_size: int, align_corners: bool, half_pixel: bool):
    """[(lower, upper, source * 1024)] of ComputeInterpolationValuesInteger."""
    scale = _cdiv(1024 * in_size + out_size // 2, out_size)
    if align_corners and out_size > 1:
        scale = _cdiv(1024 * (in_size - 1) + (out_size - 1) // 2, out_size - 1)
    taps = []
    for i in range(out_size):
        value = i * scale + scale // 2 - 512 if half_pixel else i * scale
        taps.append((max(_cdiv(value, 1024), 0), min(_cdiv(value + 1023, 1024), in_size - 1), value))
    return taps


def _bool(op: Operator, graph: Graph, name: str) -> bool:
    value = op.options.get(name, False)
    if value is None:
        return False
    if not isinstance(value, (bool, int)):
        raise malformed(op, graph, f"option {name} is {value!r}; expected a boolean.")
    return bool(value)


def lower_resize_bilinear(op: Operator, graph: Graph) -> KernelCall:
    (x, size_t), (y,) = io_tensors(op, graph, 2, 2)
    if x.dtype != y.dtype or x.dtype not in ("int8", "float32"):
        raise unsupported(op, graph, f"dtypes input/output {describe_dtypes([x, y])} are not "
                          "supported; supported: int8 or float32 (same in and out).")
    if len(x.shape) != 4:
        raise unsupported(op, graph, f"input rank {len(x.shape)} is not supported (NHWC, rank 4, "
                          "as TFLite Micro).")
    if size_t is None or size_t.dtype != "int32" or len(size_t.shape) != 1:
        raise unsupported(op, graph, "the size input must be a constant rank-1 int32 tensor (what "
                          "TFLite Micro takes).")
    sizes = constant_ints(op, graph, size_t, "the size input")
    if len(sizes) != 2 or min(sizes) < 1:
        raise malformed(op, graph, f"size {sizes} is not two positive dimensions.")
    out_h, out_w = sizes
    align = _bool(op, graph, "align_corners")
    half = _bool(op, graph, "half_pixel_centers")
    if align and half:
        raise unsupported(op, graph, "align_corners and half_pixel_centers are both set; TFLite "
                          "Micro refuses that combination (at most one of them).")
    n, in_h, in_w, c = (int(d) for d in x.shape)
    if [int(d) for d in y.shape] != [n, out_h, out_w, c]:
        raise malformed(op, graph, f"output shape {list(y.shape)} differs from {[n, out_h, out_w, c]}.")
    dims = dict(batches=n, input_height=in_h, input_width=in_w, output_height=out_h,
                output_width=out_w, channels=c)
    if x.dtype == "int8":
        if per_tensor(op, graph, x, "input") != per_tensor(op, graph, y, "output"):
            raise unsupported(op, graph, "int8 input and output quantization differ; TFLite Micro's "
                              "RESIZE_BILINEAR blends the bytes, so they must be equal.")
        rows = [v for t in integer_taps(out_h, in_h, align, half) for v in t]
        cols = [v for t in integer_taps(out_w, in_w, align, half) for v in t]
        return kernel_call("resize_bilinear_s8", "ResizeBilinearS8Params", dict(
            dims, rows=kernel_params.ConstArray("int32_t", rows, "y0, y1, source y * 1024 per output row"),
            cols=kernel_params.ConstArray("int32_t", cols, "x0, x1, source x * 1024 per output column")))
    rt = float_taps(out_h, in_h, align, half)
    ct = float_taps(out_w, in_w, align, half)
    return kernel_call("resize_bilinear_f32", "ResizeBilinearF32Params", dict(
        dims,
        rows=kernel_params.ConstArray("int32_t", [v for t in rt for v in t[:2]], "y0, y1 per output row"),
        cols=kernel_params.ConstArray("int32_t", [v for t in ct for v in t[:2]], "x0, x1 per output column"),
        row_frac=kernel_params.ConstArray("float", [t[2] for t in rt], "source y - y0 per output row"),
        col_frac=kernel_params.ConstArray("float", [t[2] for t in ct], "source x - x0 per output column")))


register("RESIZE_BILINEAR", lower_resize_bilinear)
