"""The kernels' parameter structs: the one table both sides come from.

Every kernel takes its per-layer constants (shapes, zero points, multipliers, pointers to
constant tables) in one struct. Each struct is declared here once, field by field with its
C type and meaning; from this table come

- the C++ definitions, in the checked-in headers runtime/include/utensor/kernels/params/
  (the kernel headers include them): `python -m utensor.kernel_params --write` rewrites
  them, `--check` and test/test_kernel_params.py fail when they are stale;
- every initializer the converter generates: a lowering returns the values by field name
  (`fields=dict(...)`), the templates render them in this order with `/* field */`
  comments, and a missing, unknown or ill-typed field is a Python error
  (cstruct.ParamsError), never a partial initializer;
- a compile-time check in every generated .cpp, for each struct it initializes, that the
  C++ struct has exactly these fields in this order (utensor/kernels/params_check.hpp), so
  a struct edited by hand fails the build instead of computing garbage.

Adding an operator: a `Family` entry here (its own header) or a struct in an existing one,
a lowering in ops/ returning `kernel_call(...)` (or a KernelCall with its own template when
the call needs more than `kernel(params, inputs..., outputs...)`), and the kernel itself
(header + runtime/src/kernels/reference/*.cpp). Then run `python -m utensor.kernel_params
--write` and `utensor ops --markdown` for the README.
"""

import argparse
import os
import sys

from .cstruct import (Array, Const, ConstArray, F32, F64, Family, Field, I8, I16, I32, Nested, ParamsError,
                      Pointer, Struct, Table)
from .paths import library_root

TABLE = Table()

RUNTIME_INCLUDE = os.path.join(library_root(), "runtime", "include")

_P = "utensor/kernels/params/"


# The strides, dilations and padding that end CONV_2D's and DEPTHWISE_CONV_2D's shapes
# (the Arm kernels read them at these positions).
_WINDOW_STEPS = (
    Field("stride_height", I32, ">= 1"),
    Field("stride_width", I32, ">= 1"),
    Field("dilation_height", I32, ">= 1"),
    Field("dilation_width", I32, ">= 1"),
    Field("pad_top", I32, "rows of padding above the image"),
    Field("pad_left", I32, "columns of padding left of the image"),
)


def _shape(name: str, doc: str, *fields: Field) -> Struct:
    return Struct(name, doc, list(fields))


# ---- requantization (shared) ----

TABLE.add(Family(
    _P + "requant.hpp", "utensor/kernels/detail/kernel_util.hpp",
    "The fast requantization entry the int8 kernels share (kernels/detail/kernel_util.hpp).",
    namespace="utensor::kernels::detail",
    structs=[Struct(
        "FastRequant",
        "One output channel's requantization in the form the converter proves exact for a "
        "layer (scripts/utensor/ops/_requant.py, which also states the conditions): for every "
        "accumulator the layer can produce, |acc| * 2^pre_shift < 2^31 and post_shift in "
        "[1, 22]. Then SaturatingRoundingDoublingHighMul(acc << left, m) is one rounding high "
        "multiply of acc << (left + 1), and RoundingDivideByPOT plus the zero point is one "
        "add, one sign correction and one arithmetic shift. Laid out for a single LDM of 4 "
        "words: the Arm kernels' assembly reads the fields in this order.",
        [Field("multiplier", I32, "Q31 in [2^30, 2^31), or 0"),
         Field("pre_shift", I32, "TFLite's left shift + 1 (the doubling of the doubling high multiply)"),
         Field("post_shift", I32, "TFLite's right shift, in [1, 22]"),
         Field("offset", I32, "2^(post_shift - 1) + output zero point * 2^post_shift")])],
))

# ---- convolutions ----

_OUTPUT_MULTIPLIER = Field("output_multiplier", Pointer("int32_t"),
                           "[C_OUT], Q31 in [2^30, 2^31) (0 for a zero scale)")
_OUTPUT_SHIFT = Field("output_shift", Pointer("int32_t"), "[C_OUT], TFLite convention: > 0 shifts left")
# int8 per-channel layers store their shifts as bytes (within [-31, 31]): a
# quarter of the flash of int32 entries, one per output channel, at the same load cost.
_OUTPUT_SHIFT_S8 = Field("output_shift", Pointer("int8_t"),
                         "[C_OUT], TFLite convention: > 0 shifts left, within [-31, 31]")
_FOLDED_BIAS = Field("folded_bias", Pointer("int32_t"),
                     "[C_OUT] bias + input_offset * (sum of the channel's weights), for windows "
                     "fully inside the image (an exact rewrite of the same integer sum); nullptr "
                     "disables the fast path.")
_I8_MIN = Field("activation_min", I32, "within [-128, 127]")
_I8_MAX = Field("activation_max", I32, "within [-128, 127]")
_I16_MIN = Field("activation_min", I32, "within [-32768, 32767]")
_I16_MAX = Field("activation_max", I32, "within [-32768, 32767]")
_F_MIN = Field("activation_min", F32, "the fused activation's lower bound (-HUGE_VALF: none)")
_F_MAX = Field("activation_max", F32, "the fused activation's upper bound (HUGE_VALF: none)")

_S16_ACC32 = Field(
    "acc32", I32,
    "1: the converter proved that every output's sum of products fits int32 (32768 times "
    "the largest sum of |weight| over one output's filter is below 2^31), so the DSP and "
    "Helium kernels may accumulate the products in int32 and widen once before adding "
    "the int64 bias; 0: they accumulate in int64 (SMLALD). The reference ignores it.")

TABLE.add(Family(
    _P + "conv2d.hpp", "utensor/kernels/conv2d.hpp",
    "CONV_2D's parameters (kernels/conv2d.hpp states the layouts and the padding).",
    structs=[
        _shape("Conv2DShape", "The geometry of a 2-D convolution, NHWC.",
               Field("batches", I32, "N"),
               Field("input_height", I32, "H_IN"),
               Field("input_width", I32, "W_IN"),
               Field("input_channels", I32, "C_IN"),
               Field("filter_height", I32, "KH"),
               Field("filter_width", I32, "KW"),
               Field("filter_input_channels", I32, "C_IN / groups"),
               Field("output_height", I32, "H_OUT"),
               Field("output_width", I32, "W_OUT"),
               Field("output_channels", I32, "C_OUT"),
               *_WINDOW_STEPS),
        Struct("Conv2DS8Params", "int8 per-channel convolution.", [
            Field("shape", Nested("Conv2DShape"), "the geometry"),
            Field("input_offset", I32, "minus the input zero point, in [-127, 128]"),
            Field("output_offset", I32, "the output zero point, in [-128, 127]"),
            _OUTPUT_MULTIPLIER, _OUTPUT_SHIFT_S8, _I8_MIN, _I8_MAX, _FOLDED_BIAS,
            Field("fast_requant", I32,
                  "Nonzero when the converter proved the DSP GEMM's fast requantization "
                  "(SMMLAR for the doubling high multiply, one rounding shift, then the zero "
                  "point) exact for every accumulator of the layer (split_fast_requant in "
                  "scripts/utensor/ops/_requant.py): then no channel has a left shift, and "
                  "each has a right shift of 1 to 31 or a zero multiplier. Kernels may ignore it."),
            Field("right_shifts_only", I32,
                  "1 when every output_shift is <= -1 (right shifts only): lets the Helium "
                  "kernel skip the per-channel shift tests. 0 is always correct."),
        ]),
        Struct("Conv2DS16Params",
               "16x8 convolution (int16 activations, zero point 0; int8 per-channel filter).", [
            Field("shape", Nested("Conv2DShape"), "the geometry"),
            _OUTPUT_MULTIPLIER, _OUTPUT_SHIFT, _I16_MIN, _I16_MAX, _S16_ACC32]),
        Struct("Conv2DF32Params", "float32 convolution.", [
            Field("shape", Nested("Conv2DShape"), "the geometry"), _F_MIN, _F_MAX]),
    ],
))

