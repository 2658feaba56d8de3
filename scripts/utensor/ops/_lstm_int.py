"""UNIDIRECTIONAL_SEQUENCE_LSTM on integers: TFLite's full-integer LSTM (int8 activations and
weights, int32 biases, int16 cell state), lowered to kernels/lstm.hpp's lstm_s8.

ops/lstm.py validates the cell's structure and shapes and calls `lower_s8` for these dtypes.
Everything TFLite Micro's Prepare computes is computed here, with its float/double steps
(lstm_eval_common.cc): per gate the input and recurrent fully connected layers requantize to
the int16 Q3.12 the activations take (GetQuantizedConvolutionMultipler: float scales widened
to double); the inter-gate multiplications (CreateInterGateMulParams) rescale the Q0.15 gate
outputs to the cell state and to the output state; the cell state's scale is a power of two
whose exponent (CheckedLog2, rounded, its failure ignored as TFLM ignores it) sets tanh's
input shift; the cell clip is quantized in double and truncated. The gate biases and the
input and output-state zero points are folded into per-unit int32 biases (an exact rewrite
of the same integer sums).

Weights with a zero point (TFLite's quantizer writes none for an LSTM; TFLite Micro applies
them): the constant part of their sums is folded into the biases, the kernel subtracts zero
point x the step's activation sum. Refused, though TFLite Micro runs them: weights quantized
per channel, a cell state scale above 1 (TFLM's int16 tanh of the cell overflows int32). int16 activations (TFLM's 16x8 LSTM) are ops/_lstm_s16.py.
"""

import math
from typing import Dict, List, Optional

import numpy as np

from .. import kernel_params
from ..ir import Graph, Operator, Tensor
from ..quantization import conv_multiplier, f32, quantize_multiplier
from . import KernelCall, kernel_call
from ._common import describe_dtypes, per_tensor, unsupported
from ._lut16 import sigmoid_table_u16

INT8_DTYPES = "int8 input, weights, output state and output, int32 biases, int16 cell state"
Q3_12 = 2.0 ** -12
Q0_15 = 2.0 ** -15


def integer_dtypes(t: List[Optional[Tensor]], y: Tensor) -> Optional[str]:
    """"int8" for TFLite's full-integer LSTM, None for any other combination."""
    weights = [t[s].dtype for s in range(1, 9)]
    biases = [t[s].dtype for s in range(12, 16)]
    if (t[0].dtype, t[18].dtype, y.dtype) == ("int8",) * 3 and set(weights) == {"int8"} \
            and set(biases) == {"int32"} and t[19].dtype == "int16":
        return "int8"
    return None


def _log2_rounded(scale: float) -> int:
    """TFLite's CheckedLog2: log(x) * (1 / log(2)) in float, rounded half away from zero."""
    v = np.float32(np.log(np.float32(scale))) * np.float32(np.float32(1.0) / np.float32(np.log(np.float32(2.0))))
    v = float(np.float32(v))
    return int(math.floor(abs(v) + 0.5)) * (1 if v >= 0 else -1)


def _inter_gate(scale1: float, scale2: float, out_scale: float):
    """CreateInterGateMulParams: float scales widened to double, product / output scale."""
    return quantize_multiplier((float(f32(scale1)) * float(f32(scale2))) / float(f32(out_scale)))


def cell_state_scale(op: Operator, graph: Graph, c: Tensor, tf_writes: str):
    """The int16 cell state's scale and its power of two (k <= 0), as TFLite Micro's integer
    LSTMs need them; tf_writes: the powers TensorFlow's quantizer writes for this form."""
    c_q = c.quant
    if c_q is None or not c_q.scale:
        raise unsupported(op, graph, f"int16 cell state '{c.name}' has no quantization parameters; TFLite "
                          "Micro's integer LSTM needs its (power-of-two) scale.")
    s_c = float(c_q.scale[0])
    if not (s_c > 0 and math.isfinite(s_c)):
        raise unsupported(op, graph, f"cell state '{c.name}' has quantization scale {s_c}.")
    power = _log2_rounded(s_c)
    if power > 0:
        raise unsupported(op, graph, f"cell state scale {s_c:g} is above 1 (2^{power}); TFLite Micro's int16 "
                          "tanh of the cell state overflows int32 there. Supported: scales 2^k, k <= 0 "
                          f"(TFLite's quantizer writes {tf_writes}).")
    return s_c, power


def folded_gate_biases(b: Tensor, wx: Tensor, wh: Tensor, z_x: int, z_h: int, z_wx: int,
                       z_wh: int, units: int, n_in: int):
    """One gate's input and recurrent biases with the zero points' constant terms folded in:
    sum((w - z_w) * (x - z_x)) = sum(w * x) - z_x * sum(w) - z_w * sum(x) + n * z_w * z_x; the
    kernel computes sum(w * x) and z_w * sum(x), the rest is constant. Python ints."""
    sums_x = wx.data.astype(np.int64).reshape(units, n_in).sum(axis=1)
    sums_h = wh.data.astype(np.int64).reshape(units, units).sum(axis=1)
    in_bias = [int(v) for v in b.data.astype(np.int64).reshape(-1) - z_x * sums_x + n_in * z_wx * z_x]
    rec_bias = [int(v) for v in -z_h * sums_h + units * z_wh * z_h]
    return in_bias, rec_bias


