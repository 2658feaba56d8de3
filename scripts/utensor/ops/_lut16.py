"""int16 (16x8) LOGISTIC, TANH and SOFTMAX: TFLite Micro's table-interpolating kernels.
The tables are computed here the way TFLite computes (or computed) them; the runtime
(kernels/lut16.hpp) only looks up and interpolates. SOFTMAX's tables: see its section below.

TFLite Micro's int16 LOGISTIC and TANH (reference_integer_ops Logistic/Tanh on int16) do
not evaluate a fixed-point series as the int8 kernels do: they rescale the input to units
of 1/(3 * 4096), take |x|, and interpolate linearly in a 256-entry table of sigmoid(k / 24)
in unsigned 0.16 format (tanh(x) = 2 * sigmoid(2x) - 1 reuses the same table with one
index bit less). The table is a constant of TFLite's source, not computed at run time.
`sigmoid_table_u16()` derives it; the derivation below reproduces all 256 entries
(test/test_lut16.py checks the kernels it feeds against tflite_micro over every int16
input at several scales).

How the table was made: entry k is not round(65536 * sigmoid(k / 24)) (44 entries are one
more than that). Each entry is the sample at k / 24 raised by half the chord error at the
middle of the interval it starts, so that the linear interpolation between entries errs
evenly above and below the curve (sigmoid is concave for x > 0: the chord lies below it):

    s(x) = 65536 * sigmoid(x), h = 1 / 24
    entry k = round(s(kh) + (s(kh + h/2) - (s(kh) + s((k+1)h)) / 2) / 2)

in double precision (the nearest half-integer is at least 0.004 away for every k, so the
rounding mode of the arithmetic cannot matter), except the last entry, which holds the
function's limit 1.0 saturated to the largest uint16 (65535). It is only ever read as the
upper end of the last interval.

Prepare (TFLite Micro's logistic_common.cc / tanh.cc for int16): zero points 0, output scale
2^-15. A power-of-two input scale that maps the input straight onto the table's units
(2^-12 for LOGISTIC; 2^-12 or 2^-11 for TANH, whose kernel multiplies by 3 << shift) keeps
the exact multiplier 3; any other scale gets the multiplier trunc(scale * 3 * 4096 * 2^n)
with n the smallest shift that brings it above 32767 / 2 (n <= 31), applied with a
rounding right shift by n.
"""

import math
from typing import List, Tuple

import numpy as np

from ._libm import logf

TABLE_SIZE = 256
TABLE_STEP = 1.0 / 24.0
U16_ONE = 65536.0


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


def _round_half_away(x: float) -> int:
    return int(math.floor(x + 0.5)) if x >= 0 else -int(math.floor(-x + 0.5))


def sigmoid_table_u16() -> List[int]:
    """The 256 entries of TFLite's sigmoid_table_uint16 (see the module docstring)."""
    h = TABLE_STEP
    table = []
    for k in range(TABLE_SIZE - 1):
        at = U16_ONE * _sigmoid(k * h)
        mid = U16_ONE * _sigmoid(k * h + h / 2)
        nxt = U16_ONE * _sigmoid((k + 1) * h)
        value = _round_half_away(at + (mid - (at + nxt) / 2) / 2)
        table.append(min(value, 65535))
    table.append(65535)  # sigmoid's limit 1.0, saturated
    return table


def checked_log2(x: float) -> Tuple[bool, int]:
    """TFLite's CheckedLog2 in float32: logf(x) / logf(2), rounded half away from zero; a power
    of two when the fraction is below 1e-3."""
    x_log2 = np.float32(logf(np.float32(x)) * np.float32(np.float32(1.0) / logf(np.float32(2.0))))
    rounded = np.float32(_round_half_away(float(x_log2)))
    frac = np.float32(x_log2 - rounded)
    return bool(abs(float(frac)) < 1e-3), int(rounded)


# The input multiplier times an int16 value must fit an int32 (TFLite Micro multiplies in
# int32 and only DCHECKs the multiplier against 32767).
MAX_MULTIPLIER = 65535


def input_rescale(kind: str, input_scale: float) -> Tuple[int, int]:
    """(multiplier, right shift) such that the kernel's x = (q * multiplier + round) >> shift is
    TFLite Micro's rescaled input, for kind "logistic" or "tanh" (its Prepare, then its Eval's
    substitution of 3 << shift for the power-of-two case)."""
    input_integer_bits = 3
    pot, log2 = checked_log2(input_scale)
    left_shift = (15 - input_integer_bits) + log2
    exact = (0,) if kind == "logistic" else (0, 1)
    if pot and left_shift in exact:
        return 3 << left_shift, 0
    multiplier = float(np.float32(input_scale)) * 4096.0 * 3.0
    shift = 0
    while multiplier <= 32767.0 / 2.0 and shift <= 30:
        shift += 1
        multiplier *= 2.0
    return int(multiplier), shift