TABLE.add(Family(
    _P + "depthwise_conv2d.hpp", "utensor/kernels/depthwise_conv2d.hpp",
    "DEPTHWISE_CONV_2D's parameters (kernels/depthwise_conv2d.hpp states the layouts).",
    structs=[
        _shape("DepthwiseConv2DShape",
               "The geometry of a depthwise convolution, NHWC; C_OUT = C_IN * depth_multiplier.",
               Field("batches", I32, "N"),
               Field("input_height", I32, "H_IN"),
               Field("input_width", I32, "W_IN"),
               Field("input_channels", I32, "C_IN"),
               Field("depth_multiplier", I32, "output channels per input channel"),
               Field("filter_height", I32, "KH"),
               Field("filter_width", I32, "KW"),
               Field("output_height", I32, "H_OUT"),
               Field("output_width", I32, "W_OUT"),
               *_WINDOW_STEPS),
        Struct("DepthwiseConv2DS8Params", "int8 per-channel depthwise convolution.", [
            Field("shape", Nested("DepthwiseConv2DShape"), "the geometry"),
            Field("input_offset", I32, "minus the input zero point"),
            Field("output_offset", I32, "the output zero point"),
            _OUTPUT_MULTIPLIER, _OUTPUT_SHIFT_S8, _I8_MIN, _I8_MAX, _FOLDED_BIAS,
            Field("fast_requant", I32,
                  "1: the converter proved kernel_util.hpp's FastRequant exact for every "
                  "accumulator of this layer (scripts/utensor/ops/_requant.py), so kernels may "
                  "requantize that way (entries built from output_multiplier/output_shift: no "
                  "extra flash); 0: general form."),
        ]),
        Struct("DepthwiseConv2DS16Params",
               "16x8 depthwise convolution (int16 activations, zero point 0; int8 filter).", [
            Field("shape", Nested("DepthwiseConv2DShape"), "the geometry"),
            _OUTPUT_MULTIPLIER, _OUTPUT_SHIFT, _I16_MIN, _I16_MAX, _S16_ACC32]),
        Struct("DepthwiseConv2DF32Params", "float32 depthwise convolution.", [
            Field("shape", Nested("DepthwiseConv2DShape"), "the geometry"), _F_MIN, _F_MAX]),
    ],
))

TABLE.add(Family(
    _P + "transpose_conv.hpp", "utensor/kernels/transpose_conv.hpp",
    "TRANSPOSE_CONV's parameters (kernels/transpose_conv.hpp states the layouts and the padding).",
    structs=[
        _shape("TransposeConvShape",
               "The geometry of a transposed 2-D convolution, NHWC: input pixel (y, x) spreads "
               "its filter over the output window starting at (y * stride_height - pad_top, "
               "x * stride_width - pad_left), clipped to the output.",
               Field("batches", I32, "N"),
               Field("input_height", I32, "H_IN"),
               Field("input_width", I32, "W_IN"),
               Field("input_channels", I32, "C_IN"),
               Field("filter_height", I32, "KH"),
               Field("filter_width", I32, "KW"),
               Field("output_height", I32, "H_OUT (the output tensor's, as TFLite Micro)"),
               Field("output_width", I32, "W_OUT"),
               Field("output_channels", I32, "C_OUT"),
               Field("stride_height", I32, ">= 1"),
               Field("stride_width", I32, ">= 1"),
               Field("pad_top", I32, "output rows cut above (TFLite's padding_values.height)"),
               Field("pad_left", I32, "output columns cut left (padding_values.width)")),
        Struct("TransposeConvS8Params", "int8 per-channel transposed convolution.", [
            Field("shape", Nested("TransposeConvShape"), "the geometry"),
            Field("input_offset", I32, "minus the input zero point, in [-127, 128]"),
            Field("output_offset", I32, "the output zero point, in [-128, 127]"),
            _OUTPUT_MULTIPLIER, _OUTPUT_SHIFT, _I8_MIN, _I8_MAX]),
        Struct("TransposeConvS16Params",
               "16x8 transposed convolution (int16 activations, zero point 0; int8 per-channel "
               "filter; int64 bias).", [
            Field("shape", Nested("TransposeConvShape"), "the geometry"),
            _OUTPUT_MULTIPLIER, _OUTPUT_SHIFT, _I16_MIN, _I16_MAX]),
        Struct("TransposeConvF32Params", "float32 transposed convolution.", [
            Field("shape", Nested("TransposeConvShape"), "the geometry"), _F_MIN, _F_MAX]),
    ],
))

TABLE.add(Family(
    _P + "conv2d_hybrid.hpp", "utensor/kernels/conv2d_hybrid.hpp",
    "Hybrid (float32 activations, int8 weights) convolutions' parameters "
    "(kernels/conv2d_hybrid.hpp).",
    structs=[
        Struct("Conv2DHybridParams", "Hybrid CONV_2D (and FULLY_CONNECTED as a 1x1 convolution).", [
            Field("shape", Nested("Conv2DShape"), "filter_input_channels == input_channels"),
            Field("filter_scale", Pointer("float"), "[1] (per_channel == 0) or [C_OUT]"),
            Field("per_channel", I32, "1: asymmetric input quantization, per-channel scales"),
            _F_MIN, _F_MAX,
        ]),
        Struct("DepthwiseConv2DHybridParams", "Hybrid DEPTHWISE_CONV_2D.", [
            Field("shape", Nested("DepthwiseConv2DShape"), "the geometry"),
            Field("filter_scale", Pointer("float"), "[C_OUT]"),
            _F_MIN, _F_MAX,
        ]),
    ],
))

TABLE.add(Family(
    _P + "fully_connected.hpp", "utensor/kernels/fully_connected.hpp",
    "FULLY_CONNECTED's parameters (kernels/fully_connected.hpp states the layouts and the "
    "faster forms).",
    structs=[
        _shape("FullyConnectedShape", "Input [BATCHES, ACCUM_DEPTH], output [BATCHES, OUTPUT_DEPTH].",
               Field("batches", I32, "BATCHES"),
               Field("accum_depth", I32, "ACCUM_DEPTH"),
               Field("output_depth", I32, "OUTPUT_DEPTH")),
        Struct("FullyConnectedS8Params", "int8 fully connected layer.", [
            Field("shape", Nested("FullyConnectedShape"), "the geometry"),
            Field("input_offset", I32, "minus the input zero point (0 when folded into the bias)"),
            Field("output_offset", I32, "the output zero point, in [-128, 127]"),
            Field("output_multiplier", Pointer("int32_t"),
                  "[OUTPUT_DEPTH] when per_channel != 0, else one entry: Q31 in [2^30, 2^31) "
                  "(0 for a zero scale)"),
            Field("output_shift", Pointer("int32_t"),
                  "entries as output_multiplier; TFLite convention: > 0 shifts left"),
            Field("per_channel", I32, "1: one multiplier and shift per output channel"),
            _I8_MIN, _I8_MAX,
            Field("fast_requant", Pointer("FastRequant"),
                  "per channel (or one) entries, given only when the converter proved them "
                  "exact; nullptr: MultiplyByQuantizedMultiplier"),
            Field("filter_layout", I32, "kFilterRows or kFilterInterleaved4"),
            Field("scratch", Pointer("uint8_t", const=False),
                  "kFilterInterleaved4 only: 2 * ACCUM_DEPTH bytes, 4-aligned, for the widened "
                  "input; nullptr if none"),
        ]),
        Struct("FullyConnectedS16Params",
               "16x8 fully connected layer (int16 activations, zero point 0; int8 weights).", [
            Field("shape", Nested("FullyConnectedShape"), "the geometry"),
            Field("output_multiplier", Pointer("int32_t"),
                  "[OUTPUT_DEPTH] when per_channel != 0, else one entry: Q31 (0 for a zero scale)"),
            Field("output_shift", Pointer("int32_t"),
                  "entries as output_multiplier; TFLite convention, in [-31, 7]"),
            Field("per_channel", I32, "1: one multiplier and shift per output channel"),
            _I16_MIN, _I16_MAX, _S16_ACC32]),
        Struct("FullyConnectedF32Params", "float32 fully connected layer.", [
            Field("shape", Nested("FullyConnectedShape"), "the geometry"), _F_MIN, _F_MAX]),
    ],
))

# ---- elementwise ----

