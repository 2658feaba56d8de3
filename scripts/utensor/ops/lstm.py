"""Lowering of UNIDIRECTIONAL_SEQUENCE_LSTM (float32).

Kernel: runtime/include/utensor/kernels/lstm.hpp. The standard cell only: input, forget,
cell and output gates with their input and recurrent weights and biases, TANH activation,
optional cell clip, batch or time major. Peephole (cell_to_*), projection, layer norm and
CIFG (coupled input/forget gate) variants are refused naming the input (TFLite Micro
refuses them too). float32, TFLite's full-integer LSTM (int8 activations and weights,
int16 cell state: ops/_lstm_int.py), or 16x8 (int16 activations, int8 weights, int64
biases, int16 cell state: ops/_lstm_s16.py). The output and cell states (inputs 18 and 19) are
variable tensors in the arena's state region: they carry over between invokes, as in
TFLite Micro, and reset() zeroes them.
"""

from ..ir import Graph, Operator
from . import KernelCall, kernel_call, register
from ._common import malformed, unsupported
from ._lstm_int import INT8_DTYPES, describe, integer_dtypes, lower_s8
from ._lstm_s16 import INT16_DTYPES, is_16x8, lower_s16

N_INPUTS = 24
GATES = "input, forget, cell, output"
INPUT_TO = (1, 2, 3, 4)
RECURRENT_TO = (5, 6, 7, 8)
BIASES = (12, 13, 14, 15)
STATES = (18, 19)
OPTIONAL_FEATURES = {
    "peephole weights (cell_to_input/forget/output)": (9, 10, 11),
    "projection weights and bias": (16, 17),
    "layer normalization coefficients": (20, 21, 22, 23),
}


def lower(op: Operator, graph: Graph) -> KernelCall:
    if len(op.inputs) != N_INPUTS or len(op.outputs) != 1:
        raise malformed(op, graph, f"has {len(op.inputs)} inputs and {len(op.outputs)} outputs; "
                        f"UNIDIRECTIONAL_SEQUENCE_LSTM takes {N_INPUTS} inputs and 1 output.")
    t = [graph.tensor(i) if i >= 0 else None for i in op.inputs]
    y = graph.tensor(op.outputs[0])
    if t[1] is None or t[5] is None or t[12] is None:
        raise unsupported(op, graph, "is a CIFG LSTM (no input gate: inputs 1, 5 or 12 omitted); utensor "
                          "supports the standard LSTM cell with all four gates.")
    for what, slots in OPTIONAL_FEATURES.items():
        present = [s for s in slots if t[s] is not None]
        if present:
            raise unsupported(op, graph, f"uses {what} (inputs {present}); utensor supports the standard "
                              "LSTM cell without them.")
    required = (0,) + INPUT_TO + RECURRENT_TO + BIASES + STATES
    for s in required:
        if t[s] is None:
            raise malformed(op, graph, f"required input {s} is missing.")
    dtypes = [t[s] for s in required] + [y]
    integer = integer_dtypes(t, y) or ("int16" if is_16x8(t, y) else None)
    if integer is None and any(x.dtype != "float32" for x in dtypes):
        raise unsupported(op, graph, f"dtypes input/weights (8)/biases (4)/output state/cell state/output "
                          f"{describe(t, y)} are not supported; supported: float32 throughout, or "
                          f"{INT8_DTYPES} (TFLite's full-integer LSTM), or {INT16_DTYPES}.")
    for s in INPUT_TO + RECURRENT_TO + BIASES:
        if not t[s].is_constant:
            raise unsupported(op, graph, f"input {s} ('{t[s].name}') is computed at run time; utensor needs "
                              "constant LSTM weights and biases.")
    for s in STATES:
        if not t[s].is_variable:
            raise malformed(op, graph, f"state input {s} ('{t[s].name}') is not a variable tensor.")
    act = op.options.get("fused_activation_function", "NONE")
    if act != "TANH":
        raise unsupported(op, graph, f"fused activation {act} is not supported; supported: TANH (what "
                          "Keras and TFLite use for the cell).")
    if op.options.get("diagonal_recurrent_tensors"):
        raise unsupported(op, graph, "option diagonal_recurrent_tensors is set; supported: full recurrent "
                          "weight matrices.")
    time_major = bool(op.options.get("time_major", False))
    x = t[0]
    if len(x.shape) != 3:
        raise unsupported(op, graph, f"input '{x.name}' has shape {list(x.shape)}; expected rank 3 "
                          "([batch, time, input], or [time, batch, input] when time major).")
    if time_major:
        time_steps, batches, n_in = x.shape
    else:
        batches, time_steps, n_in = x.shape
    units = t[2].shape[0] if len(t[2].shape) == 2 else -1
    for s in INPUT_TO:
        if tuple(t[s].shape) != (units, n_in):
            raise malformed(op, graph, f"input weights {s} have shape {list(t[s].shape)}; expected "
                            f"[{units}, {n_in}] ({GATES} gates).")
    for s in RECURRENT_TO:
        if tuple(t[s].shape) != (units, units):
            raise malformed(op, graph, f"recurrent weights {s} have shape {list(t[s].shape)}; expected "
                            f"[{units}, {units}].")
    for s in BIASES:
        if tuple(t[s].shape) != (units,):
            raise malformed(op, graph, f"bias {s} has shape {list(t[s].shape)}; expected [{units}].")
    for s in STATES:
        if t[s].num_elements != batches * units:
            raise malformed(op, graph, f"state {s} has shape {list(t[s].shape)}; expected [{batches}, {units}].")
    out_shape = (time_steps, batches, units) if time_major else (batches, time_steps, units)
    if tuple(y.shape) != out_shape:
        raise malformed(op, graph, f"output '{y.name}' has shape {list(y.shape)}; expected {list(out_shape)}.")
    clip = float(op.options.get("cell_clip", 0.0) or 0.0)
    if clip < 0:
        raise malformed(op, graph, f"option cell_clip is {clip}; expected >= 0.")
    shape = dict(batches=batches, time_steps=time_steps, input_size=n_in, units=units,
                 time_major=int(time_major))
    if integer == "int8":
        return lower_s8(op, graph, t, y, shape, clip)
    if integer == "int16":
        return lower_s16(op, graph, t, y, shape, clip)
    return kernel_call(
        "lstm_f32", "LstmF32Params", dict(shape, cell_clip=clip),
        inputs=(0,) + INPUT_TO + RECURRENT_TO + BIASES + STATES, scratch_type="float",
        scratch_bytes=4 * 4 * units)


register("UNIDIRECTIONAL_SEQUENCE_LSTM", lower, dtypes=("int8", "int16", "float32"))
