"""Emit C++ for a planned graph: `<name>.hpp`, `<name>.cpp`, and the model registry.

All C++ text lives in jinja2 templates under templates/; this module builds the typed view
model they render (TensorView, OpContext, ConstantArray) and formats numbers exactly.
"""

import hashlib
import os
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

import jinja2
import numpy as np

from . import firmware_ram, kernel_params, naming
from .cformat import carray, cdouble, cfloat, cint, cstring
from .cstruct import ParamsError, StructInit

from .ir import Graph, Tensor, ctype, DTYPES
from .errors import UnsupportedError
from .ops import KernelCall
from .planner import MemoryPlan
from .version import VERSION_NUMBER, __version__

TEMPLATE_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "templates")
MAX_IO_RANK = 4  # utensor::TensorShape and TensorDescriptor::dims (runtime/include/utensor/model.hpp)


# ---- the view model ----

@dataclass(frozen=True)
class Addressing:
    """Where a plan offset lies in the generated code. A stateless model's plan is one
    arena, addressed from `arena`. A stateful model's state region (the plan's first
    state_bytes) is addressed from `state`, the rest (its scratch) from `arena`, that many
    bytes lower: run(state, arena) then works on one buffer (state first, scratch behind
    it: a buffer handed in, the model's own static arena) and on two apart (--shared-arena:
    the model's own state buffer, the folder's shared scratch arena)."""

    state_bytes: int = 0

    def split(self, offset: int):
        """(in the state region, offset from its base)."""
        if self.state_bytes and offset < self.state_bytes:
            return True, offset
        return False, offset - self.state_bytes

    def expr(self, offset: int, state: str = "state", arena: str = "arena") -> str:
        in_state, rel = self.split(offset)
        return f"{state if in_state else arena} + {rel}"


class TensorView:
    """A tensor as templates see it. Reading .ptr of a constant marks it for emission."""

    def __init__(self, tensor: Tensor, offset: Optional[int], used_constants: set,
                 addressing: Addressing = Addressing()):
        self.index = tensor.index
        self.name = tensor.name
        self.dtype = tensor.dtype
        self.ctype = ctype(tensor.dtype)
        self.shape = tuple(tensor.shape)
        self.num_elements = tensor.num_elements
        self.nbytes = tensor.nbytes
        self.quant = tensor.quant
        self.is_constant = tensor.is_constant
        self.data = tensor.data
        self._offset = offset
        self._used = used_constants
        self._addressing = addressing

    @property
    def ptr(self) -> str:
        if self.is_constant:
            self._used.add(self.index)
            return f"kT{self.index}"
        return f"reinterpret_cast<{self.ctype}*>({self.address})"

    @property
    def address(self) -> str:
        """Its first byte (uint8_t*) in run(): in the state or the scratch."""
        return self._addressing.expr(self._offset)

    @property
    def offset(self) -> Optional[int]:
        return self._offset


@dataclass
class OpContext:
    sym: str
    op: object
    p: dict
    ins: List[Optional[TensorView]]
    outs: List[TensorView]
    scratch: str
    # Names of the kernel parameter structs initialized so far (the model checks their
    # layouts at compile time).
    used_structs: set = field(default_factory=set)

    def struct(self, name: str, values: dict, overrides: Optional[dict] = None) -> StructInit:
        """The initializer of table struct `name` (kernel_params.py) from `values` by field
        name, plus `overrides` (symbols the template supplies); templates/ops/_params.j2
        renders it."""
        return kernel_params.TABLE.initializer(name, values, self.sym, overrides, self.used_structs)

    def kernel_header(self, name: str) -> str:
        """The kernel header declaring the functions that take table struct `name`."""
        return kernel_params.TABLE.struct(name).family.kernel_header

    def namespace(self, name: str) -> str:
        return kernel_params.TABLE.struct(name).namespace


@dataclass
class ConstantArray:
    sym: str
    name: str
    ctype: str
    shape: tuple
    count: int
    nbytes: int
    body: str


