"""Lowering of ADD_N (int8 and float32), as TensorFlow Lite Micro computes it.

Kernel: runtime/include/utensor/kernels/add_n.hpp, called with an array of input pointers
(templates/ops/add_n.j2). TFLM's Prepare is followed: at least two inputs, all of the
output's dtype and shape; int8 inputs sharing one scale and zero point. Its int8 arithmetic
(reference AddN) rescales each input with left shift 20 and multiplier scale / (2 * scale),
starts the sum from the rescaled input offset, and requantizes by 2 * scale / (2^20 *
output scale): the per-byte rescaling is a table computed here.
"""

from .. import kernel_params
from ..ir import Graph, Operator
from ..quantization import (f32, multiply_by_quantized_multiplier, quantize_multiplier_smaller_than_one)
from . import KernelCall, register
from ._common import describe_dtypes, malformed, per_tensor, unsupported

LEFT_SHIFT = 20  # TFLM's kAddNIntegerShift


def int8_rescaling(si: float, zi: int, so: float):
    """(per-byte table, starting value, output multiplier, output shift) of TFLite's
    quantized AddN and CumSum: inputs shifted left 20 and scaled by scale / (2 * scale),
    the result by 2 * scale / (2^20 * output scale); their sums start from the rescaled
    input offset (-zero point)."""
    twice = 2 * float(f32(si))
    in_mult, in_shift = quantize_multiplier_smaller_than_one(float(f32(si)) / twice)
    out_mult, out_shift = quantize_multiplier_smaller_than_one(twice / ((1 << LEFT_SHIFT) * float(f32(so))))

    def rescale(v):
        return multiply_by_quantized_multiplier(v * (1 << LEFT_SHIFT), in_mult, in_shift)

    table = [rescale(-zi + (b if b < 128 else b - 256)) for b in range(256)]
    return table, rescale(-zi), out_mult, out_shift


def lower_add_n(op: Operator, graph: Graph) -> KernelCall:
    if len(op.inputs) < 2 or len(op.outputs) != 1 or min(op.inputs) < 0:
        raise malformed(op, graph, f"has {len(op.inputs)} inputs and {len(op.outputs)} outputs; "
                        "expected at least 2 inputs and 1 output.")
    xs = [graph.tensor(i) for i in op.inputs]
    y = graph.tensor(op.outputs[0])
    if any(x.dtype != y.dtype for x in xs) or y.dtype not in ("int8", "float32"):
        raise unsupported(op, graph, f"dtypes {describe_dtypes(xs + [y])} are not supported; "
                          "supported: all int8 or all float32 (what TFLite Micro's ADD_N takes).")
    for x in xs:
        if tuple(x.shape) != tuple(y.shape):
            raise malformed(op, graph, f"input '{x.name}' has shape {list(x.shape)}, the output "
                            f"{list(y.shape)}; ADD_N does not broadcast.")
    if y.dtype == "float32":
        struct, fields = "AddNF32Params", dict(size=y.num_elements, num_inputs=len(xs))
        function = "add_n_f32"
    else:
        quants = [per_tensor(op, graph, x, f"input {k}") for k, x in enumerate(xs)]
        if any(q != quants[0] for q in quants):
            raise unsupported(op, graph, f"int8 inputs have different quantizations {quants}; "
                              "TFLite Micro's ADD_N requires one scale and zero point for all.")
        si, zi = quants[0]
        so, zo = per_tensor(op, graph, y, "output")
        table, initial, out_mult, out_shift = int8_rescaling(si, zi, so)
        struct, function = "AddNS8Params", "add_n_s8"
        fields = dict(size=y.num_elements, num_inputs=len(xs),
                      input_table=kernel_params.ConstArray(
                          "int32_t", table, "each input byte rescaled, indexed as uint8_t"),
                      initial=initial, output_multiplier=out_mult, output_shift=out_shift,
                      output_offset=zo)
    kernel_params.TABLE.initializer(struct, fields)
    return KernelCall(template="ops/add_n.j2",
                      params=dict(function=function, struct=struct, fields=fields))


register("ADD_N", lower_add_n)
