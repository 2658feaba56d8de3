"""Lowering of a fused residual block (passes_residual.py makes the operator): CONV_2D ->
CONV_2D -> ADD(conv2, block input) run row by row through
runtime/include/utensor/kernels/residual_block.hpp.

Nothing is computed here that the three operators' own lowerings do not compute: each is
lowered as it would be unfused (so it is validated completely, and its kernel, fast path
and parameters are the same), then the ADD's geometry is cut to one row. The fused
operator is internal (made by the converter, never read from a model), so it is not in
ops.LOWERINGS nor in `utensor ops`.
"""

from dataclasses import dataclass
from typing import Any, List, Optional

from ..ir import Graph, Operator
from . import KernelCall

# The fused operator's type, as `utensor inspect` and the bench name it.
OP_TYPE = "RESIDUAL_BLOCK"
# options key: the (conv1, conv2, add) operators the fused one stands for.
BLOCK = "utensor_residual_block"
# options key: how many conv1 rows the buffer holds (default: the window, the least; more
# rows shift the window less often, passes_residual.py gives it what the arena has room for).
CAPACITY = "utensor_residual_rows"
ALIGN = 16


def _align(n: int) -> int:
    return (n + ALIGN - 1) // ALIGN * ALIGN


class _RowView:
    """A row pointer (a C++ expression) where a template expects a tensor view."""

    def __init__(self, ptr: str):
        self.ptr = ptr


@dataclass
class BlockParts:
    """What templates/ops/residual_block.j2 renders: the three operators' own lowerings
    and where their buffers lie in the fused operator's scratch."""

    ops: List[Operator]  # conv1, conv2, add
    calls: List[KernelCall]  # their lowerings (the ADD's cut to one row)
    ctype: str
    rows_offset: int  # conv1's row window
    conv_row_offset: int  # conv2's output row
    conv_scratch_offset: int  # the convolutions' own scratch (one at a time)
    add_first_is_conv: bool  # ADD(conv2, x), else ADD(x, conv2)
    window_rows: int
    capacity: int  # rows the conv1 buffer holds (>= window_rows)

    def contexts(self, c) -> List[Any]:
        """One OpContext per part, sharing the fused operator's struct bookkeeping."""
        from ..emitter import OpContext  # pylint: disable=import-outside-toplevel  (emitter imports ops)

        scratch = f"({c.scratch} + {self.conv_scratch_offset})"
        conv1 = OpContext(sym=f"{c.sym}_conv1", op=self.ops[0], p=self.calls[0].params,
                          ins=[c.ins[0], c.ins[1], c.ins[2]], outs=[None], scratch=scratch,
                          used_structs=c.used_structs)
        conv2 = OpContext(sym=f"{c.sym}_conv2", op=self.ops[1], p=self.calls[1].params,
                          ins=[None, c.ins[3], c.ins[4]], outs=[None], scratch=scratch,
                          used_structs=c.used_structs)
        operands = [_RowView("conv_row"), _RowView("x_row")]
        if not self.add_first_is_conv:
            operands.reverse()
        add = OpContext(sym=f"{c.sym}_add", op=self.ops[2], p=self.calls[2].params, ins=operands,
                        outs=[_RowView("y_row")], scratch="nullptr", used_structs=c.used_structs)
        return [conv1, conv2, add]

    def render(self, c, what: str) -> str:
        """'decl', 'includes', or the parts' calls: 'conv1', 'conv2' (on band_params,
        band_in, band_out), 'add' (on conv_row, x_row, y_row)."""
        from ..emitter import environment  # pylint: disable=import-outside-toplevel

        env = environment()
        modules = [env.get_template(call.template).module for call in self.calls]
        ctxs = self.contexts(c)
        if what in ("decl", "includes"):
            return "\n".join(str(getattr(m, what)(x)).strip() for m, x in zip(modules, ctxs))
        if what == "add":
            return str(modules[2].call(ctxs[2])).strip()
        k = 0 if what == "conv1" else 1
        return str(modules[k].call_with(ctxs[k], "band_params", "band_in", "band_out")).strip()


def lower_residual_block(op: Operator, graph: Graph, lower_part) -> KernelCall:
    """`lower_part(op, graph)`: the lowering of one of the parts (the converter's own)."""
    conv1_op, conv2_op, add_op = op.options[BLOCK]
    calls = [lower_part(conv1_op, graph), lower_part(conv2_op, graph), lower_part(add_op, graph)]
    x = graph.tensor(conv1_op.inputs[0])
    mid = graph.tensor(conv1_op.outputs[0])
    y = graph.tensor(add_op.outputs[0])
    itemsize = x.nbytes // max(x.num_elements, 1)
    shape2 = calls[1].params["fields"]["shape"]
    window = (shape2["filter_height"] - 1) * shape2["dilation_height"] + 1
    mid_row = mid.shape[2] * mid.shape[3] * itemsize
    out_row_elems = y.shape[2] * y.shape[3]
    add_call = calls[2]
    fields = dict(add_call.params["fields"])
    fields["shape"] = dict(size=out_row_elems, broadcast=0, dims=[1, 1, 1, 1, 1, out_row_elems],
                           stride1=[0, 0, 0, 0, 0, 1], stride2=[0, 0, 0, 0, 0, 1])
    calls[2] = KernelCall(template=add_call.template, params=dict(add_call.params, fields=fields))
    capacity = max(window, min(int(op.options.get(CAPACITY, window)), mid.shape[1]))
    rows = _align(capacity * mid_row)
    conv_row = _align(out_row_elems * itemsize)
    conv_scratch = max(calls[0].scratch_bytes, calls[1].scratch_bytes)
    parts = BlockParts(ops=[conv1_op, conv2_op, add_op], calls=calls, ctype=_ctype(x.dtype),
                       rows_offset=0, conv_row_offset=rows, conv_scratch_offset=rows + conv_row,
                       add_first_is_conv=add_op.inputs[0] == conv2_op.outputs[0], window_rows=window,
                       capacity=capacity)
    return KernelCall(template="ops/residual_block.j2", params=dict(parts=parts),
                      scratch_bytes=rows + conv_row + _align(conv_scratch) if conv_scratch else rows + conv_row,
                      inplace=(0, 0))


def _ctype(dtype: str) -> str:
    from ..ir import ctype  # pylint: disable=import-outside-toplevel

    return ctype(dtype)


def parts_of(op: Operator) -> Optional[List[Operator]]:
    """The operators a fused block stands for, or None for any other operator."""
    return list(op.options[BLOCK]) if op.op_type == OP_TYPE and BLOCK in op.options else None
