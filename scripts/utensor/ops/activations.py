"""Lowering of RELU, RELU6, LEAKY_RELU, LOGISTIC, TANH and HARD_SWISH (int8, float32; int16
for RELU, RELU6, LEAKY_RELU here and LOGISTIC, TANH in _lut16.py).

Kernels: runtime/include/utensor/kernels/activations.hpp. For int8 each operator is a
function of one int8 value, so this module evaluates TFLite Micro's reference kernel
(its Prepare-time parameters and its fixed-point Eval, modelled bit for bit in
_gemmlowp.py) for all 256 inputs and emits the table; the runtime only looks values up.
"""

import math
from typing import Callable, List

from ..ir import Graph, Operator
from ..quantization import f32, multiply_by_quantized_multiplier, quantize_multiplier, quantize_value
from .. import kernel_params
from . import KernelCall, kernel_call, register
from . import _gemmlowp as g
from ._common import describe_dtypes, per_tensor, unsupported
from ._dense import float_option, io_tensors, require_same_shape
from ._lut16 import lower_sigmoid_s16

INT8_VALUES = range(-128, 128)


def _clamp8(v: int) -> int:
    return max(-128, min(127, v))


def relu_fn(si, zi, so, zo) -> Callable[[int], int]:
    """CalculateReluOpData + ReluQuantized."""
    mult, shift = quantize_multiplier(float(f32(si)) / float(f32(so)))
    act_min = max(-128, zo)  # zero_point + roundf(0 / scale)
    return lambda x: max(act_min, min(127, zo + multiply_by_quantized_multiplier(x - zi, mult, shift)))


def relu6_fn(si, zi, so, zo) -> Callable[[int], int]:
    """Relu6Prepare + Relu6Quantized: clamps in the input's quantization (TFLite Micro
    ignores the output's scale and zero point here)."""
    six = _clamp8(quantize_value(6.0, si, zi))
    return lambda x: six if x > six else (zi if x < zi else x)


def leaky_relu_fn(si, zi, so, zo, alpha) -> Callable[[int], int]:
    """CalculateOpDataLeakyRelu (float32 arithmetic) + QuantizeLeakyRelu."""
    m_alpha, s_alpha = quantize_multiplier(float(f32(f32(si) * f32(alpha)) / f32(so)))
    m_id, s_id = quantize_multiplier(float(f32(si) / f32(so)))

    def fn(x):
        v = x - zi
        if v >= 0:
            return _clamp8(zo + multiply_by_quantized_multiplier(v, m_id, s_id))
        return _clamp8(zo + multiply_by_quantized_multiplier(v, m_alpha, s_alpha))
    return fn


def _sigmoid_input_scaling(op, graph, si):
    """TFLite's int8 LOGISTIC/TANH prepare: Q4.27 input multiplier from frexp (no
    QuantizeMultiplier overflow handling) and the input radius."""
    input_integer_bits = 4
    q, left_shift = math.frexp(float(f32(si)) * (1 << (31 - input_integer_bits)))
    mult = int(math.floor(abs(q) * (1 << 31) + 0.5))
    if mult >= 1 << 31 or left_shift < 0:
        raise unsupported(op, graph, f"input scale {si:g} is outside what TFLite's int8 "
                          f"{op.op_type} kernel handles (multiplier {q} * 2^{left_shift}).")
    radius = math.floor(((1 << input_integer_bits) - 1) * (1 << (31 - input_integer_bits))
                        / (1 << left_shift))
    return mult, left_shift, int(radius)


def logistic_fn(op, graph, si, zi) -> Callable[[int], int]:
    mult, shift, radius = _sigmoid_input_scaling(op, graph, si)

    def fn(x):
        v = x - zi
        if v <= -radius:
            return -128
        if v >= radius:
            return 127
        q4 = multiply_by_quantized_multiplier(v, mult, shift)
        return _clamp8(g.rounding_divide_by_pot(g.logistic(q4, 4), 31 - 8) - 128)
    return fn