TABLE.add(Family(
    _P + "elementwise.hpp", "utensor/kernels/elementwise.hpp",
    "ADD, SUB and MUL's parameters (kernels/elementwise.hpp states the arithmetic).",
    constants=[Const("kBroadcastMaxRank", "int", 6, "Shapes are padded to this rank.")],
    structs=[
        _shape("BroadcastShape",
               "Both inputs and the output in 6-D (leading dimensions padded with 1).",
               Field("size", I32, "output elements"),
               Field("broadcast", I32, "0: both inputs have the output's shape; flat loop"),
               Field("dims", Array(I32, 6, "kBroadcastMaxRank"), "the output shape"),
               Field("stride1", Array(I32, 6, "kBroadcastMaxRank"),
                     "input 1's element stride along each output dimension, 0 where broadcast"),
               Field("stride2", Array(I32, 6, "kBroadcastMaxRank"), "the same for input 2")),
        Struct("AddS8Params", "int8 ADD and SUB (TFLite's general quantized path).", [
            Field("shape", Nested("BroadcastShape"), "the geometry"),
            Field("input1_offset", I32, "minus input 1's zero point"),
            Field("input2_offset", I32, "minus input 2's zero point"),
            Field("output_offset", I32, "the output zero point"),
            Field("left_shift", I32, "20 for int8"),
            Field("input1_multiplier", I32, "input 1's rescaling to the common scale (< 1)"),
            Field("input1_shift", I32, "<= 0"),
            Field("input2_multiplier", I32, "input 2's rescaling to the common scale (< 1)"),
            Field("input2_shift", I32, "<= 0"),
            Field("output_multiplier", I32, "the sum's rescaling to the output scale"),
            Field("output_shift", I32, "TFLite convention: > 0 shifts left"),
            _I8_MIN, _I8_MAX,
            Field("input1_table", Pointer("int32_t"),
                  "Optional [256] table of input 1's rescaled value (the offset, shift and "
                  "multiplier above for every int8 value, indexed by the byte as uint8_t), "
                  "precomputed by the converter for large tensors; nullptr to compute it per "
                  "element. Same integers either way."),
            Field("input2_table", Pointer("int32_t"), "the same for input 2"),
            Field("output_fast", Pointer("FastRequant"),
                  "With both tables, optionally the output rescaling in the fast form the "
                  "converter proved exact for every sum (difference) of two table entries; "
                  "nullptr for the general form. When given, the tables hold the rescaled "
                  "values times 2 (the doubling of the doubling high multiply) and its "
                  "pre_shift is 0: out = fast_requantize(t1 +- t2)."),
        ]),
        Struct("MulS8Params", "int8 MUL.", [
            Field("shape", Nested("BroadcastShape"), "the geometry"),
            Field("input1_offset", I32, "minus input 1's zero point"),
            Field("input2_offset", I32, "minus input 2's zero point"),
            Field("output_offset", I32, "the output zero point"),
            Field("output_multiplier", I32, "input 1 scale * input 2 scale / output scale"),
            Field("output_shift", I32, "TFLite convention: > 0 shifts left"),
            _I8_MIN, _I8_MAX,
            Field("output_fast", Pointer("FastRequant"),
                  "int8: the output rescaling in the fast form the converter proved exact for "
                  "every product; nullptr for the general form"),
        ]),
        Struct("DivS8Params", "int8 DIV as TFLite Micro's DivElementwise (ops/_div_s8.py; where "
               "TFLM's arithmetic is undefined C++, kernels/elementwise.hpp defines the result).", [
            Field("shape", Nested("BroadcastShape"), "the geometry"),
            Field("input1_offset", I32, "minus input 1's zero point"),
            Field("input2_offset", I32, "minus input 2's zero point"),
            Field("output_offset", I32, "the output zero point"),
            Field("output_multiplier", I32, "input 1 scale / (input 2 scale * output scale), Q31"),
            Field("output_shift", I32, "TFLite convention, <= 23 (so every right shift is >= 0)"),
            _I8_MIN, _I8_MAX,
        ]),
        Struct("ElementwiseF32Params", "float32 ADD, SUB, MUL and DIV.", [
            Field("shape", Nested("BroadcastShape"), "the geometry"), _F_MIN, _F_MAX]),
        Struct("ElementwiseI32Params", "int32 ADD, SUB and MUL (loop counters, indices).", [
            Field("shape", Nested("BroadcastShape"), "the geometry"),
            Field("activation_min", I32, "the fused activation's lower bound (INT32_MIN: none)"),
            Field("activation_max", I32, "the fused activation's upper bound (INT32_MAX: none)")]),
        Struct("BroadcastParams", "Binary operators with no parameter but their geometry "
               "(MAXIMUM, MINIMUM, SQUARED_DIFFERENCE, FLOOR_DIV, FLOOR_MOD, float32 comparisons, "
               "LOGICAL_AND, LOGICAL_OR).", [
            Field("shape", Nested("BroadcastShape"), "the geometry")]),
        Struct("PreluS8Params", "int8 PRELU (TFLite's two rescalings: x >= 0 and x * alpha).", [
            Field("shape", Nested("BroadcastShape"), "input (1) and alpha (2) to the output"),
            Field("input_offset", I32, "minus the input zero point"),
            Field("alpha_offset", I32, "minus alpha's zero point"),
            Field("output_offset", I32, "the output zero point"),
            Field("output_multiplier_1", I32, "input scale / output scale"),
            Field("output_shift_1", I32, "TFLite convention: > 0 shifts left"),
            Field("output_multiplier_2", I32, "input scale * alpha scale / output scale"),
            Field("output_shift_2", I32, "TFLite convention: > 0 shifts left"),
        ]),
        Struct("CompareS8Params", "int8 comparisons: each input rescaled to a common scale as "
               "TFLite does ((x - zero point) << 8, times its scale's multiplier), looked up.", [
            Field("shape", Nested("BroadcastShape"), "the geometry"),
            Field("input1_table", Pointer("int32_t"), "[256] input 1 rescaled, indexed by the byte as uint8_t"),
            Field("input2_table", Pointer("int32_t"), "[256] input 2 rescaled, indexed by the byte as uint8_t"),
        ]),
    ],
))

TABLE.add(Family(
    _P + "activations.hpp", "utensor/kernels/activations.hpp",
    "The unary activations' parameters (kernels/activations.hpp).",
    structs=[
        Struct("LookupS8Params", "int8 activations: one table lookup per element.", [
            Field("size", I32, "elements"),
            Field("table", Pointer("int8_t"), "[256], indexed by the input byte as uint8_t"),
        ]),
        Struct("LinearS16Params",
               "int16 RELU, RELU6 and LEAKY_RELU (16x8): a rescaling per sign of x - input "
               "zero point, then a clamp.", [
            Field("size", I32, "elements"),
            Field("input_zero_point", I32, "subtracted from every input"),
            Field("output_zero_point", I32, "added after the rescaling"),
            Field("rescale", I32, "0: no rescaling (out = clamp(x), RELU6); 1: rescale"),
            Field("multiplier_positive", I32, "for x - input_zero_point >= 0 (Q31)"),
            Field("shift_positive", I32, "TFLite convention: > 0 shifts left"),
            Field("multiplier_negative", I32, "for x - input_zero_point < 0 (Q31)"),
            Field("shift_negative", I32, "TFLite convention: > 0 shifts left"),
            _I16_MIN, _I16_MAX,
        ]),
        Struct("ActivationF32Params", "float32 activations.", [
            Field("size", I32, "elements"),
            Field("alpha", F32, "LEAKY_RELU's slope for negative inputs; unused otherwise"),
        ]),
    ],
))

TABLE.add(Family(
    _P + "unary.hpp", "utensor/kernels/unary.hpp",
    "The elementwise math functions' parameters (kernels/unary.hpp).",
    structs=[
        Struct("UnaryF32Params", "float32 functions of one tensor, element by element.", [
            Field("size", I32, "elements"),
        ]),
        Struct("RsqrtS8Params", "int8 RSQRT: a table lookup that refuses the inputs TFLite Micro "
               "refuses (below the input zero point).", [
            Field("size", I32, "elements"),
            Field("table", Pointer("int8_t"), "[256], indexed by the input byte as uint8_t"),
            Field("input_min", I32, "the input zero point: a smaller input fails the invocation"),
        ]),
        Struct("UnaryB8Params", "bool functions of one tensor (LOGICAL_NOT).", [
            Field("size", I32, "elements"),
        ]),
        Struct("AbsS16Params", "int16 ABS (zero points 0, as TFLite Micro requires): |x|, "
               "rescaled when the scales differ, clamped to int16.", [
            Field("size", I32, "elements"),
            Field("rescale", I32, "0: the scales are equal, out = clamp(|x|); 1: rescale"),
            Field("multiplier", I32, "Q31 of input scale / output scale (float32 quotient)"),
            Field("shift", I32, "TFLite convention: > 0 shifts left"),
        ]),
        Struct("CastParams", "CAST: each element converted with static_cast, as TFLite Micro.", [
            Field("size", I32, "elements"),
        ]),
    ],
))

