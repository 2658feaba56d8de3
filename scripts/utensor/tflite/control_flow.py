"""IF, inlined: both branch subgraphs become guarded operators of subgraph 0.

TFLite's IF(cond, inputs...) runs subgraph `then_subgraph_index` when the bool cond's first
element is true, else `else_subgraph_index`, each taking the IF's inputs as its own and
giving its outputs as the IF's. Here the branches' operators join the main graph, each
marked with the branch it belongs to (`Operator.branch`: the generated code runs it only
when cond has that value); their tensors are appended (a branch input is the IF's input
itself); and the IF becomes an operator that copies the taken branch's outputs into its
own (as TFLite Micro copies a branch subgraph's outputs out). The memory plan sees both
branches one after the other, which is conservative and needs no new planning rules.
Nested control flow, stateful branches and branch I/O that disagrees with the IF are
refused, naming the operator.
"""

from typing import List

from .. import ir

_NESTED = {"CALL", "IF", "WHILE", "CALL_ONCE", "VAR_HANDLE", "READ_VARIABLE", "ASSIGN_VARIABLE"}


def _inline_subgraph(reader, tensors: List[ir.Tensor], index: int, where: str, owner: str, part: str,
                     prefix: str, outer_inputs: List[int], first_index: int):
    """Subgraph `index` (the `part` of `owner`) brought into subgraph 0: its inputs become
    `outer_inputs` (same dtypes and shapes), its other tensors are appended to `tensors`
    (names prefixed), its operators renumbered from `first_index`, each recording its
    origin. Returns (operators, its outputs as subgraph-0 tensors)."""
    from .reader import SUBGRAPH_INPUTS, SUBGRAPH_OPERATORS, SUBGRAPH_OUTPUTS, SUBGRAPH_TENSORS  # pylint: disable=import-outside-toplevel

    if not 0 < index < len(reader.subgraphs):
        raise reader.bad(f"{where} runs subgraph {index}, but the model has {len(reader.subgraphs)}")
    sg = reader.subgraphs[index]
    tables = sg.tables(SUBGRAPH_TENSORS, "tensors")
    n = len(tables)
    inputs = reader.indices(sg.ints(SUBGRAPH_INPUTS, "i32", "inputs") or [], n, f"subgraph {index}'s inputs")
    outputs = reader.indices(sg.ints(SUBGRAPH_OUTPUTS, "i32", "outputs") or [], n, f"subgraph {index}'s outputs")
    inner = [reader.read_tensor(i, t) for i, t in enumerate(tables)]
    ops = [reader.read_operator(i, t, n) for i, t in enumerate(sg.tables(SUBGRAPH_OPERATORS, "operators"))]
    for op in ops:
        if op.op_type in _NESTED:
            raise reader.unsupported(f"{where}: its {part} (subgraph {index}) contains {op.op_type}",
                                     "utensor inlines IF and WHILE without nested control flow or resource variables.")
    if any(t.is_variable for t in inner):
        raise reader.unsupported(f"{where}: its {part} (subgraph {index}) has variable tensors",
                                 "stateful operators inside IF and WHILE are not supported.")
    if len(inputs) != len(outer_inputs):
        raise reader.bad(f"{where}: its {part} (subgraph {index}) has {len(inputs)} inputs for {len(outer_inputs)}")
    mapping = {}
    for k, (i, o) in enumerate(zip(inputs, outer_inputs)):
        a, b = tensors[o], inner[i]
        if a.dtype != b.dtype or tuple(a.shape) != tuple(b.shape):
            raise reader.unsupported(
                f"{where}: input {k} is {a.dtype}{list(a.shape)} but its {part} (subgraph {index}) takes "
                f"{b.dtype}{list(b.shape)}", "IF and WHILE with dynamic shapes are not supported.")
        mapping[i] = o
    for j, t in enumerate(inner):
        if j not in mapping:
            t.index = len(tensors)
            t.name = f"{prefix}/{t.name}"
            tensors.append(t)
            mapping[j] = t.index
    for k, op in enumerate(ops):
        op.inputs = [mapping[i] if i >= 0 else i for i in op.inputs]
        op.outputs = [mapping[i] for i in op.outputs]
        op.origin = f"operator {op.index} of subgraph {index}, the {part} of {owner}"
        op.index = first_index + k
    return ops, [mapping[o] for o in outputs]