@dataclass
class RenderedOp:
    index: int
    op_type: str
    summary: str
    decl: str
    call: str
    guard_paint: Sequence[str] = ()  # canaries (addresses in run()) painted before the call (guarded plans)
    guard_check: Sequence[int] = ()  # scratch canary offsets checked after it (state ones: every step)


def _guard_offsets(plan: MemoryPlan, n_ops: int, addressing: Addressing):
    """Canaries painted at the start and per step before the operator (addresses in run()),
    the scratch canaries checked after each operator (offsets from the scratch), and the
    state canaries, live at every step, checked after each (offsets from the state); see
    runtime/include/utensor/guard.hpp."""
    canary = {id(b): b.offset + b.size - b.guard for b in plan.buffers}
    start = [addressing.expr(o) for o in sorted(canary[id(b)] for b in plan.buffers if b.first < 0)]
    paint = [[addressing.expr(o) for o in sorted(canary[id(b)] for b in plan.buffers if b.first == k)]
             for k in range(n_ops)]
    state = [addressing.split(o)[1] for o in sorted(canary[id(b)] for b in plan.buffers)
             if addressing.split(o)[0]]
    check = [[addressing.split(o)[1] for o in sorted(canary[id(b)] for b in plan.buffers if b.first <= k <= b.last)
              if not addressing.split(o)[0]] for k in range(n_ops)]
    return start, paint, check, state


@dataclass
class TensorDesc:
    name: str
    accessor: str
    member: str
    dtype_enum: str
    ctype: str
    rank: int
    shape: tuple
    dims4: tuple
    scale: str
    zero_point: int
    nbytes: int
    offset: int  # from the start of the scratch (in_state: of the state)
    # `input_<i>` / `output_<i>`: the accessor by position, emitted beside the named one
    # (empty when the named accessor already is that).
    positional: str = ""
    # Inputs: invoke() overwrites its bytes (another tensor is planned over them).
    consumed: bool = False
    # Outputs: the inputs whose bytes it shares (it is written over them).
    aliases: Sequence[str] = ()
    in_state: bool = False


@dataclass
class EmittedModel:
    header_name: str
    source_name: str
    header: str
    source: str
    weight_bytes: int
    arena_bytes: int
    state_bytes: int = 0


@dataclass
class StateFill:
    """One state tensor as reset() refills it."""
    name: str
    offset: int
    nbytes: int
    byte: int
    on_reset: bool = True  # False: set by the constructor only (CALL_ONCE's flag)


def _state_fills(graph: Graph, plan: MemoryPlan) -> List[StateFill]:
    return [StateFill(cstring(graph.tensor(t).name), plan.tensor_offset[t], graph.tensor(t).nbytes,
                      graph.tensor(t).reset_byte(), not graph.tensor(t).keep_on_reset)
            for t in plan.state_tensors]


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        autoescape=False,
    )
    env.filters["cfloat"] = cfloat
    env.filters["cdouble"] = cdouble
    env.filters["cint"] = cint
    env.filters["carray"] = carray
    return env


_ENV = None


def environment() -> jinja2.Environment:
    global _ENV
    if _ENV is None:
        _ENV = _environment()
    return _ENV


