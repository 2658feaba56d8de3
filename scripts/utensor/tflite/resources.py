"""Resource variables (VAR_HANDLE, READ_VARIABLE, ASSIGN_VARIABLE) and CALL_ONCE with its
init subgraph, turned into the IR's state tensors.

TFLite keeps a resource variable behind a handle: VAR_HANDLE names it (container,
shared_name), READ_VARIABLE copies its value out, ASSIGN_VARIABLE copies a value in, and
CALL_ONCE runs an init subgraph (of VAR_HANDLE and ASSIGN_VARIABLE with constants) on the
first invoke. Here each variable becomes one variable tensor (`Tensor.is_variable`: the
arena's state region), typed by what is read from or assigned to it; VAR_HANDLE operators
disappear; READ_VARIABLE / ASSIGN_VARIABLE read and write that tensor; CALL_ONCE becomes an
operator whose inputs are a "has run" flag (a variable tensor reset() leaves alone, as
TFLite Micro's reset does not run the init subgraph again) and (variable, constant) pairs
it copies once. Init subgraphs doing anything else are refused.
"""

from typing import Dict, List, Tuple

from .. import ir


def _key(op: ir.Operator) -> Tuple[str, str]:
    return (str(op.options.get("container", "") or ""), str(op.options.get("shared_name", "") or ""))


def _read_init(reader, index: int) -> List[Tuple[Tuple[str, str], ir.Tensor]]:
    """(variable key, constant value) pairs the init subgraph `index` assigns."""
    if not 0 <= index < len(reader.subgraphs):
        raise reader.bad(f"CALL_ONCE runs subgraph {index}, but the model has {len(reader.subgraphs)}")
    sg = reader.subgraphs[index]
    from .reader import SUBGRAPH_OPERATORS, SUBGRAPH_TENSORS  # pylint: disable=import-outside-toplevel

    tables = sg.tables(SUBGRAPH_TENSORS, "tensors")
    tensors = [reader.read_tensor(i, t) for i, t in enumerate(tables)]
    ops = [reader.read_operator(i, t, len(tables)) for i, t in enumerate(sg.tables(SUBGRAPH_OPERATORS, "operators"))]
    handles: Dict[int, Tuple[str, str]] = {}
    pairs = []
    for op in ops:
        if op.op_type == "VAR_HANDLE" and len(op.outputs) == 1:
            handles[op.outputs[0]] = _key(op)
        elif op.op_type == "ASSIGN_VARIABLE" and len(op.inputs) == 2 and op.inputs[0] in handles \
                and tensors[op.inputs[1]].is_constant:
            pairs.append((handles[op.inputs[0]], tensors[op.inputs[1]]))
        else:
            raise reader.unsupported(
                f"the init subgraph {index} of CALL_ONCE has operator {op.index} ({op.op_type})",
                "utensor supports init subgraphs that assign constants to resource variables "
                "(VAR_HANDLE and ASSIGN_VARIABLE only).")
    return pairs


def resolve(reader, tensors: List[ir.Tensor], operators: List[ir.Operator]) -> List[ir.Operator]:
    handles: Dict[int, Tuple[str, str]] = {}
    for op in operators:
        if op.op_type == "VAR_HANDLE":
            if len(op.inputs) != 0 or len(op.outputs) != 1:
                raise reader.bad(f"operator {op.index} (VAR_HANDLE) has {len(op.outputs)} outputs")
            handles[op.outputs[0]] = _key(op)
    canonical: Dict[Tuple[str, str], int] = {}
    for t, key in handles.items():
        canonical.setdefault(key, t)

    def var(op, slot) -> int:
        if slot >= len(op.inputs) or op.inputs[slot] not in handles:
            raise reader.unsupported(f"operator {op.index} ({op.op_type}) reads a resource that no VAR_HANDLE "
                                     "of the main subgraph names", "Convert the model with TensorFlow's "
                                     "converter and experimental_enable_resource_variables.")
        return canonical[handles[op.inputs[slot]]]

    # What each variable holds: from its reads, assignments and initial value.
    typed: Dict[int, ir.Tensor] = {}

    def settle(v: int, like: ir.Tensor, op) -> None:
        seen = typed.setdefault(v, like)
        if (seen.dtype, tuple(seen.shape)) != (like.dtype, tuple(like.shape)):
            raise reader.unsupported(
                f"operator {op.index} ({op.op_type}) uses resource variable {tensors[v].name!r} as "
                f"{like.dtype}{list(like.shape)}, elsewhere {seen.dtype}{list(seen.shape)}",
                "utensor supports resource variables of one fixed type and shape.")

    inits: List[Tuple[ir.Operator, List[Tuple[Tuple[str, str], ir.Tensor]]]] = []
    for op in operators:
        if op.op_type == "READ_VARIABLE":
            settle(var(op, 0), tensors[op.outputs[0]], op)
        elif op.op_type == "ASSIGN_VARIABLE":
            settle(var(op, 0), tensors[op.inputs[1]], op)
        elif op.op_type == "CALL_ONCE":
            index = op.options.get("init_subgraph_index", -1)
            inits.append((op, _read_init(reader, int(index))))
    for op, pairs in inits:
        for key, value in pairs:
            if key in canonical:
                settle(canonical[key], value, op)
    for v, like in typed.items():
        t = tensors[v]
        t.dtype, t.shape, t.quant = like.dtype, tuple(like.shape), like.quant
        t.resource_handle = False
    result = []
    for op in operators:
        if op.op_type == "VAR_HANDLE":
            continue
        if op.op_type in ("READ_VARIABLE", "ASSIGN_VARIABLE"):
            op.inputs = [var(op, 0)] + list(op.inputs[1:])
        elif op.op_type == "CALL_ONCE":
            pairs = next(p for o, p in inits if o is op)
            flag = ir.Tensor(index=len(tensors), name=f"call_once_{op.index}_ran", dtype="int32", shape=(1,),
                             is_variable=True, keep_on_reset=True)
            tensors.append(flag)
            ins = [flag.index]
            for key, value in pairs:
                if key not in canonical:
                    continue  # a variable the main subgraph never uses
                const = ir.Tensor(index=len(tensors), name=f"{value.name}_init", dtype=value.dtype,
                                  shape=tuple(value.shape), quant=value.quant, data=value.data)
                tensors.append(const)
                ins += [canonical[key], const.index]
            op = ir.Operator(index=op.index, op_type="CALL_ONCE", inputs=ins, outputs=[],
                             options={"init": True}, version=op.version)
        result.append(op)
    return result