TABLE.add(Family(
    _P + "gather.hpp", "utensor/kernels/gather.hpp",
    "Index-walking operators' parameters (kernels/gather.hpp): ARG_MAX/ARG_MIN, "
    "RESIZE_NEAREST_NEIGHBOR.",
    structs=[
        Struct("ArgMinMaxParams", "The input viewed as [outer, axis_size, inner]; the output "
               "[outer, inner] holds the index along the axis.", [
            Field("outer_size", I32, "the product of the dimensions before the axis"),
            Field("axis_size", I32, "the reduced dimension"),
            Field("inner_size", I32, "the product of the dimensions after the axis"),
        ]),
        Struct("ResizeNearestParams", "NHWC; which input row and column each output one reads "
               "(computed at conversion as TFLite Micro's GetNearestNeighbor).", [
            Field("batches", I32, "N"),
            Field("input_height", I32, "H in"), Field("input_width", I32, "W in"),
            Field("output_height", I32, "H out"), Field("output_width", I32, "W out"),
            Field("channels", I32, "C"),
            Field("rows", Pointer("int32_t"), "[output_height] the input row of each output row"),
            Field("cols", Pointer("int32_t"), "[output_width] the input column of each output column"),
        ]),
    ],
))

TABLE.add(Family(
    _P + "detection_postprocess.hpp", "utensor/kernels/detection_postprocess.hpp",
    "The object-detection post-processing custom operator's parameters "
    "(kernels/detection_postprocess.hpp).",
    structs=[
        Struct("DetectionPostprocessParams", "TFLite_Detection_PostProcess (float32): decode "
               "centre-size boxes against the anchors, then non-max suppression, as TFLite Micro.", [
            Field("num_boxes", I32, "anchors (input dimension 1)"),
            Field("box_stride", I32, "floats per box encoding (>= 4; the first 4 are used)"),
            Field("num_classes", I32, "classes scored, background excluded"),
            Field("num_classes_with_background", I32, "class predictions per box (num_classes or one more)"),
            Field("max_detections", I32, "detections reported"),
            Field("max_classes_per_detection", I32, "fast NMS: classes reported per box"),
            Field("detections_per_class", I32, "regular NMS: boxes kept per class"),
            Field("use_regular_nms", I32, "1: regular (per class) NMS; 0: fast NMS"),
            Field("score_threshold", F32, "boxes scoring below are dropped"),
            Field("iou_threshold", F32, "a box overlapping a kept one by more is suppressed (0, 1]"),
            Field("y_scale", F32, "divides the encoded y centre"),
            Field("x_scale", F32, "divides the encoded x centre"),
            Field("h_scale", F32, "divides the encoded log height"),
            Field("w_scale", F32, "divides the encoded log width"),
            Field("output_slots", I32, "entries the detection outputs hold"),
        ]),
    ],
))

# ---- data movement ----

TABLE.add(Family(
    _P + "concatenation.hpp", "utensor/kernels/concatenation.hpp",
    "CONCATENATION's parameters (kernels/concatenation.hpp).",
    structs=[Struct("ConcatenationParams", "Every tensor viewed as [outer, axis_dim * inner].", [
        Field("num_inputs", I32, "inputs"),
        Field("outer_size", I32, "the product of the dimensions before the axis"),
        Field("row_sizes", Pointer("int32_t"), "[num_inputs]: axis_dim(i) * inner, in elements"),
    ]), Struct("SplitParams", "SPLIT, SPLIT_V, UNPACK: the input cut into [outer, axis_dim * inner] pieces.", [
        Field("num_outputs", I32, "outputs"),
        Field("outer_size", I32, "the product of the dimensions before the axis"),
        Field("row_sizes", Pointer("int32_t"), "[num_outputs]: axis_dim(i) * inner, in elements"),
    ])],
))

TABLE.add(Family(
    _P + "mean.hpp", "utensor/kernels/mean.hpp",
    "MEAN's parameters (kernels/mean.hpp).",
    structs=[
        _shape("MeanShape", "The input extended to rank 5 with leading 1s.",
               Field("input_dims", Array(I32, 5), "the input shape"),
               Field("reduce", Array(I32, 5), "1 for a reduced axis, 0 otherwise"),
               Field("output_count", I32, "elements of the output"),
               Field("reduce_count", I32, "elements averaged into each output (>= 1)")),
        Struct("MeanS8Params", "int8 mean (TFLite Micro's QuantizedMeanOrSum).", [
            Field("shape", Nested("MeanShape"), "the geometry"),
            Field("input_zero_point", I32, "the input zero point"),
            Field("output_zero_point", I32, "the output zero point"),
            Field("multiplier", I32, "input / output scale with 1/count folded in"),
            Field("shift", I32, "TFLite convention: > 0 shifts left"),
        ]),
        Struct("MeanF32Params", "float32 mean.", [Field("shape", Nested("MeanShape"), "the geometry")]),
    ],
))

TABLE.add(Family(
    _P + "reduce.hpp", "utensor/kernels/reduce.hpp",
    "SUM, REDUCE_MAX, REDUCE_MIN and REDUCE_ALL's parameters (kernels/reduce.hpp; int8 SUM is "
    "mean_s8).",
    structs=[
        Struct("ReduceF32Params", "float32 SUM, REDUCE_MAX, REDUCE_MIN.", [
            Field("shape", Nested("MeanShape"), "the geometry")]),
        Struct("ReduceS8Params", "int8 REDUCE_MAX, REDUCE_MIN (same quantization in and out).", [
            Field("shape", Nested("MeanShape"), "the geometry")]),
        Struct("ReduceB8Params", "bool REDUCE_ALL.", [
            Field("shape", Nested("MeanShape"), "the geometry")]),
    ],
))

TABLE.add(Family(
    _P + "batch_matmul.hpp", "utensor/kernels/batch_matmul.hpp",
    "BATCH_MATMUL's parameters (kernels/batch_matmul.hpp).",
    structs=[
        _shape("BatchMatMulShape",
               "out[b][i][j] = sum over k of lhs[b][i][k] * rhs[b][k][j]; the batch dims are "
               "the output's, extended to 3 with leading 1s; adj_x/adj_y are folded into the "
               "strides.",
               Field("batch_dims", Array(I32, 3), "the output's batch dimensions"),
               Field("lhs_batch_strides", Array(I32, 3), "lhs elements per batch step, 0 where broadcast"),
               Field("rhs_batch_strides", Array(I32, 3), "rhs elements per batch step, 0 where broadcast"),
               Field("rows", I32, "M: output rows"),
               Field("cols", I32, "N: output columns"),
               Field("depth", I32, "K: the accumulation depth"),
               Field("lhs_row_stride", I32, "lhs elements between rows i (1 with adj_x, else K)"),
               Field("lhs_depth_stride", I32, "lhs elements between k (M with adj_x, else 1)"),
               Field("rhs_depth_stride", I32, "rhs elements between k (1 with adj_y, else N)"),
               Field("rhs_col_stride", I32, "rhs elements between columns j (K with adj_y, else 1)")),
        Struct("BatchMatMulS8Params", "int8 (TFLite Micro's reference BatchMatMul<int8_t, int32_t>).", [
            Field("shape", Nested("BatchMatMulShape"), "the geometry"),
            Field("lhs_offset", I32, "minus the lhs zero point"),
            Field("rhs_offset", I32, "minus the rhs zero point"),
            Field("output_offset", I32, "the output zero point"),
            Field("output_multiplier", I32, "lhs scale * rhs scale / output scale"),
            Field("output_shift", I32, "TFLite convention: > 0 shifts left"),
        ]),
        Struct("BatchMatMulS16Params",
               "int16 with zero points 0 (TFLite Micro's reference BatchMatMul<int16_t, int64_t>).", [
            Field("shape", Nested("BatchMatMulShape"), "the geometry"),
            Field("output_multiplier", I32, "lhs scale * rhs scale / output scale"),
            Field("output_shift", I32, "TFLite convention: > 0 shifts left, in [-31, 7]"),
        ]),
        Struct("BatchMatMulF32Params", "float32.", [
            Field("shape", Nested("BatchMatMulShape"), "the geometry")]),
    ],
))