def _tensor_descs(graph: Graph, plan: MemoryPlan, indices: Sequence[int], kind: str,
                  addressing: Addressing) -> List[TensorDesc]:
    descs = []
    seen = set()
    for pos, t_index in enumerate(indices):
        t = graph.tensor(t_index)
        accessor = f"{kind}_{naming.tensor_accessor(t.name, pos, graph.io_names.get(t_index, ''))}"
        while accessor in seen:
            accessor += "_"
        seen.add(accessor)
        positional = f"{kind}_{pos}"
        shape = tuple(t.shape) or (1,)
        if len(shape) > MAX_IO_RANK:
            raise UnsupportedError(
                f"{graph.source_path or graph.name}: model {kind} '{t.name}' has rank {len(shape)} "
                f"(shape {list(shape)}); utensor's tensors and model descriptor hold up to "
                f"{MAX_IO_RANK} dimensions. Reshape it to at most {MAX_IO_RANK} dimensions in the model "
                "(inside the graph, higher ranks are fine where the operators support them)."
            )
        q = t.quant
        descs.append(
            TensorDesc(
                name=cstring(t.name),
                accessor=accessor,
                member=f"{kind}{pos}_",
                dtype_enum=DTYPES[t.dtype][2],
                ctype=ctype(t.dtype),
                rank=len(shape),
                shape=shape,
                dims4=tuple(shape) + (1,) * (4 - len(shape)),
                scale=cfloat(q.scale[0]) if q and q.scale else "0.0f",
                zero_point=int(q.zero_point[0]) if q and q.zero_point else 0,
                nbytes=t.nbytes,
                offset=addressing.split(plan.tensor_offset[t_index])[1],
                positional="" if accessor == positional else positional,
                in_state=addressing.split(plan.tensor_offset[t_index])[0],
            )
        )
    return descs


def _declare_aliasing(graph: Graph, plan: MemoryPlan, inputs: List[TensorDesc],
                      outputs: List[TensorDesc]) -> None:
    """Mark the inputs invoke() overwrites and the outputs that share their bytes.

    Two buffers that share bytes are never live at once (or are an in-place pair), so an
    input whose bytes any other buffer also uses is overwritten once that buffer is
    written; an input living to the end (--keep-inputs) shares bytes with none."""
    buffer_of = {t: b for b in plan.buffers for t in b.tensors}

    def overlap(a, b) -> bool:
        return a is not b and a.offset < b.offset + b.size and b.offset < a.offset + a.size

    for desc, t_index in zip(inputs, graph.inputs):
        b = buffer_of.get(t_index)
        desc.consumed = b is not None and any(overlap(b, o) for o in plan.buffers)
    for desc, t_index in zip(outputs, graph.outputs):
        ob = buffer_of.get(t_index)
        desc.aliases = [i.accessor for i, i_index in zip(inputs, graph.inputs)
                        if ob is not None and buffer_of.get(i_index) is not None
                        and (buffer_of[i_index] is ob or overlap(ob, buffer_of[i_index]))]


@dataclass
class LayerDesc:
    step: int
    op_index: int
    tensor_index: int
    op_type: str
    t: TensorDesc


def _layer_descs(graph: Graph, plan: MemoryPlan, addressing: Addressing) -> List[LayerDesc]:
    """Every operator output (`utensor verify --layers`); ranks above 4 folded into the
    first dimension, names cut to the 64 bytes the harness reports."""
    layers = []
    for step, op in enumerate(graph.operators):
        for t_index in op.outputs:
            t = graph.tensor(t_index)
            shape = tuple(t.shape) or (1,)
            if len(shape) > MAX_IO_RANK:
                shape = (int(np.prod(shape[:len(shape) - MAX_IO_RANK + 1])),) + shape[len(shape) - MAX_IO_RANK + 1:]
            q = t.quant
            desc = TensorDesc(
                name=cstring(t.name[:64]), accessor="", member="", dtype_enum=DTYPES[t.dtype][2],
                ctype=ctype(t.dtype), rank=len(shape), shape=shape, dims4=shape + (1,) * (4 - len(shape)),
                scale=cfloat(q.scale[0]) if q and q.scale else "0.0f",
                zero_point=int(q.zero_point[0]) if q and q.zero_point else 0,
                nbytes=t.nbytes, offset=addressing.split(plan.tensor_offset[t_index])[1],
                in_state=addressing.split(plan.tensor_offset[t_index])[0],
            )
            layers.append(LayerDesc(step, op.index, t_index, cstring(op.op_type), desc))
    return layers