def tanh_fn(op, graph, si, zi) -> Callable[[int], int]:
    mult, shift, radius = _sigmoid_input_scaling(op, graph, si)

    def fn(x):
        v = x - zi
        if v <= -radius:
            return -128
        if v >= radius:
            return 127
        q4 = multiply_by_quantized_multiplier(v, mult, shift)
        return _clamp8(g.rounding_divide_by_pot(g.tanh(q4, 4), 31 - 7))
    return fn


def hard_swish_fn(op, graph, si, zi, so, zo) -> Callable[[int], int]:
    """HardSwishPrepare (float32 arithmetic) + reference_ops::HardSwish<int8_t>."""
    hires_input_scale = f32(1.0 / 128.0) * f32(si)
    reluish_scale = f32(3.0) / f32(32768.0)
    out_m32, out_exp = quantize_multiplier(float(hires_input_scale / f32(so)))
    out_m16 = g.downscale_multiplier_to_int16(out_m32)
    if out_exp > 0:
        raise unsupported(op, graph, f"output scale {so:g} is too small for the input scale "
                          f"{si:g} in TFLite's int8 HARD_SWISH (output multiplier above one).")
    rel_m32, rel_exp = quantize_multiplier(float(hires_input_scale / reluish_scale))
    rel_m16 = g.downscale_multiplier_to_int16(rel_m32)

    def fn(x):
        v = g.wrap_i16(x - zi)
        hires = g.wrap_i16(v * (1 << 7))
        preshift_out = g.srdhm16(hires, out_m16)
        reluish = hires
        if rel_exp > 0:
            reluish = g.saturating_left_shift16(reluish, rel_exp - 1)
        reluish = g.srdhm16(reluish, rel_m16)
        if rel_exp > 0:
            reluish = g.saturating_left_shift16(reluish, 1)
        if rel_exp < 0:
            reluish = g.rounding_divide_by_pot(reluish, -rel_exp)
        reluish = (reluish + (1 << 15)) >> 1
        pre = g.sdhm16(reluish, preshift_out)
        out = g.wrap_i16(g.rounding_divide_by_pot(pre, -out_exp) + zo)
        return _clamp8(out)
    return fn


LINEAR_S16 = ("relu", "relu6", "leaky_relu")
LUT_S16 = ("logistic", "tanh")  # table-interpolating int16 kernels: ops/_lut16.py
INT16_MIN, INT16_MAX = -32768, 32767


def _lower_linear_s16(op: Operator, graph: Graph, x, y, kind: str) -> KernelCall:
    """int16 RELU (CalculateReluOpData + ReluQuantized), RELU6 (a clamp in the input's
    quantization, as for int8) and LEAKY_RELU (QuantizeLeakyRelu), on int16: a rescaling per
    sign and a clamp (kernels/activations.hpp linear_s16)."""
    si, zi = per_tensor(op, graph, x, "input")
    so, zo = per_tensor(op, graph, y, "output")
    fields = dict(size=x.num_elements, input_zero_point=zi, output_zero_point=zo, rescale=1,
                  activation_min=INT16_MIN, activation_max=INT16_MAX)
    if kind == "relu":
        mult, shift = quantize_multiplier(float(f32(si)) / float(f32(so)))
        fields.update(multiplier_positive=mult, shift_positive=shift, multiplier_negative=mult,
                      shift_negative=shift, activation_min=max(INT16_MIN, zo))
    elif kind == "relu6":
        six = max(INT16_MIN, min(INT16_MAX, quantize_value(6.0, si, zi)))
        fields.update(rescale=0, multiplier_positive=0, shift_positive=0, multiplier_negative=0,
                      shift_negative=0, activation_min=zi, activation_max=six)
    else:
        alpha = float_option(op, graph, "alpha", 0.0)
        m_alpha, s_alpha = quantize_multiplier(float(f32(f32(si) * f32(alpha)) / f32(so)))
        m_id, s_id = quantize_multiplier(float(f32(si) / f32(so)))
        fields.update(multiplier_positive=m_id, shift_positive=s_id, multiplier_negative=m_alpha,
                      shift_negative=s_alpha)
    return kernel_call("linear_s16", "LinearS16Params", fields, inplace=(0, 0))


