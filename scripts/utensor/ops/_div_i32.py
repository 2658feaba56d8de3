"""int32 DIV as TFLite Micro's EvalDiv<int32_t> (reference Div / BroadcastDivSlow): C division,
truncated toward zero (-7 / 2 = -3, 7 / -2 = -3), then the fused activation's int32 range.

TFLite Micro's DivPrepare takes int32 only without quantization parameters, and refuses
them otherwise; so does utensor. At run time TFLM fails the invocation on a zero divisor
("Division by 0"); the kernel returns Status::invalid_argument there, so invoke() fails too
(kernels/elementwise.hpp div_i32). A constant divisor holding a zero could only ever fail,
so such a model is refused when converting. INT32_MIN / -1 is undefined C++ in TFLM (a
SIGFPE on the x86 oracle, SDIV's INT32_MIN on Cortex-M): utensor gives INT32_MIN.
"""

import numpy as np

from . import KernelCall, kernel_call
from ._common import activation, unsupported
from .elementwise import INT32_ACTIVATION_RANGE


def lower_div_i32(op, graph, a, b, y, shape) -> KernelCall:
    for t, role in ((a, "input 1"), (b, "input 2"), (y, "output")):
        if t.quant is not None and t.quant.scale:
            raise unsupported(op, graph, f"{role} '{t.name}' is int32 with quantization parameters; "
                              "TFLite Micro's int32 DIV takes only unquantized int32 tensors.")
    if b.is_constant and not np.all(np.asarray(b.data) != 0):
        raise unsupported(op, graph, f"the constant divisor '{b.name}' holds a zero; TFLite Micro's "
                          "int32 DIV fails every invocation on it (\"Division by 0\").")
    lo, hi = INT32_ACTIVATION_RANGE[activation(op, graph)]
    return kernel_call("div_i32", "ElementwiseI32Params",
                       dict(shape=shape, activation_min=lo, activation_max=hi),
                       inputs=(0, 1), returns_status=True)