def inline_ifs(reader, tensors: List[ir.Tensor], operators: List[ir.Operator]) -> List[ir.Operator]:
    """`operators` with every IF replaced by its guarded branches and its output copy."""
    next_index = max((op.index for op in operators), default=-1) + 1
    result = []
    for op in operators:
        if op.op_type != "IF":
            result.append(op)
            continue
        where = f"operator {op.index} (IF)"
        if len(op.inputs) < 1 or op.inputs[0] < 0:
            raise reader.bad(f"{where} has no condition input")
        cond = tensors[op.inputs[0]]
        if cond.dtype != "bool" or cond.num_elements < 1:
            raise reader.unsupported(f"{where} has a {cond.dtype}{list(cond.shape)} condition",
                                     "TFLite Micro's IF takes a bool condition; compute it with a comparison.")
        branch_outs = []
        for value, key in ((True, "then_subgraph_index"), (False, "else_subgraph_index")):
            index = int(op.options.get(key, -1))
            name = "then" if value else "else"
            b_ops, outs = _inline_subgraph(reader, tensors, index, where, f"IF operator {op.index}",
                                           f"{name} branch", f"if{op.index}_{name}", op.inputs[1:], next_index)
            next_index += len(b_ops)
            if len(outs) != len(op.outputs):
                raise reader.bad(f"{where}: subgraph {index} has {len(outs)} outputs for the IF's {len(op.outputs)}")
            for k, (o, y) in enumerate(zip(outs, op.outputs)):
                a, b = tensors[o], tensors[y]
                if a.dtype != b.dtype or a.nbytes != b.nbytes:
                    raise reader.unsupported(
                        f"{where}: output {k} is {b.dtype}{list(b.shape)} but subgraph {index} gives "
                        f"{a.dtype}{list(a.shape)}", "IF branches with other output shapes are not supported.")
            for b_op in b_ops:
                b_op.branch = (op.inputs[0], value)
            result += b_ops
            branch_outs.append(outs)
        result.append(ir.Operator(index=op.index, op_type="IF", inputs=[op.inputs[0]] + branch_outs[0] + branch_outs[1],
                                  outputs=list(op.outputs), options={}, version=op.version))
    return result


def inline_whiles(reader, tensors: List[ir.Tensor], operators: List[ir.Operator]) -> List[ir.Operator]:
    """`operators` with every WHILE replaced by its loop: an entry copy of the initial values
    into the loop variables (the WHILE's outputs), then, marked as one loop
    (`Operator.loop`), the condition subgraph's operators, a test that leaves the loop when
    the condition is false, the body's operators, and a copy of the body's results into the
    loop variables. The memory plan keeps everything the loop reads from outside it, and the
    loop variables, live across the whole loop (planner.py)."""
    next_index = max((op.index for op in operators), default=-1) + 1
    result = []
    for op in operators:
        if op.op_type != "WHILE" or "role" in op.options:
            result.append(op)
            continue
        where = f"operator {op.index} (WHILE)"
        if len(op.inputs) != len(op.outputs) or any(i < 0 for i in op.inputs):
            raise reader.bad(f"{where} has {len(op.inputs)} inputs and {len(op.outputs)} outputs; they must pair up")
        loop_vars = list(op.outputs)
        for k, (x, y) in enumerate(zip(op.inputs, op.outputs)):
            a, b = tensors[x], tensors[y]
            if a.dtype != b.dtype or tuple(a.shape) != tuple(b.shape):
                raise reader.unsupported(
                    f"{where}: loop variable {k} enters as {a.dtype}{list(a.shape)} and leaves as "
                    f"{b.dtype}{list(b.shape)}", "WHILE loops whose variables change shape are not supported.")
        result.append(ir.Operator(index=op.index, op_type="WHILE", inputs=list(op.inputs), outputs=loop_vars,
                                  options={"role": "enter"}, version=op.version))
        parts = {}
        for role, key in (("cond", "cond_subgraph_index"), ("body", "body_subgraph_index")):
            index = int(op.options.get(key, -1))
            s_ops, outs = _inline_subgraph(reader, tensors, index, where, f"WHILE operator {op.index}", role,
                                           f"while{op.index}_{role}", loop_vars, next_index)
            next_index += len(s_ops)
            want = 1 if role == "cond" else len(loop_vars)
            if len(outs) != want:
                raise reader.bad(f"{where}: its {role} subgraph {index} has {len(outs)} outputs; expected {want}")
            for s_op in s_ops:
                s_op.loop = op.index
            parts[role] = (s_ops, outs)
        cond_ops, (cond_t,) = parts["cond"]
        if tensors[cond_t].dtype != "bool":
            raise reader.unsupported(f"{where}: its condition is {tensors[cond_t].dtype}",
                                     "TFLite Micro's WHILE takes a bool condition.")
        body_ops, body_outs = parts["body"]
        for k, (o, y) in enumerate(zip(body_outs, loop_vars)):
            if o in loop_vars and o != y:
                raise reader.unsupported(f"{where}: its body returns loop variable {loop_vars.index(o)} as variable {k}",
                                         "WHILE bodies that permute their variables are not supported.")
        result += cond_ops
        result.append(ir.Operator(index=op.index, op_type="WHILE", inputs=[cond_t], outputs=[],
                                  options={"role": "test"}, version=op.version, loop=op.index))
        result += body_ops
        result.append(ir.Operator(index=op.index, op_type="WHILE", inputs=list(body_outs), outputs=list(loop_vars),
                                  options={"role": "next"}, version=op.version, loop=op.index))
    return result