TABLE.add(Family(
    _P + "resize_bilinear.hpp", "utensor/kernels/resize_bilinear.hpp",
    "RESIZE_BILINEAR's parameters (kernels/resize_bilinear.hpp): the source rows and columns "
    "of every output one and their weights, computed at conversion as TFLite Micro does.",
    structs=[
        Struct("ResizeBilinearS8Params", "int8, TFLite's ResizeBilinearInteger (10-bit fractions).", [
            Field("batches", I32, "N"),
            Field("input_height", I32, "H in"), Field("input_width", I32, "W in"),
            Field("output_height", I32, "H out"), Field("output_width", I32, "W out"),
            Field("channels", I32, "C"),
            Field("rows", Pointer("int32_t"), "[output_height * 3]: y0, y1, the source y * 1024"),
            Field("cols", Pointer("int32_t"), "[output_width * 3]: x0, x1, the source x * 1024"),
        ]),
        Struct("ResizeBilinearF32Params", "float32, TFLite's ResizeBilinear.", [
            Field("batches", I32, "N"),
            Field("input_height", I32, "H in"), Field("input_width", I32, "W in"),
            Field("output_height", I32, "H out"), Field("output_width", I32, "W out"),
            Field("channels", I32, "C"),
            Field("rows", Pointer("int32_t"), "[output_height * 2]: y0, y1"),
            Field("cols", Pointer("int32_t"), "[output_width * 2]: x0, x1"),
            Field("row_frac", Pointer("float"), "[output_height]: source y - y0, in float32"),
            Field("col_frac", Pointer("float"), "[output_width]: source x - x0, in float32"),
        ]),
    ],
))

TABLE.add(Family(
    _P + "add_n.hpp", "utensor/kernels/add_n.hpp",
    "ADD_N's parameters (kernels/add_n.hpp).",
    structs=[
        Struct("AddNS8Params", "int8 ADD_N (TFLite's quantized AddN; every input shares one quantization).", [
            Field("size", I32, "elements of each tensor"),
            Field("num_inputs", I32, ">= 2"),
            Field("input_table", Pointer("int32_t"),
                  "[256] an input byte's rescaled value ((x - zero point) << 20, halved with "
                  "rounding), indexed by the byte as uint8_t"),
            Field("initial", I32, "the sum's start: TFLite's AddN starts from the rescaled "
                  "input offset, not 0"),
            Field("output_multiplier", I32, "2 * input scale / (2^20 * output scale)"),
            Field("output_shift", I32, "<= 0"),
            Field("output_offset", I32, "the output zero point"),
        ]),
        Struct("AddNF32Params", "float32 ADD_N.", [
            Field("size", I32, "elements of each tensor"),
            Field("num_inputs", I32, ">= 2"),
        ]),
    ],
))

TABLE.add(Family(
    _P + "normalization.hpp", "utensor/kernels/normalization.hpp",
    "LOG_SOFTMAX and L2_NORMALIZATION's parameters (kernels/normalization.hpp), over the last axis.",
    structs=[
        Struct("LogSoftmaxF32Params", "float32 LOG_SOFTMAX.", [
            Field("outer_size", I32, "rows: the product of every dimension but the last"),
            Field("depth", I32, "the last dimension"),
        ]),
        Struct("LogSoftmaxS8Params", "int8 LOG_SOFTMAX (output scale 16/256, zero point 127), "
               "TFLite's fixed-point exp and log.", [
            Field("outer_size", I32, "rows: the product of every dimension but the last"),
            Field("depth", I32, "the last dimension, <= 4095 (the Q12.19 sum of exps)"),
            Field("input_multiplier", I32, "input scale * 2^26 as QuantizeMultiplierGreaterThanOne"),
            Field("input_left_shift", I32, ">= 1"),
            Field("reverse_scaling_divisor", I32, "2^(31 - input_left_shift) / input_multiplier, Q31"),
            Field("reverse_scaling_shift", I32, "<= 0, TFLite convention (a right shift)"),
            Field("diff_min", I32, "-CalculateInputRadius(5, input_left_shift)"),
        ]),
        Struct("L2NormF32Params", "float32 L2_NORMALIZATION (epsilon 1e-6, as TFLite Micro).", [
            Field("outer_size", I32, "rows: the product of every dimension but the last"),
            Field("depth", I32, "the last dimension"),
        ]),
        Struct("L2NormS8Params", "int8 L2_NORMALIZATION (output scale 1/128, zero point 0).", [
            Field("outer_size", I32, "rows: the product of every dimension but the last"),
            Field("depth", I32, "the last dimension"),
            Field("input_zero_point", I32, "the input zero point"),
        ]),
    ],
))

TABLE.add(Family(
    _P + "cumsum.hpp", "utensor/kernels/cumsum.hpp",
    "CUMSUM's parameters (kernels/cumsum.hpp).",
    structs=[
        Struct("CumSumF32Params", "float32 CUMSUM.", [
            Field("before", I32, "the product of the dimensions before the axis"),
            Field("depth", I32, "the axis' dimension"),
            Field("after", I32, "the product of the dimensions after the axis"),
            Field("exclusive", I32, "1: each output excludes its own element"),
            Field("reverse", I32, "1: sums run from the end of the axis"),
        ]),
        Struct("CumSumS8Params", "int8 CUMSUM (TFLite's quantized CumSum, ADD_N's arithmetic).", [
            Field("before", I32, "the product of the dimensions before the axis"),
            Field("depth", I32, "the axis' dimension"),
            Field("after", I32, "the product of the dimensions after the axis"),
            Field("exclusive", I32, "1: each output excludes its own element"),
            Field("reverse", I32, "1: sums run from the end of the axis"),
            Field("input_table", Pointer("int32_t"),
                  "[256] an input byte's rescaled value ((x - zero point) << 20, halved with "
                  "rounding), indexed by the byte as uint8_t"),
            Field("initial", I32, "each running sum's start: TFLite's rescaled input offset"),
            Field("output_multiplier", I32, "2 * input scale / (2^20 * output scale)"),
            Field("output_shift", I32, "<= 0"),
            Field("output_offset", I32, "the output zero point"),
        ]),
    ],
))

TABLE.add(Family(
    _P + "squared_difference.hpp", "utensor/kernels/squared_difference.hpp",
    "int8 SQUARED_DIFFERENCE's parameters (kernels/squared_difference.hpp).",
    structs=[
        Struct("SquaredDifferenceS8Params", "int8 SQUARED_DIFFERENCE (TFLite Micro's quantized form).", [
            Field("shape", Nested("BroadcastShape"), "the geometry (elementwise.hpp's broadcasting)"),
            Field("input1_table", Pointer("int32_t"),
                  "[256] input 1's byte rescaled: (x - zero point) << 7 times its multiplier, "
                  "indexed by the byte as uint8_t"),
            Field("input2_table", Pointer("int32_t"), "[256] the same for input 2"),
            Field("output_multiplier", I32, "(2 max scale)^2 / (2^14 output scale)"),
            Field("output_shift", I32, "TFLite convention: > 0 shifts left"),
            Field("output_offset", I32, "the output zero point"),
        ]),
        Struct("SquaredDifferenceS16Params", "int16 SQUARED_DIFFERENCE (TFLite Micro's quantized "
               "form with int16's left shift), computed per element.", [
            Field("shape", Nested("BroadcastShape"), "the geometry (elementwise.hpp's broadcasting)"),
            Field("left_shift", I32, "TFLite Micro's left shift for int16"),
            Field("input1_offset", I32, "minus input 1's zero point"),
            Field("input1_multiplier", I32, "Q31 of input 1's scale / (2 max scale)"),
            Field("input1_shift", I32, "<= 0"),
            Field("input2_offset", I32, "minus input 2's zero point"),
            Field("input2_multiplier", I32, "Q31 of input 2's scale / (2 max scale)"),
            Field("input2_shift", I32, "<= 0"),
            Field("output_multiplier", I32, "(2 max scale)^2 / (2^(2 left_shift) output scale)"),
            Field("output_shift", I32, "TFLite convention: > 0 shifts left"),
            Field("output_offset", I32, "the output zero point"),
        ]),
    ],
))

TABLE.add(Family(
    _P + "pad.hpp", "utensor/kernels/pad.hpp",
    "PAD and PADV2's parameters (kernels/pad.hpp).",
    structs=[
        _shape("PadShape", "Shapes extended to rank 5 with leading 1s.",
               Field("input_dims", Array(I32, 5), "the input shape"),
               Field("before", Array(I32, 5), "elements added before each dimension, >= 0"),
               Field("after", Array(I32, 5), "elements added after each dimension, >= 0")),
        Struct("PadS8Params", "int8 pad.", [
            Field("shape", Nested("PadShape"), "the geometry"),
            Field("pad_value", I8, "the output zero point (PAD) or the constant (PADV2)")]),
        Struct("PadF32Params", "float32 pad.", [
            Field("shape", Nested("PadShape"), "the geometry"),
            Field("pad_value", F32, "0 (PAD) or the constant (PADV2)")]),
        Struct("PadS16Params", "int16 pad.", [
            Field("shape", Nested("PadShape"), "the geometry"),
            Field("pad_value", I16, "the output zero point (PAD) or the constant (PADV2)")]),
        Struct("PadI32Params", "int32 pad.", [
            Field("shape", Nested("PadShape"), "the geometry"),
            Field("pad_value", I32, "0 (PAD) or the constant (PADV2)")]),
    ],
))

