"""Lowering of SVDF (float32; int8 with int16 or int8 time weights and state).

Kernel: runtime/include/utensor/kernels/svdf.hpp. The checks are TFLite Micro's PrepareSvdf
(svdf_common.cc): input [batch, input_size], weights_feature [filters, input_size],
weights_time [filters, memory], optional bias [units], activation state [batch, memory *
filters] (a variable tensor: it lives in the arena's state region and carries over between
invokes), output [batch, units], filters = units * rank. int8: both rescale factors as TFLM
computes them (float products and quotient, then QuantizeMultiplier), the bias scale must
equal state scale * time weights scale (within 1e-5), and no fused activation is applied
(TFLM's integer SVDF applies none, whatever the option says). TFLM reads the bias
unconditionally (its TODO #1751; tflite_micro crashes on an SVDF without one), so an SVDF
without bias is refused: TFLM cannot run it either. The zero points TFLM subtracts inside
its int32 sums become constant offsets computed here (feature_offset per filter,
time_offset per unit), so the kernel's products are plain dot products (detail/dot_s8.hpp,
detail/dot_s16.hpp: Helium, DSP or portable), equal to TFLM's sums modulo 2^32.
"""

from typing import Optional

import numpy as np

from .. import kernel_params
from ..ir import Graph, Operator
from ..quantization import activation_range_float, f32, quantize_multiplier
from . import KernelCall, kernel_call, register
from ._common import activation, describe_dtypes, malformed, per_tensor, unsupported

SUPPORTED = ("float32 throughout, or int8 input/weights_feature/output with int16 "
             "weights_time and state (or int8 for both) and an int32 bias")


def _shape(op: Operator, graph: Graph, x, wf, wt, bias, state, y):
    rank = op.options.get("rank", 0)
    if not isinstance(rank, int) or rank <= 0:
        raise malformed(op, graph, f"option rank is {rank!r}; expected a positive integer.")
    for t, role, r in ((x, "input", 2), (wf, "weights_feature", 2), (wt, "weights_time", 2),
                       (state, "activation state", 2), (y, "output", 2)):
        if len(t.shape) != r:
            raise unsupported(op, graph, f"{role} '{t.name}' has shape {list(t.shape)}; SVDF needs a "
                              f"rank-{r} tensor (TFLite Micro's layout: input [batch, input_size]).")
    batches, input_size = x.shape
    filters = wf.shape[0]
    if filters % rank != 0:
        raise malformed(op, graph, f"weights_feature has {filters} filters, not a multiple of rank {rank}.")
    units, memory = filters // rank, wt.shape[1]
    expected = {
        "weights_feature": (wf, (filters, input_size)), "weights_time": (wt, (filters, memory)),
        "activation state": (state, (batches, memory * filters)), "output": (y, (batches, units)),
    }
    for role, (t, shape) in expected.items():
        if tuple(t.shape) != shape:
            raise malformed(op, graph, f"{role} '{t.name}' has shape {list(t.shape)}; expected {list(shape)}.")
    if bias is not None and (len(bias.shape) != 1 or bias.shape[0] != units):
        raise malformed(op, graph, f"bias '{bias.name}' has shape {list(bias.shape)}; expected [{units}].")
    if memory < 1 or input_size < 1:
        raise unsupported(op, graph, f"memory size {memory} and input size {input_size} must be positive.")
    return dict(batches=batches, input_size=input_size, num_filters=filters, num_units=units,
                rank=rank, memory_size=memory)


def _offsets(factor: int, sums) -> Optional[kernel_params.ConstArray]:
    """factor * sums as int32 modulo 2^32; None (nullptr) when they are all zero."""
    if factor == 0:
        return None
    wrapped = [(int(v) * factor + 2**31) % 2**32 - 2**31 for v in sums]
    return kernel_params.ConstArray("int32_t", wrapped)