def emit_model(graph: Graph, calls: Sequence[KernelCall], plan: MemoryPlan,
               layer_hooks: bool = False, layer_table: bool = False) -> EmittedModel:
    """layer_hooks: after every operator, call UTENSOR_LAYER_HOOK(index) when the build
    defines that macro (`utensor bench` per-layer counts); off: the usual output.
    layer_table: also describe every operator output as utensor_layers_<name> (see
    utensor/layer_table.hpp; implies layer_hooks)."""
    layer_hooks = layer_hooks or layer_table
    env = environment()
    used: set = set()
    views: Dict[int, TensorView] = {}
    addressing = Addressing(plan.state_bytes)

    def view(i: int) -> Optional[TensorView]:
        if i < 0:
            return None
        if i not in views:
            views[i] = TensorView(graph.tensor(i), plan.tensor_offset.get(i), used, addressing)
        return views[i]

    rendered: List[RenderedOp] = []
    includes: List[str] = []
    used_structs: set = set()
    guarded = plan.guard_bytes > 0
    guard_start, guard_paint, guard_check, guard_state = _guard_offsets(plan, len(graph.operators), addressing)
    for step, (op, call) in enumerate(zip(graph.operators, calls)):
        scratch = plan.scratch_offset.get(step)
        ctx = OpContext(
            sym=f"op{step}",
            op=op,
            p=call.params,
            ins=[view(i) for i in op.inputs],
            outs=[view(i) for i in op.outputs],
            scratch=f"({addressing.expr(scratch)})" if scratch is not None else "nullptr",
            used_structs=used_structs,
        )
        module = env.get_template(call.template).module
        streamed = plan.streamed.get(step)
        try:
            decl = str(module.decl(ctx)).strip()
        except ParamsError as e:
            raise ParamsError(f"operator #{op.index} {op.op_type} ({call.template}): {e}") from None
        op_includes = str(module.includes(ctx)).strip().splitlines()
        if streamed is not None:
            op_includes.append('#include "utensor/kernels/row_stream.hpp"')
        for line in op_includes:
            if line.strip() and line.strip() not in includes:
                includes.append(line.strip())
        shapes = " x ".join(
            "x".join(str(d) for d in graph.tensor(t).shape) for t in op.outputs
        )
        rendered.append(
            RenderedOp(
                index=op.index,
                op_type=op.op_type,
                summary=(f"op{step}: {op.op_type} -> {shapes} ({op.origin})" if op.origin else
                         f"op{step}: operator #{op.index} of the model, {op.op_type} -> {shapes}"),
                decl=decl,
                call=_in_branch(graph, op, view, _render_call(env, module, ctx, streamed, addressing)),
                guard_paint=guard_paint[step] if guarded else (),
                guard_check=guard_check[step] if guarded else (),
            )
        )

    layout_checks = kernel_params.TABLE.layout_checks(used_structs)
    if layout_checks:
        includes.append('#include "utensor/kernels/params_check.hpp"')

    constants = []
    for i in sorted(used):
        t = graph.tensor(i)
        data = np.ascontiguousarray(t.data, dtype=np.dtype(DTYPES[t.dtype][0]))
        if data.dtype == np.bool_:
            data = data.astype(np.uint8)
        constants.append(
            ConstantArray(
                sym=f"kT{i}",
                name=cstring(t.name),
                ctype=ctype(t.dtype),
                shape=tuple(t.shape),
                count=max(1, data.size),
                nbytes=t.nbytes,
                body=carray(data if data.size else np.zeros(1, data.dtype)),
            )
        )
    weight_bytes = sum(c.nbytes for c in constants)

    cls = naming.class_name(graph.name)
    inputs = _tensor_descs(graph, plan, graph.inputs, "input", addressing)
    outputs = _tensor_descs(graph, plan, graph.outputs, "output", addressing)
    _declare_aliasing(graph, plan, inputs, outputs)
    upper = graph.name.upper()
    src_base = os.path.basename(graph.source_path) if graph.source_path else graph.name
    common = dict(
        name=graph.name,
        cls=cls,
        version=__version__,
        version_number=VERSION_NUMBER,
        source=cstring(src_base),
        sha256=graph.source_sha256,
        arena_bytes=max(plan.arena_bytes, 16),
        plan_lower_bound=plan.lower_bound,
        weight_bytes=weight_bytes,
        inputs=inputs,
        outputs=outputs,
        header_name=f"{graph.name}.hpp",
        guard=f"UTENSOR_MODEL_{graph.name.upper()}_HPP",
        header_id_macro=f"UTENSOR_MODEL_{graph.name.upper()}_HEADER_ID",
        num_ops=len(graph.operators),
        inputs_kept=not any(i.consumed for i in inputs),
        consumed_inputs=[i.accessor for i in inputs if i.consumed],
        global_alias=not naming.needs_namespace_only(cls),
        arena_attr=f"UTENSOR_MODEL_{upper}_ARENA_ATTRIBUTE",
        state_attr=f"UTENSOR_MODEL_{upper}_STATE_ATTRIBUTE",
        # --shared-arena with state: the state has a buffer of its own, apart from the
        # folder's shared (scratch) arena.
        state_sym=f"utensor_state_{graph.name}",
        shared_arena=graph.shared_arena,
        weights_attr=f"UTENSOR_MODEL_{upper}_WEIGHTS_ATTRIBUTE",
        state_bytes=plan.state_bytes,
        state_fills=_state_fills(graph, plan),
    )
    # The .cpp checks it was generated with the header beside it (a conversion killed
    # between the two renames would otherwise pair a new header with an old source). The
    # id hashes the header's own text, so it changes only when the header does and
    # includers recompile no more often than before.
    placeholder = "0x0000000000000000ull"
    header = env.get_template("model.hpp.j2").render(header_id=placeholder, **common)
    header_id = "0x" + hashlib.sha256(header.encode("utf-8")).hexdigest()[:16] + "ull"
    header = header.replace(placeholder, header_id)
    common["header_id"] = header_id
    source = env.get_template("model.cpp.j2").render(
        includes=includes, layout_checks=layout_checks, constants=constants, ops=rendered,
        layer_hooks=layer_hooks,
        layer_table=layer_table, layers=_layer_descs(graph, plan, addressing) if layer_table else [],
        arena_guard=guarded, guard_start=guard_start, guard_state=guard_state if guarded else [], **common
    )
    return EmittedModel(
        header_name=f"{graph.name}.hpp",
        source_name=f"{graph.name}.cpp",
        header=header,
        source=source,
        weight_bytes=weight_bytes,
        arena_bytes=common["arena_bytes"],
        state_bytes=plan.state_bytes,
    )