TABLE.add(Family(
    _P + "pooling.hpp", "utensor/kernels/pooling.hpp",
    "AVERAGE_POOL_2D and MAX_POOL_2D's parameters (kernels/pooling.hpp).",
    structs=[
        _shape("PoolShape", "The geometry of a 2-D pooling, NHWC.",
               Field("batches", I32, "N"),
               Field("input_height", I32, "H_IN"),
               Field("input_width", I32, "W_IN"),
               Field("channels", I32, "C"),
               Field("filter_height", I32, "the window's height"),
               Field("filter_width", I32, "the window's width"),
               Field("output_height", I32, "H_OUT"),
               Field("output_width", I32, "W_OUT"),
               Field("stride_height", I32, ">= 1"),
               Field("stride_width", I32, ">= 1"),
               Field("pad_top", I32, "rows of padding above the image"),
               Field("pad_left", I32, "columns of padding left of the image")),
        Struct("PoolS8Params", "int8 pooling (same quantization in and out).", [
            Field("shape", Nested("PoolShape"), "the geometry"), _I8_MIN, _I8_MAX]),
        Struct("PoolF32Params", "float32 pooling.", [
            Field("shape", Nested("PoolShape"), "the geometry"), _F_MIN, _F_MAX]),
    ],
))

TABLE.add(Family(
    _P + "quantize.hpp", "utensor/kernels/quantize.hpp",
    "QUANTIZE and DEQUANTIZE's parameters (kernels/quantize.hpp).",
    structs=[
        Struct("QuantizeF32Params", "float32 -> int8 or int16.", [
            Field("size", I32, "elements"),
            Field("scale", F32, "the output scale; TFLite Micro divides by it in float32"),
            Field("zero_point", I32, "the output zero point"),
            Field("output_min", I32, "the lower end of the output type's range"),
            Field("output_max", I32, "the upper end of the output type's range"),
            Field("thresholds", Pointer("int32_t"),
                  "int8 only, [255] ascending: the sortable keys of the smallest floats "
                  "quantizing to -127..127 (ops/_quantize_thresholds.py; cores without an FPU "
                  "and the host); nullptr: divide"),
        ]),
        Struct("RequantizeParams", "int8/uint8 -> int8/uint8, int16 -> int16, with a new scale and zero point.", [
            Field("size", I32, "elements"),
            Field("input_zero_point", I32, "the input zero point"),
            Field("output_zero_point", I32, "the output zero point"),
            Field("multiplier", I32, "input_scale / output_scale as QuantizeMultiplier"),
            Field("shift", I32, "TFLite convention: > 0 shifts left"),
            Field("output_min", I32, "the lower end of the output type's range"),
            Field("output_max", I32, "the upper end of the output type's range"),
        ]),
        Struct("DequantizeParams", "int8/uint8/int16 -> float32.", [
            Field("size", I32, "elements"),
            Field("scale", F32, "the input scale"),
            Field("zero_point", I32, "the input zero point"),
        ]),
    ],
))

TABLE.add(Family(
    _P + "softmax.hpp", "utensor/kernels/softmax.hpp",
    "SOFTMAX's parameters (kernels/softmax.hpp).",
    structs=[
        Struct("SoftmaxS8Params", "int8 softmax (int8 output: scale 1/256, zero point -128; int16 "
               "output: scale 1/65536, zero point -32768).", [
            Field("outer_size", I32, "rows: the product of every dimension but the last"),
            Field("depth", I32, "the last dimension"),
            Field("input_multiplier", I32,
                  "beta * input_scale * 2^26 as QuantizeMultiplierGreaterThanOne"),
            Field("input_left_shift", I32, ">= 0"),
            Field("diff_min", I32, "-CalculateInputRadius(5, input_left_shift)"),
            Field("exp_table", Pointer("int32_t"),
                  "[256]: entry k is exp of the difference -k in Q0.31, 0 below diff_min; "
                  "nullptr to compute each"),
        ]),
        Struct("SoftmaxF32Params", "float32 softmax.", [
            Field("outer_size", I32, "rows: the product of every dimension but the last"),
            Field("depth", I32, "the last dimension"),
            Field("beta", F32, "the inverse temperature"),
        ]),
    ],
))

TABLE.add(Family(
    _P + "strided_slice.hpp", "utensor/kernels/strided_slice.hpp",
    "STRIDED_SLICE's parameters (kernels/strided_slice.hpp).",
    structs=[Struct("StridedSliceParams", "An affine gather over a rank-5 output box.", [
        Field("output_dims", Array(I32, 5), "the output box, padded with leading 1s"),
        Field("input_steps", Array(I32, 5),
              "stride * the input stride of each axis, in elements (possibly negative)"),
        Field("start", I32, "input element offset of output element 0"),
    ])],
))

TABLE.add(Family(
    _P + "transpose.hpp", "utensor/kernels/transpose.hpp",
    "TRANSPOSE's parameters (kernels/transpose.hpp).",
    structs=[Struct("TransposeParams", "The output shape extended to rank 6 with leading 1s.", [
        Field("output_dims", Array(I32, 6), "the output shape"),
        Field("input_strides", Array(I32, 6), "input stride of the axis that becomes output axis d"),
    ])],
))


# ---- recurrent ----

TABLE.add(Family(
    _P + "svdf.hpp", "utensor/kernels/svdf.hpp",
    "SVDF's parameters (kernels/svdf.hpp states the layouts and the state update).",
    structs=[
        _shape("SvdfShape",
               "input [BATCHES, INPUT_SIZE], weights_feature [FILTERS, INPUT_SIZE], weights_time "
               "[FILTERS, MEMORY], bias [UNITS], state [BATCHES, FILTERS * MEMORY], output "
               "[BATCHES, UNITS]; FILTERS = UNITS * RANK.",
               Field("batches", I32, "BATCHES"),
               Field("input_size", I32, "INPUT_SIZE"),
               Field("num_filters", I32, "FILTERS"),
               Field("num_units", I32, "UNITS"),
               Field("rank", I32, "RANK"),
               Field("memory_size", I32, "MEMORY")),
        Struct("SvdfF32Params", "float32 SVDF.", [
            Field("shape", Nested("SvdfShape"), "the geometry"), _F_MIN, _F_MAX]),
        Struct("SvdfS8Params",
               "int8 SVDF with int16 (or int8) time weights and state, as TFLite Micro's "
               "EvalIntegerSvdfReference.", [
                   Field("shape", Nested("SvdfShape"), "the geometry"),
                   Field("state_zero_point", I32, "the state's zero point (0 for int16 state)"),
                   Field("output_zero_point", I32, "in [-128, 127]"),
                   Field("feature_multiplier", I32,
                         "input scale * feature weights scale / state scale, Q31 (QuantizeMultiplier)"),
                   Field("feature_shift", I32, "its shift, TFLite convention: > 0 shifts left"),
                   Field("time_multiplier", I32,
                         "state scale * time weights scale / output scale, Q31 (QuantizeMultiplier)"),
                   Field("time_shift", I32, "its shift, TFLite convention: > 0 shifts left"),
                   Field("feature_offset", Pointer("int32_t"),
                         "[FILTERS] -input zero point * (row sum of weights_feature), so that "
                         "TFLite's sum of w * (x - zero point) is this plus a plain dot product "
                         "(modulo 2^32, as its int32 sum); nullptr: input zero point 0"),
                   Field("time_offset", Pointer("int32_t"),
                         "[UNITS] -state zero point * (sum of the unit's RANK rows of weights_time), "
                         "likewise for the time filter; nullptr: state zero point 0 (int16 state)"),
               ]),
    ],
))