def cell_fields(s_c: float, s_h: float, z_h: int, power: int, cell_clip: float) -> Dict[str, int]:
    """The per-step parameters TFLM's integer LSTM prepare derives from the cell and hidden
    state scales (the same for the int8 and 16x8 forms): the inter-gate multipliers, the
    cell tanh's scaling, the hidden state's zero point and the cell clip in cell units."""
    forget_m, forget_s = _inter_gate(Q0_15, s_c, s_c)
    input_cell_m, input_cell_s = _inter_gate(Q0_15, Q0_15, s_c)
    hidden_m, hidden_s = _inter_gate(Q0_15, Q0_15, s_h)
    # TFLM's Tanh(cell_state_scale_power): left shift 12 + power; a negative one becomes a
    # rounded right shift of x * 3, a non-negative one the multiplier 3 << shift.
    left = 12 + power
    tanh_m, tanh_s = (3 << left, 0) if left >= 0 else (3, -left)
    clip = 0
    if cell_clip > 0:
        clip = int(min(max(float(f32(cell_clip)) / float(f32(s_c)), -32768.0), 32767.0))
    return dict(forget_multiplier=forget_m, forget_shift=forget_s,
                input_cell_multiplier=input_cell_m, input_cell_shift=input_cell_s,
                hidden_multiplier=hidden_m, hidden_shift=hidden_s, hidden_zero_point=z_h,
                tanh_multiplier=tanh_m, tanh_shift=tanh_s, cell_clip=clip)


def lower_s8(op: Operator, graph: Graph, t: List[Optional[Tensor]], y: Tensor, shape: Dict[str, int],
             cell_clip: float) -> KernelCall:
    x, h, c = t[0], t[18], t[19]
    units, n_in = shape["units"], shape["input_size"]
    s_x, z_x = per_tensor(op, graph, x, "input")
    s_h, z_h = per_tensor(op, graph, h, "output state")
    s_c, power = cell_state_scale(op, graph, c, "2^-15 .. 2^-11")
    gates = ((1, 5, 12), (2, 6, 13), (3, 7, 14), (4, 8, 15))  # input, forget, cell, output
    in_mult, in_shift, rec_mult, rec_shift = [], [], [], []
    in_bias: List[int] = []
    rec_bias: List[int] = []
    in_wzp: List[int] = []
    rec_wzp: List[int] = []
    for wx_slot, wh_slot, b_slot in gates:
        wx, wh, b = t[wx_slot], t[wh_slot], t[b_slot]
        s_wx, z_wx = per_tensor(op, graph, wx, f"input weights {wx_slot}")
        s_wh, z_wh = per_tensor(op, graph, wh, f"recurrent weights {wh_slot}")
        in_wzp.append(z_wx)
        rec_wzp.append(z_wh)
        m, s = quantize_multiplier(conv_multiplier(s_x, s_wx, Q3_12))
        in_mult.append(m)
        in_shift.append(s)
        m, s = quantize_multiplier(conv_multiplier(s_h, s_wh, Q3_12))
        rec_mult.append(m)
        rec_shift.append(s)
        gate_in, gate_rec = folded_gate_biases(b, wx, wh, z_x, z_h, z_wx, z_wh, units, n_in)
        in_bias += gate_in
        rec_bias += gate_rec
    if any(not -(2**31) <= v < 2**31 for v in in_bias + rec_bias):
        raise unsupported(op, graph, "a gate bias plus the zero points' terms exceeds int32; the integer "
                          "LSTM's accumulators would overflow.")
    fields = dict(shape, **cell_fields(s_c, s_h, z_h, power, cell_clip),
                  input_bias=kernel_params.ConstArray("int32_t", in_bias),
                  recurrent_bias=kernel_params.ConstArray("int32_t", rec_bias),
                  input_weights_zero_point=in_wzp, recurrent_weights_zero_point=rec_wzp,
                  input_multiplier=in_mult, input_shift=in_shift,
                  recurrent_multiplier=rec_mult, recurrent_shift=rec_shift,
                  sigmoid_table=kernel_params.ConstArray(
                      "uint16_t", sigmoid_table_u16(),
                      "sigmoid(k / 24) in unsigned 0.16, interpolation-corrected (ops/_lut16.py)"))
    return kernel_call("lstm_s8", "LstmS8Params", fields,
                       inputs=(0, 1, 2, 3, 4, 5, 6, 7, 8, 18, 19), scratch_type="int16_t",
                       scratch_bytes=2 * 4 * units)


def describe(t: List[Optional[Tensor]], y: Tensor) -> str:
    return describe_dtypes([t[0]] + [t[s] for s in range(1, 9)] + [t[s] for s in range(12, 16)] +
                           [t[18], t[19], y])