def _table(fn: Callable[[int], int]) -> List[int]:
    """The 256-entry table indexed by the input byte as uint8 (0..127, then -128..-1)."""
    return [fn(b if b < 128 else b - 256) for b in range(256)]


def _lower(op: Operator, graph: Graph, kind: str) -> KernelCall:
    (x,), (y,) = io_tensors(op, graph, 1, 1)
    require_same_shape(op, graph, x, y)
    if (x.dtype, y.dtype) == ("float32", "float32"):
        alpha = float_option(op, graph, "alpha", 0.0) if kind == "leaky_relu" else 0.0
        return kernel_call(f"{kind}_f32", "ActivationF32Params",
                           dict(size=x.num_elements, alpha=alpha), inplace=(0, 0))
    if (x.dtype, y.dtype) == ("int16", "int16") and kind in LINEAR_S16:
        return _lower_linear_s16(op, graph, x, y, kind)
    if (x.dtype, y.dtype) == ("int16", "int16") and kind in LUT_S16:
        return lower_sigmoid_s16(op, graph, x, y, kind)
    if (x.dtype, y.dtype) == ("int16", "int16") and kind == "hard_swish":
        raise unsupported(op, graph, "int16 HARD_SWISH is not supported: TFLite Micro's HARD_SWISH "
                          "kernel refuses int16 too (\"Unsupported type INT16\" at invoke); "
                          "supported: int8 -> int8 or float32 -> float32.")
    if (x.dtype, y.dtype) != ("int8", "int8"):
        int16 = ", ".join(sorted(k.upper() for k in LINEAR_S16 + LUT_S16))
        raise unsupported(op, graph, f"dtypes input/output {describe_dtypes([x, y])} are not "
                          "supported; supported: int8 -> int8 or float32 -> float32 (and int16 -> "
                          f"int16 for {int16}).")
    si, zi = per_tensor(op, graph, x, "input")
    so, zo = per_tensor(op, graph, y, "output")
    if kind == "relu":
        fn = relu_fn(si, zi, so, zo)
    elif kind == "relu6":
        fn = relu6_fn(si, zi, so, zo)
    elif kind == "leaky_relu":
        fn = leaky_relu_fn(si, zi, so, zo, float_option(op, graph, "alpha", 0.0))
    elif kind == "logistic":
        if zo != -128:
            raise unsupported(op, graph, f"output '{y.name}' has zero point {zo}; int8 LOGISTIC "
                              "needs zero point -128 and scale 1/256 (what the TFLite converter "
                              "produces).")
        fn = logistic_fn(op, graph, si, zi)
    elif kind == "tanh":
        if zo != 0:
            raise unsupported(op, graph, f"output '{y.name}' has zero point {zo}; int8 TANH needs "
                              "zero point 0 and scale 1/128 (what the TFLite converter produces).")
        fn = tanh_fn(op, graph, si, zi)
    else:
        fn = hard_swish_fn(op, graph, si, zi, so, zo)
    table = kernel_params.ConstArray(
        "int8_t", _table(fn), f"{op.op_type} of every int8 input, indexed by the input byte as uint8_t.")
    return kernel_call("lookup_s8", "LookupS8Params", dict(size=x.num_elements, table=table),
                       inplace=(0, 0))


def _register(op_type: str, kind: str) -> None:
    dtypes = ("int8", "float32", "int16") if kind in LINEAR_S16 + LUT_S16 else ("int8", "float32")
    register(op_type, lambda op, graph: _lower(op, graph, kind), dtypes=dtypes)


for _op_type, _kind in (("RELU", "relu"), ("RELU6", "relu6"), ("LEAKY_RELU", "leaky_relu"),
                        ("LOGISTIC", "logistic"), ("TANH", "tanh"), ("HARD_SWISH", "hard_swish")):
    _register(_op_type, _kind)