def reference_s16(kind: str, multiplier: int, shift: int, table: List[int], q: np.ndarray) -> np.ndarray:
    """A numpy model of the kernel (kernels/lut16.hpp), for tests: int16 in, int16 out."""
    rnd = (1 << (shift - 1)) if shift > 0 else 0
    x = (q.astype(np.int64) * multiplier + rnd) >> shift
    ax = np.abs(x)
    t = np.asarray(table + [table[-1]], dtype=np.int64)
    index_bits = 9 if kind == "logistic" else 8
    uh = ax >> index_bits
    idx = np.minimum(uh, 254)
    frac = ax & ((1 << index_bits) - 1)
    interp = (t[idx] << index_bits) + frac * (t[idx + 1] - t[idx])
    if kind == "logistic":
        r = np.where(uh >= 255, 0x7FFF << 10, interp)
        r = np.where(x >= 0, r + (1 << 9), (1 << 25) - r + (1 << 9) - 1) >> 10
    else:
        r = np.where(uh >= 255, 0xFFFF << 8, interp)
        r = np.where(x >= 0, r - (1 << 23) + (1 << 7), -r + (1 << 23) + (1 << 7) - 1) >> 8
    # The kernel stores the low 16 bits (TANH's saturated positive end wraps to -32768).
    return (r & 0xFFFF).astype(np.uint16).view(np.int16)


def lower_sigmoid_s16(op, graph, x, y, kind: str):
    """int16 LOGISTIC / TANH: TFLite Micro's Prepare checks (zero points 0, output scale a
    power of two equal to 2^-15 by CheckedLog2) and its rescaling, the table from
    sigmoid_table_u16()."""
    from .. import kernel_params  # pylint: disable=import-outside-toplevel
    from . import kernel_call  # pylint: disable=import-outside-toplevel
    from ._common import per_tensor, unsupported  # pylint: disable=import-outside-toplevel

    si, zi = per_tensor(op, graph, x, "input")
    so, zo = per_tensor(op, graph, y, "output")
    if zi != 0 or zo != 0:
        raise unsupported(op, graph, f"int16 {op.op_type} needs zero point 0 on input and output "
                          f"(TFLite Micro's int16 kernel); input '{x.name}' has {zi}, output "
                          f"'{y.name}' has {zo}.")
    pot, log2 = checked_log2(so)
    if not pot or log2 != -15:
        raise unsupported(op, graph, f"output '{y.name}' has scale {so:g}; int16 {op.op_type} "
                          "needs the output scale 2^-15 (1/32768), as TFLite Micro requires and "
                          "the TFLite converter produces.")
    multiplier, shift = input_rescale(kind, si)
    if multiplier > MAX_MULTIPLIER:
        raise unsupported(op, graph, f"input scale {si:g} is too large for TFLite Micro's int16 "
                          f"{op.op_type} kernel: its input multiplier {multiplier} (scale * 12288) "
                          f"overflows int32 when applied (supported: input scales below "
                          f"{(MAX_MULTIPLIER + 1) / 12288.0:.4f}).")
    table = kernel_params.ConstArray(
        "uint16_t", sigmoid_table_u16(),
        "sigmoid(k / 24) in unsigned 0.16, interpolation-corrected (ops/_lut16.py)")
    return kernel_call(f"{kind}_s16", "SigmoidS16Params",
                       dict(size=x.num_elements, input_multiplier=multiplier, input_shift=shift,
                            table=table), inplace=(0, 0))


# ---- SOFTMAX int16 ---------------------------------------------------------------------------
#
# TFLite Micro computes two 513-entry int16 tables at Prepare with gen_lut (common.h), in
# float32 arithmetic with the C library's expf: exp over [-10, 0] and 1 / (1 + x) over
# [0, 1], both onto the output range [-1, 1) (Q0.15). Each entry is the sample at the start
# of its interval minus half the rounded error of the chord at the interval's middle (the
# same correction as the sigmoid table's, rounded at each step here); the 513th entry is the
# sample at the end of the range, so the 9-bit index of an int16 always has a next entry to
# interpolate towards. The converter computes them the same way and the kernel interpolates
# on the low 7 bits as TFLite's LUTLookup.