TABLE.add(Family(
    _P + "lstm.hpp", "utensor/kernels/lstm.hpp",
    "UNIDIRECTIONAL_SEQUENCE_LSTM's parameters (kernels/lstm.hpp states the layouts and the "
    "step).",
    structs=[
        Struct("LstmF32Params",
               "float32 LSTM without peephole, projection, layer norm or CIFG; input [BATCHES, "
               "TIME, INPUT] (time major: [TIME, BATCHES, INPUT]), output likewise with UNITS.", [
                   Field("batches", I32, "BATCHES"),
                   Field("time_steps", I32, "TIME"),
                   Field("input_size", I32, "INPUT"),
                   Field("units", I32, "UNITS (cells = outputs)"),
                   Field("time_major", I32, "1: [TIME, BATCHES, ...] layouts"),
                   Field("cell_clip", F32, "> 0: the cell state is clamped to [-cell_clip, cell_clip]"),
               ]),
        Struct("LstmS8Params",
               "int8 LSTM with int16 gates and cell state, as TFLite Micro's integer EvalLstm "
               "(the standard cell; layouts as LstmF32Params). Per gate, in the order input, "
               "forget, cell, output: the input and recurrent products are requantized to int16 "
               "Q3.12 separately, added with saturation and activated (int16 LUT sigmoid/tanh, "
               "Q0.15).", [
                   Field("batches", I32, "BATCHES"),
                   Field("time_steps", I32, "TIME"),
                   Field("input_size", I32, "INPUT"),
                   Field("units", I32, "UNITS (cells = outputs)"),
                   Field("time_major", I32, "1: [TIME, BATCHES, ...] layouts"),
                   Field("input_bias", Pointer("int32_t"),
                         "[4 * UNITS] gate bias + input offset * (row sum of the gate's input "
                         "weights) + the zero points' product times INPUT, gate by gate (the constant "
                         "part of TFLM's sum of (w - w_zp) * (x - x_zp), modulo 2^32 as its int32 sums)"),
                   Field("recurrent_bias", Pointer("int32_t"),
                         "[4 * UNITS] output-state offset * (row sum of the gate's recurrent weights) "
                         "+ the zero points' product times UNITS"),
                   Field("input_weights_zero_point", Array(I32, 4),
                         "per gate: its input weights' zero point (TFLM's FC subtracts it; 0 as TensorFlow "
                         "writes them)"),
                   Field("recurrent_weights_zero_point", Array(I32, 4), "per gate: its recurrent weights' zero point"),
                   Field("input_multiplier", Array(I32, 4),
                         "per gate: input scale * input weights scale / 2^-12, Q31 (QuantizeMultiplier)"),
                   Field("input_shift", Array(I32, 4), "their shifts, TFLite convention: > 0 shifts left"),
                   Field("recurrent_multiplier", Array(I32, 4),
                         "per gate: output-state scale * recurrent weights scale / 2^-12, Q31"),
                   Field("recurrent_shift", Array(I32, 4), "their shifts"),
                   Field("forget_multiplier", I32, "2^-15 * cell scale / cell scale, Q31 (forget gate x cell)"),
                   Field("forget_shift", I32, "its shift"),
                   Field("input_cell_multiplier", I32, "2^-15 * 2^-15 / cell scale, Q31 (input gate x cell gate)"),
                   Field("input_cell_shift", I32, "its shift"),
                   Field("hidden_multiplier", I32, "2^-15 * 2^-15 / output-state scale, Q31 (output gate x tanh(cell))"),
                   Field("hidden_shift", I32, "its shift"),
                   Field("hidden_zero_point", I32, "the output state's zero point, in [-128, 127]"),
                   Field("tanh_multiplier", I32,
                         "tanh(cell) input factor: 3 * 2^(12 + log2(cell scale)) when that exponent "
                         ">= 0, else 3 (TFLM's int16 Tanh with its power-of-two case folded)"),
                   Field("tanh_shift", I32, "tanh(cell) input right shift (rounded), >= 0"),
                   Field("cell_clip", I32, "> 0: the cell state is clamped to [-cell_clip, cell_clip] (int16)"),
                   Field("sigmoid_table", Pointer("uint16_t"),
                         "[256] sigmoid(k / 24) in unsigned 0.16 (ops/_lut16.py sigmoid_table_u16)"),
               ]),
        Struct("LstmS16Params",
               "16x8 LSTM: int16 input, output state and output, int8 weights, int64 biases, "
               "int16 gates and cell state, as TFLite Micro's EvalLstm<int16_t, int8_t, int16_t, "
               "int64_t> (layouts as LstmF32Params). The gates' fully connected layers sum in "
               "int64 and requantize with TFLite's 64-bit MultiplyByQuantizedMultiplier; the rest "
               "is the int8 LSTM's arithmetic with int16 output saturation.", [
                   Field("batches", I32, "BATCHES"),
                   Field("time_steps", I32, "TIME"),
                   Field("input_size", I32, "INPUT"),
                   Field("units", I32, "UNITS (cells = outputs)"),
                   Field("time_major", I32, "1: [TIME, BATCHES, ...] layouts"),
                   Field("input_bias", Pointer("int64_t"),
                         "[4 * UNITS] gate bias - input zero point * (row sum of the gate's input "
                         "weights) + the zero points' product times INPUT, gate by gate (the "
                         "constant part of TFLM's sum of (w - w_zp) * (x - x_zp), exact in int64)"),
                   Field("recurrent_bias", Pointer("int64_t"),
                         "[4 * UNITS] - output-state zero point * (row sum of the gate's recurrent weights) "
                         "+ the zero points' product times UNITS"),
                   Field("input_weights_zero_point", Array(I32, 4),
                         "per gate: its input weights' zero point (TFLM's FC subtracts it; 0 as TensorFlow "
                         "writes them)"),
                   Field("recurrent_weights_zero_point", Array(I32, 4), "per gate: its recurrent weights' zero point"),
                   Field("input_multiplier", Array(I32, 4),
                         "per gate: input scale * input weights scale / 2^-12 as TFLite's 64-bit "
                         "MultiplyByQuantizedMultiplier uses it: the Q31 multiplier rounded to Q15"),
                   Field("input_shift", Array(I32, 4),
                         "their right shifts (15 - the Q31 shift, in [8, 46]), rounding half up"),
                   Field("recurrent_multiplier", Array(I32, 4),
                         "per gate: output-state scale * recurrent weights scale / 2^-12, Q15 likewise"),
                   Field("recurrent_shift", Array(I32, 4), "their right shifts"),
                   Field("forget_multiplier", I32, "2^-15 * cell scale / cell scale, Q31 (forget gate x cell)"),
                   Field("forget_shift", I32, "its shift"),
                   Field("input_cell_multiplier", I32, "2^-15 * 2^-15 / cell scale, Q31 (input gate x cell gate)"),
                   Field("input_cell_shift", I32, "its shift"),
                   Field("hidden_multiplier", I32, "2^-15 * 2^-15 / output-state scale, Q31 (output gate x tanh(cell))"),
                   Field("hidden_shift", I32, "its shift"),
                   Field("hidden_zero_point", I32, "the output state's zero point, in [-32768, 32767]"),
                   Field("tanh_multiplier", I32,
                         "tanh(cell) input factor: 3 * 2^(12 + log2(cell scale)) when that exponent "
                         ">= 0, else 3 (TFLM's int16 Tanh with its power-of-two case folded)"),
                   Field("tanh_shift", I32, "tanh(cell) input right shift (rounded), >= 0"),
                   Field("cell_clip", I32, "> 0: the cell state is clamped to [-cell_clip, cell_clip] (int16)"),
                   Field("sigmoid_table", Pointer("uint16_t"),
                         "[256] sigmoid(k / 24) in unsigned 0.16 (ops/_lut16.py sigmoid_table_u16)"),
               ]),
    ],
))

TABLE.add(Family(
    _P + "variable.hpp", "utensor/kernels/variable.hpp",
    "READ_VARIABLE and ASSIGN_VARIABLE's parameters (kernels/variable.hpp).",
    structs=[Struct("CopyParams", "A copy between a resource variable and a tensor.", [
        Field("bytes", I32, "bytes copied")])],
))
# ---- data movement (issue 14): REVERSE_V2, GATHER, DEPTH_TO_SPACE, MIRROR_PAD, ... ----

