"""int8 SQUARED_DIFFERENCE as TensorFlow Lite Micro computes it (squared_difference.cc
PrepareQuantized with left shift 7, SquaredDifference<int8_t>); called by ops/binary.py,
which lowers the float32 form. Kernel: kernels/squared_difference.hpp."""

from .. import kernel_params
from ..ir import Graph, Operator, Tensor
from ..quantization import f32, multiply_by_quantized_multiplier, quantize_multiplier, quantize_multiplier_smaller_than_one
from . import KernelCall, kernel_call
from ._common import per_tensor

LEFT_SHIFT = 7


def lower_squared_difference_s8(op: Operator, graph: Graph, a: Tensor, b: Tensor, y: Tensor,
                                shape: dict) -> KernelCall:
    s1, z1 = per_tensor(op, graph, a, "input 1")
    s2, z2 = per_tensor(op, graph, b, "input 2")
    so, zo = per_tensor(op, graph, y, "output")
    twice_max = 2.0 * float(max(f32(s1), f32(s2)))
    m1, sh1 = quantize_multiplier_smaller_than_one(float(f32(s1)) / twice_max)
    m2, sh2 = quantize_multiplier_smaller_than_one(float(f32(s2)) / twice_max)
    # (1 << 14) * output scale is a float32 product in TFLM (exact: a power of two).
    mo, sho = quantize_multiplier(twice_max * twice_max / float(f32(1 << (2 * LEFT_SHIFT)) * f32(so)))

    def table(zero_point, mult, shift):
        return kernel_params.ConstArray("int32_t", [
            multiply_by_quantized_multiplier(((b if b < 128 else b - 256) - zero_point) * (1 << LEFT_SHIFT),
                                             mult, shift)
            for b in range(256)], "the byte rescaled, indexed as uint8_t")

    return kernel_call("squared_difference_s8", "SquaredDifferenceS8Params",
                       dict(shape=shape, input1_table=table(z1, m1, sh1), input2_table=table(z2, m2, sh2),
                            output_multiplier=mo, output_shift=sho, output_offset=zo),
                       inputs=(0, 1))


LEFT_SHIFT_S16 = 0  # TFLite Micro's int16 left shift: (2^15)^2 must fit int32


def lower_squared_difference_s16(op: Operator, graph: Graph, a: Tensor, b: Tensor, y: Tensor,
                                 shape: dict) -> KernelCall:
    """int16 as TFLite Micro's PrepareQuantized<int16_t> and SquaredDifference<int16_t>: the
    int8 arithmetic with int16's left shift, computed per element (no 65536-entry tables)."""
    s1, z1 = per_tensor(op, graph, a, "input 1")
    s2, z2 = per_tensor(op, graph, b, "input 2")
    so, zo = per_tensor(op, graph, y, "output")
    twice_max = 2.0 * float(max(f32(s1), f32(s2)))
    m1, sh1 = quantize_multiplier_smaller_than_one(float(f32(s1)) / twice_max)
    m2, sh2 = quantize_multiplier_smaller_than_one(float(f32(s2)) / twice_max)
    mo, sho = quantize_multiplier(twice_max * twice_max / float(f32(1 << (2 * LEFT_SHIFT_S16)) * f32(so)))
    return kernel_call("squared_difference_s16", "SquaredDifferenceS16Params",
                       dict(shape=shape, left_shift=LEFT_SHIFT_S16,
                            input1_offset=-z1, input1_multiplier=m1, input1_shift=sh1,
                            input2_offset=-z2, input2_multiplier=m2, input2_shift=sh2,
                            output_multiplier=mo, output_shift=sho, output_offset=zo),
                       inputs=(0, 1))