LUT16_SIZE = 513


def _roundf(x: np.float32) -> np.float32:
    """TfLiteRound on a float (roundf: half away from zero)."""
    return np.float32(_round_half_away(float(x)))


def gen_lut_s16(func, input_min: float, input_max: float, output_min: float, output_max: float) -> List[int]:
    """TFLite's gen_lut<float, int16_t, int16_t>: `func` maps a np.float32 to a np.float32."""
    f = np.float32
    lo, hi = f(input_min), f(input_max)
    steps = LUT16_SIZE - 1
    step = f((hi - lo) / f(steps))
    half_step = f(step / f(2))
    scaling_inv = f(f(65536.0) / f(f(output_max) - f(output_min)))
    table = []
    for i in range(steps):
        at = f(lo + f(f(i) * step))
        val = func(at)
        val_mid = func(f(at + half_step))
        val_next = func(f(lo + f(f(i + 1) * step)))
        sample = _roundf(f(val * scaling_inv))
        mid_interp = _roundf(f(f(f(val_next * scaling_inv) + sample) / f(2)))
        mid_val = _roundf(f(val_mid * scaling_inv))
        bias = _roundf(f(f(mid_interp - mid_val) / f(2)))
        table.append(int(min(max(f(sample - bias), f(-32768)), f(32767))))
    table.append(int(min(max(_roundf(f(func(hi) * scaling_inv)), f(-32768)), f(32767))))
    return table


def softmax_exp_lut() -> List[int]:
    from ._libm import expf  # pylint: disable=import-outside-toplevel

    return gen_lut_s16(expf, -10.0, 0.0, -1.0, 1.0)


def softmax_one_over_one_plus_x_lut() -> List[int]:
    return gen_lut_s16(lambda v: np.float32(np.float32(1.0) / np.float32(np.float32(1.0) + v)),
                       0.0, 1.0, -1.0, 1.0)


MAX_SOFTMAX_DEPTH = 65536  # TFLite Micro sums up to depth values <= 32767 in an int32


def lower_softmax_s16(op, graph, x, y, beta: float):
    """int16 SOFTMAX as TFLite Micro's CalculateSoftmaxParams / SoftmaxInt16."""
    from .. import kernel_params  # pylint: disable=import-outside-toplevel
    from ..quantization import quantize_multiplier  # pylint: disable=import-outside-toplevel
    from . import kernel_call  # pylint: disable=import-outside-toplevel
    from ._common import per_tensor, unsupported  # pylint: disable=import-outside-toplevel

    si, _ = per_tensor(op, graph, x, "input")  # differences from the row maximum: no zero point
    so, zo = per_tensor(op, graph, y, "output")
    if zo != 0 or abs(float(np.float32(so)) - 1.0 / 32768) > 0.001 / 32768:
        raise unsupported(op, graph, f"output '{y.name}' has scale {so:g} and zero point {zo}; int16 "
                          "SOFTMAX needs scale 1/32768 (within 0.1%) and zero point 0, as TFLite "
                          "Micro requires and the TFLite converter produces.")
    depth = int(x.shape[-1])
    if depth > MAX_SOFTMAX_DEPTH:
        raise unsupported(op, graph, f"the last dimension is {depth}; int16 SOFTMAX sums up to "
                          f"{MAX_SOFTMAX_DEPTH} values in TFLite Micro's int32 accumulator.")
    real = float(np.float32(si)) * float(np.float32(beta)) / (10.0 / 65535.0)
    multiplier, shift = quantize_multiplier(real)
    if shift > 30:
        raise unsupported(op, graph, f"input scale {si:g} times beta {beta:g} is too large for int16 "
                          "SOFTMAX (the rescaling multiplier exceeds 2^30).")
    exp_lut = kernel_params.ConstArray("int16_t", softmax_exp_lut(),
                                       "exp over [-10, 0] in Q0.15 (TFLite's gen_lut, ops/_lut16.py)")
    inv_lut = kernel_params.ConstArray("int16_t", softmax_one_over_one_plus_x_lut(),
                                       "1 / (1 + x) over [0, 1] in Q0.15 (TFLite's gen_lut)")
    outer = x.num_elements // depth if depth else 0
    return kernel_call("softmax_s16", "SoftmaxS16Params",
                       dict(outer_size=outer, depth=depth, input_multiplier=multiplier,
                            input_shift=shift, exp_lut=exp_lut, one_over_one_plus_x_lut=inv_lut))