TABLE.add(Family(
    _P + "data.hpp", "utensor/kernels/data.hpp",
    "The data-movement operators' parameters (kernels/data.hpp).",
    constants=[Const("kIndexCopyMaxRank", "int", 6, "Output dimensions an index copy walks."),
               Const("kSelectMaxRank", "int", 6, "Shapes SELECT_V2 broadcasts are padded to this rank.")],
    structs=[
        Struct("IndexCopyParams",
               "A copy whose source offset is a sum of one table entry per output dimension "
               "(ops/data.py derives the tables from the operator's index map and proves the "
               "sum reproduces it): output block k of the row-major walk over `dims` copies "
               "`block` contiguous input elements from input + sum_d offsets[start_d + i_d].", [
                   Field("rank", I32, "output dimensions walked, in [1, kIndexCopyMaxRank]"),
                   Field("dims", Array(I32, 6, "kIndexCopyMaxRank"), "their sizes (unused ones 1)"),
                   Field("offsets", Pointer("int32_t"),
                         "the tables of dimensions 0..rank-1 one after the other (sum of dims "
                         "entries), input offsets in elements"),
                   Field("block", I32, "contiguous elements copied per position (>= 1)"),
               ]),
        Struct("GatherParams",
               "GATHER with run-time indices, as TFLite Micro's gather.cc: for every batch b, "
               "outer o and index k, copies `inner` elements from input[((b * outer + o) * "
               "axis_size + indices[b * count + k]) * inner].", [
                   Field("batches", I32, "product of the batch_dims dimensions"),
                   Field("outer", I32, "product of the dimensions between batch_dims and axis"),
                   Field("axis_size", I32, "the gathered dimension; indices outside [0, it) fail"),
                   Field("inner", I32, "product of the dimensions after axis"),
                   Field("count", I32, "indices per batch"),
               ]),
        Struct("SelectParams", "SELECT_V2: output = condition ? x : y, with broadcasting.", [
            Field("size", I32, "output elements"),
            Field("dims", Array(I32, 6, "kSelectMaxRank"), "the output shape, leading 1s"),
            Field("condition_stride", Array(I32, 6, "kSelectMaxRank"), "condition's element stride per output dimension, 0 where broadcast"),
            Field("x_stride", Array(I32, 6, "kSelectMaxRank"), "the same for x"),
            Field("y_stride", Array(I32, 6, "kSelectMaxRank"), "the same for y"),
        ]),
        Struct("SpaceToBatchParams",
               "SPACE_TO_BATCH_ND over NHWC (rank-3 input: width 1, block_width 1), as TFLite's "
               "reference: output batch b reads input batch b % batches at block offset "
               "(b / batches / block_width, b / batches % block_width); positions in the padding "
               "are bytes of pad_byte.", [
                   Field("batches", I32, "input batches"),
                   Field("input_height", I32, "input rows"), Field("input_width", I32, "input columns"),
                   Field("depth", I32, "channels"),
                   Field("block_height", I32, ">= 1"), Field("block_width", I32, ">= 1"),
                   Field("pad_top", I32, ">= 0"), Field("pad_left", I32, ">= 0"),
                   Field("output_batches", I32, "batches * block_height * block_width"),
                   Field("output_height", I32, "(input_height + paddings) / block_height"),
                   Field("output_width", I32, "(input_width + paddings) / block_width"),
                   Field("pad_byte", I32, "the byte padding is filled with: the output zero point (int8), 0"),
               ]),
        Struct("DynamicUpdateSliceParams",
               "DYNAMIC_UPDATE_SLICE as TFLite Micro's: output = operand with update written at "
               "the start indices, each clamped into [0, operand dim - update dim].", [
                   Field("size", I32, "operand elements"),
                   Field("operand_dims", Array(I32, 6, "kIndexCopyMaxRank"), "the operand's shape, leading 1s"),
                   Field("update_dims", Array(I32, 6, "kIndexCopyMaxRank"), "the update's shape, leading 1s"),
                   Field("leading", I32, "the leading 1s added (start index d is indices[d - leading])"),
               ]),
        Struct("BroadcastArgsParams",
               "BROADCAST_ARGS of two run-time shapes (right-aligned; a 1 takes the other's "
               "size; sizes that differ otherwise fail the invocation, as in TFLite Micro).", [
                   Field("rank1", I32, "elements of shape 1"),
                   Field("rank2", I32, "elements of shape 2"),
                   Field("output_rank", I32, "max(rank1, rank2)"),
               ]),
        Struct("FillParams", "FILL of a run-time value and ZEROS_LIKE.", [
            Field("size", I32, "output elements")]),
    ],
))


# ---- int16 table-interpolated activations (issue 13) ----

TABLE.add(Family(
    _P + "lut16.hpp", "utensor/kernels/lut16.hpp",
    "The int16 (16x8) LOGISTIC, TANH and SOFTMAX parameters (kernels/lut16.hpp): TFLite "
    "Micro's kernels that interpolate in tables, the tables computed by the converter "
    "(scripts/utensor/ops/_lut16.py).",
    structs=[
        Struct("SigmoidS16Params", "int16 LOGISTIC / TANH: input zero point 0, output scale 2^-15 "
               "and zero point 0.", [
            Field("size", I32, "elements"),
            Field("input_multiplier", I32, "in [1, 65535]: the input times it fits an int32"),
            Field("input_shift", I32, "in [0, 31]: the rounding right shift after the multiplier"),
            Field("table", Pointer("uint16_t"), "[256] sigmoid(k / 24) in unsigned 0.16, "
                  "interpolation-corrected as TFLite's sigmoid_table_uint16"),
        ]),
        Struct("SoftmaxS16Params", "int16 SOFTMAX (output scale 1/32768, zero point 0) over the "
               "last dimension.", [
            Field("outer_size", I32, "rows: the product of every dimension but the last"),
            Field("depth", I32, "the last dimension, <= 65536 (the int32 sum of exps)"),
            Field("input_multiplier", I32, "QuantizeMultiplier(input scale * beta * 65535 / 10): "
                  "maps differences onto [-65535, 0] = [-10, 0]"),
            Field("input_shift", I32, "TFLite convention: > 0 shifts left"),
            Field("exp_lut", Pointer("int16_t"), "[513] exp over [-10, 0] in Q0.15, as TFLite's "
                  "gen_lut (interpolated by the input's low 7 bits)"),
            Field("one_over_one_plus_x_lut", Pointer("int16_t"), "[513] 1 / (1 + x) over [0, 1] "
                  "in Q0.15, as TFLite's gen_lut"),
        ]),
    ],
))

# ---- the headers ----

def header_texts(table: Table = None, headers=None) -> dict:
    """{header path as included: text} for every family of the table (or those whose
    header is in `headers`)."""
    from .emitter import environment  # pylint: disable=import-outside-toplevel

    table = table or TABLE
    template = environment().get_template("kernel_params.hpp.j2")
    return {h.path: template.render(h=h) for h in table.header_views()
            if headers is None or h.path in headers}


def write_headers(include_root: str = RUNTIME_INCLUDE, table: Table = None, headers=None) -> list:
    """Writes the families' headers under include_root (all, or those in `headers`) and
    removes generated headers the table no longer has; returns the paths changed."""
    changed = []
    texts = header_texts(table, headers)
    for rel, text in texts.items():
        path = os.path.join(include_root, rel)
        old = None
        if os.path.isfile(path):
            with open(path, encoding="utf-8") as f:
                old = f.read()
        if old != text:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            changed.append(path)
    if headers is None:
        for path in _orphans(include_root, texts):
            os.remove(path)
            changed.append(path)
    return changed


def _orphans(include_root: str, texts: dict) -> list:
    """Files in the generated headers' folder that no family writes."""
    folder = os.path.join(include_root, _P)
    if not os.path.isdir(folder):
        return []
    known = {os.path.normpath(os.path.join(include_root, rel)) for rel in texts}
    return sorted(os.path.join(folder, n) for n in os.listdir(folder)
                  if os.path.normpath(os.path.join(folder, n)) not in known)


def stale_headers(include_root: str = RUNTIME_INCLUDE, table: Table = None) -> list:
    """The headers that differ from the table (or are missing), and generated headers the
    table no longer has."""
    texts = header_texts(table)
    stale = []
    for rel, text in texts.items():
        path = os.path.join(include_root, rel)
        if not os.path.isfile(path):
            stale.append(path)
            continue
        with open(path, encoding="utf-8") as f:
            if f.read() != text:
                stale.append(path)
    return stale + _orphans(include_root, texts)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m utensor.kernel_params",
                                description="Write or check the kernel parameter headers "
                                            f"({_P}*.hpp under runtime/include) from the table.")
    g = p.add_mutually_exclusive_group(required=True)
    g.add_argument("--write", action="store_true", help="rewrite the headers")
    g.add_argument("--check", action="store_true", help="exit 1 when a header is stale")
    args = p.parse_args(argv)
    if args.write:
        for path in write_headers():
            print(f"wrote {path}")
        return 0
    stale = stale_headers()
    for path in stale:
        print(f"stale: {path}", file=sys.stderr)
    if stale:
        print("Run `python -m utensor.kernel_params --write` (and commit the headers).", file=sys.stderr)
    return 1 if stale else 0


__all__ = ["ConstArray", "ParamsError", "TABLE", "header_texts", "stale_headers", "write_headers"]

if __name__ == "__main__":
    sys.exit(main())
