"""Lowering of PAD and PADV2 (constant padding; int8, int16, float32, int32).

Kernel: runtime/include/utensor/kernels/pad.hpp. The pad value is the output zero point
for int8 PAD (a real 0.0), 0 for other dtypes, and the constant input for PADV2, as in
TFLite Micro.
"""

from ..ir import Graph, Operator
from . import KernelCall, kernel_call, register
from ._common import describe_dtypes, io_tensors, malformed, per_tensor, unsupported
from ._spatial import constant_ints, same_quant

DTYPES = {"int8": "s8", "float32": "f32", "int32": "i32", "int16": "s16"}
STRUCTS = {"int8": "PadS8Params", "float32": "PadF32Params", "int32": "PadI32Params",
           "int16": "PadS16Params"}
MAX_RANK = 5


def lower_pad(op: Operator, graph: Graph) -> KernelCall:
    v2 = op.op_type == "PADV2"
    ins, (y,) = io_tensors(op, graph, 2, 3 if v2 else 2)
    x, paddings = ins[0], ins[1]
    value_t = ins[2] if len(ins) > 2 else None
    if x.dtype != y.dtype or x.dtype not in DTYPES:
        raise unsupported(op, graph, f"dtypes input/output {describe_dtypes([x, y])} are not "
                          "supported; supported: int8, int16, float32 or int32 (same in and out).")
    rank = len(x.shape)
    if rank > MAX_RANK:
        raise unsupported(op, graph, f"input rank {rank} is not supported (at most {MAX_RANK}).")
    flat = constant_ints(op, graph, paddings, "the paddings input")
    if len(flat) != 2 * rank:
        raise malformed(op, graph, f"paddings hold {len(flat)} values for a rank-{rank} input "
                        f"(expected a [{rank}, 2] tensor).")
    before = flat[0::2]
    after = flat[1::2]
    if any(v < 0 for v in flat):
        raise unsupported(op, graph, f"negative paddings {flat} are not supported.")
    expected = tuple(b + d + a for b, d, a in zip(before, x.shape, after))
    if tuple(y.shape) != expected:
        raise malformed(op, graph, f"output shape {list(y.shape)} differs from the padded shape "
                        f"{list(expected)}.")
    value = 0
    if x.dtype in ("int8", "int16"):
        per_tensor(op, graph, x, "input")
        _, out_zp = per_tensor(op, graph, y, "output")
        if not same_quant(x, y):
            raise unsupported(op, graph, f"input '{x.name}' and output '{y.name}' have different "
                              f"quantization parameters; {x.dtype} PAD requires them equal.")
        value = out_zp
    if value_t is not None:
        if not value_t.is_constant or value_t.num_elements != 1 or value_t.dtype != x.dtype:
            raise unsupported(op, graph, "the constant_values input must be a constant scalar of "
                              "the input's dtype.")
        if x.dtype in ("int8", "int16") and not same_quant(value_t, y):
            raise unsupported(op, graph, "the constant_values input must share the output's "
                              "quantization parameters.")
        value = value_t.data.reshape(-1)[0].item()
    pad = MAX_RANK - rank
    shape = dict(input_dims=[1] * pad + list(x.shape), before=[0] * pad + before,
                 after=[0] * pad + after)
    return kernel_call(f"pad_{DTYPES[x.dtype]}", STRUCTS[x.dtype],
                       dict(shape=shape, pad_value=float(value) if x.dtype == "float32" else int(value)))


register("PAD", lower_pad, dtypes=("int8", "float32", "int16"))
register("PADV2", lower_pad, dtypes=("int8", "float32", "int16"))