def _in_branch(graph, op, view, call: str) -> str:
    """`call`, run only when its IF branch is taken (op.branch: condition, value)."""
    if op.branch is None:
        return call
    cond, value = op.branch
    test = f"{view(cond).ptr}[0]" if value else f"!{view(cond).ptr}[0]"
    body = "\n".join("  " + line if line else line for line in call.splitlines())
    return f"if ({test}) {{  // IF branch: {'then' if value else 'else'}\n{body}\n}}"


def _render_call(env, module, ctx: OpContext, streamed, addressing: Addressing) -> str:
    if streamed is None:
        return str(module.call(ctx)).strip()
    # In place: the same kernel call, once per output row, through run_rows_in_place.
    band_call = str(module.call_with(ctx, "band_params", "band_in", "band_out")).strip()
    return env.get_template("row_stream.j2").render(
        c=ctx, s=streamed, band_call=band_call, input=ctx.ins[0], output=ctx.outs[0],
        staging=addressing.expr(streamed.staging_offset),
    ).strip()


def emit_shared_arena(models: Sequence[dict]) -> str:
    """utensor_shared_arena.cpp for manifest entries converted with --shared-arena: sized
    for the largest scratch (a stateful model keeps its state in a buffer of its own)."""
    models = [dict(m, scratch_bytes=firmware_ram.scratch_bytes(m)) for m in models]
    return environment().get_template("shared_arena.cpp.j2").render(
        models=models, bytes=max(m["scratch_bytes"] for m in models), version=__version__)


def emit_registry(model_names: Sequence[str]) -> str:
    return environment().get_template("registry.cpp.j2").render(
        models=list(model_names), version=__version__
    )
