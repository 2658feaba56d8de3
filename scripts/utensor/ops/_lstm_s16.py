"""UNIDIRECTIONAL_SEQUENCE_LSTM 16x8: int16 activations (input, output state, output), int8
weights, int64 gate biases, int16 cell state, lowered to kernels/lstm.hpp's lstm_s16.

TFLite Micro runs it as EvalLstm<int16_t, int8_t, int16_t, int64_t> with the int8 LSTM's
Prepare (lstm_eval_common.cc, ops/_lstm_int.py mirrors it): the same Q3.12 gate multipliers,
inter-gate multiplications, power-of-two cell scale and cell clip; only the gates' fully
connected layers are TFLite's 16x8 FullyConnected (int64 sums, the 64-bit
MultiplyByQuantizedMultiplier) and the output state saturates to int16. ops/lstm.py
validates the cell's structure and shapes and calls `lower_s16` for these dtypes.

The input, output-state and weight zero points (TensorFlow's 16x8 recipe writes 0, TFLite
Micro applies them) are folded with the gate biases into per-unit int64 biases, an exact
rewrite of the same integer sums; the one term that depends on the activations (weight zero
point x their sum) the kernel adds. Refused (TFLite Micro runs them; TensorFlow never
writes them for an LSTM): per-channel weight scales, a cell state scale above 1 (TFLM's int16
tanh of the cell overflows there).
"""

from typing import Dict, List, Optional

from .. import kernel_params
from ..ir import Graph, Operator, Tensor
from ..quantization import conv_multiplier, quantize_multiplier
from . import KernelCall, kernel_call
from ._common import per_tensor, unsupported
from ._lstm_int import Q3_12, cell_fields, cell_state_scale, folded_gate_biases
from ._lut16 import sigmoid_table_u16

INT16_DTYPES = "int16 input, output state and output, int8 weights, int64 biases, int16 cell state (16x8)"
# TFLite's 64-bit MultiplyByQuantizedMultiplier assumes |sum| < 2^47 and a shift of at most 7.
ACC_LIMIT = 2 ** 47
MAX_SHIFT = 7


def is_16x8(t: List[Optional[Tensor]], y: Tensor) -> bool:
    weights = {t[s].dtype for s in range(1, 9)}
    biases = {t[s].dtype for s in range(12, 16)}
    return (t[0].dtype, t[18].dtype, y.dtype, t[19].dtype) == ("int16",) * 4 and weights == {"int8"} \
        and biases == {"int64"}


def lower_s16(op: Operator, graph: Graph, t: List[Optional[Tensor]], y: Tensor, shape: Dict[str, int],
              cell_clip: float) -> KernelCall:
    x, h, c = t[0], t[18], t[19]
    units, n_in = shape["units"], shape["input_size"]
    s_x, z_x = per_tensor(op, graph, x, "input")
    s_h, z_h = per_tensor(op, graph, h, "output state")
    s_c, power = cell_state_scale(op, graph, c, "2^-15 .. 2^-5")
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
        for what, (m, s) in (("input", quantize_multiplier(conv_multiplier(s_x, s_wx, Q3_12))),
                             ("recurrent", quantize_multiplier(conv_multiplier(s_h, s_wh, Q3_12)))):
            if s > MAX_SHIFT:
                raise unsupported(op, graph, f"the {what} weights {wx_slot if what == 'input' else wh_slot} "
                                  f"rescale to Q3.12 by 2^{s - 1} or more; TFLite's 16x8 requantization "
                                  f"takes factors below 2^{MAX_SHIFT}.")
            # The 64-bit MultiplyByQuantizedMultiplier's own first steps, done once here.
            (in_mult if what == "input" else rec_mult).append((m + (1 << 15)) >> 16 if m < 0x7FFF0000 else 0x7FFF)
            (in_shift if what == "input" else rec_shift).append(15 - s)
        gate_in, gate_rec = folded_gate_biases(b, wx, wh, z_x, z_h, z_wx, z_wh, units, n_in)
        in_bias += gate_in
        rec_bias += gate_rec
    z_w = max(abs(z) for z in in_wzp + rec_wzp)
    bound = max(abs(v) for v in in_bias + rec_bias) + max(n_in, units) * 2 ** 15 * (2 ** 7 + z_w)
    if bound >= ACC_LIMIT:
        raise unsupported(op, graph, "a gate bias (with the zero points folded in) is too large: the 16x8 "
                          "gate sums could reach 2^47, beyond what TFLite's 64-bit requantization takes.")
    fields = dict(shape, **cell_fields(s_c, s_h, z_h, power, cell_clip),
                  input_bias=kernel_params.ConstArray("int64_t", in_bias),
                  recurrent_bias=kernel_params.ConstArray("int64_t", rec_bias),
                  input_weights_zero_point=in_wzp, recurrent_weights_zero_point=rec_wzp,
                  input_multiplier=in_mult, input_shift=in_shift,
                  recurrent_multiplier=rec_mult, recurrent_shift=rec_shift,
                  sigmoid_table=kernel_params.ConstArray(
                      "uint16_t", sigmoid_table_u16(),
                      "sigmoid(k / 24) in unsigned 0.16 (ops/_lut16.py sigmoid_table_u16)"))
    return kernel_call("lstm_s16", "LstmS16Params", fields,
                       inputs=(0, 1, 2, 3, 4, 5, 6, 7, 8, 18, 19), scratch_type="int16_t",
                       scratch_bytes=2 * (5 * units + n_in))