def lower(op: Operator, graph: Graph) -> KernelCall:
    if len(op.inputs) != 5 or len(op.outputs) != 1:
        raise malformed(op, graph, f"has {len(op.inputs)} inputs and {len(op.outputs)} outputs; SVDF takes "
                        "5 inputs (input, weights_feature, weights_time, bias or -1, state) and 1 output.")
    ins = [graph.tensor(i) if i >= 0 else None for i in op.inputs]
    x, wf, wt, bias, state = ins
    y = graph.tensor(op.outputs[0])
    for t, role in ((x, "input"), (wf, "weights_feature"), (wt, "weights_time"), (state, "activation state")):
        if t is None:
            raise malformed(op, graph, f"required input {role} is missing.")
    if bias is None:
        raise unsupported(op, graph, "has no bias (input 3 is -1); TFLite Micro's SVDF reads the bias "
                          "unconditionally and cannot run it. Give the layer a (zero) bias.")
    if not state.is_variable:
        raise malformed(op, graph, f"activation state '{state.name}' is not a variable tensor (TFLite "
                        "Micro requires is_variable).")
    for t, role in ((wf, "weights_feature"), (wt, "weights_time"), (bias, "bias")):
        if t is not None and not t.is_constant:
            raise unsupported(op, graph, f"{role} '{t.name}' is computed at run time; utensor needs "
                              "constant SVDF weights.")
    shape = _shape(op, graph, x, wf, wt, bias, state, y)
    scratch_f = shape["batches"] * shape["num_filters"]
    dtypes = (x.dtype, wf.dtype, wt.dtype, bias.dtype if bias is not None else None, state.dtype, y.dtype)
    act = activation(op, graph)
    if dtypes == ("float32",) * 6:
        lo, hi = activation_range_float(act)
        return kernel_call("svdf_f32", "SvdfF32Params",
                           dict(shape=shape, activation_min=lo, activation_max=hi),
                           inputs=(0, 1, 2, 3, 4), scratch_type="float", scratch_bytes=4 * scratch_f)
    if (x.dtype, wf.dtype, y.dtype) == ("int8",) * 3 and wt.dtype == state.dtype in ("int16", "int8") \
            and dtypes[3] == "int32":
        si, zi = per_tensor(op, graph, x, "input")
        sw, _ = per_tensor(op, graph, wf, "weights_feature")
        st, _ = per_tensor(op, graph, wt, "weights_time")
        ss, zs = per_tensor(op, graph, state, "activation state")
        so, zo = per_tensor(op, graph, y, "output")
        sb, _ = per_tensor(op, graph, bias, "bias")
        if state.dtype == "int16" and zs != 0:
            raise unsupported(op, graph, f"int16 activation state '{state.name}' has zero point {zs}; "
                              "TFLite Micro's int16 SVDF assumes 0.")
        # TFLM's Prepare: float products and quotients, widened to double.
        if not abs(float(f32(sb)) - float(f32(f32(ss) * f32(st)))) < 1e-5:
            raise unsupported(op, graph, f"bias scale {sb:g} differs from state scale * weights_time scale "
                              f"{float(f32(ss) * f32(st)):g}; TFLite Micro refuses such an SVDF.")
        feature_m, feature_s = quantize_multiplier(float(f32(f32(f32(si) * f32(sw)) / f32(ss))))
        time_m, time_s = quantize_multiplier(float(f32(f32(f32(ss) * f32(st)) / f32(so))))
        # TFLM sums w * (x - zero point) in int32; the kernel sums w * x from the constant
        # -zero point * sum(w) (equal modulo 2^32, and the kernel's sums wrap like TFLM's).
        feature_sums = wf.data.astype(np.int64).reshape(shape["num_filters"], shape["input_size"]).sum(axis=1)
        time_sums = wt.data.astype(np.int64).reshape(shape["num_units"], -1).sum(axis=1)
        fn = "svdf_s8_s16" if state.dtype == "int16" else "svdf_s8_s8"
        return kernel_call(fn, "SvdfS8Params",
                           dict(shape=shape, state_zero_point=zs, output_zero_point=zo,
                                feature_multiplier=feature_m, feature_shift=feature_s,
                                time_multiplier=time_m, time_shift=time_s,
                                feature_offset=_offsets(-zi, feature_sums),
                                time_offset=_offsets(-zs, time_sums)),
                           inputs=(0, 1, 2, 3, 4))
    raise unsupported(op, graph, f"dtypes input/weights_feature/weights_time/bias/state/output "
                      f"{describe_dtypes([x, wf, wt, bias, state, y])} are not supported; supported: {SUPPORTED}.")


register("SVDF", lower, dtypes=("int8", "float32"))
