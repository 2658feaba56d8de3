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


def inline_ifs(reader, tensors: List[ir.Tensor], operators: List[ir.Operator]) -> List[ir.Operator]:
    """`operators` with every IF replaced by its guarded branches and its output copy."""
    if not any(op.op_type == "IF" for op in operators):
        return operators
    from .reader import SUBGRAPH_INPUTS, SUBGRAPH_OPERATORS, SUBGRAPH_OUTPUTS, SUBGRAPH_TENSORS  # pylint: disable=import-outside-toplevel

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
            if not 0 < index < len(reader.subgraphs):
                raise reader.bad(f"{where} runs subgraph {index}, but the model has {len(reader.subgraphs)}")
            sg = reader.subgraphs[index]
            tables = sg.tables(SUBGRAPH_TENSORS, "tensors")
            n = len(tables)
            b_inputs = reader.indices(sg.ints(SUBGRAPH_INPUTS, "i32", "inputs") or [], n, f"subgraph {index}'s inputs")
            b_outputs = reader.indices(sg.ints(SUBGRAPH_OUTPUTS, "i32", "outputs") or [], n, f"subgraph {index}'s outputs")
            b_tensors = [reader.read_tensor(i, t) for i, t in enumerate(tables)]
            b_ops = [reader.read_operator(i, t, n) for i, t in enumerate(sg.tables(SUBGRAPH_OPERATORS, "operators"))]
            if len(b_inputs) != len(op.inputs) - 1 or len(b_outputs) != len(op.outputs):
                raise reader.bad(f"{where}: subgraph {index} has {len(b_inputs)} inputs and "
                                 f"{len(b_outputs)} outputs for the IF's {len(op.inputs) - 1} and {len(op.outputs)}")
            for b_op in b_ops:
                if b_op.op_type in _NESTED:
                    raise reader.unsupported(f"{where}: its branch (subgraph {index}) contains {b_op.op_type}",
                                             "utensor inlines IF branches without nested control flow or resource variables.")
            if any(t.is_variable for t in b_tensors):
                raise reader.unsupported(f"{where}: its branch (subgraph {index}) has variable tensors",
                                         "stateful operators inside an IF branch are not supported.")
            mapping = {}
            for k, b in enumerate(b_inputs):
                outer = tensors[op.inputs[k + 1]]
                inner = b_tensors[b]
                if outer.dtype != inner.dtype or tuple(outer.shape) != tuple(inner.shape):
                    raise reader.unsupported(
                        f"{where}: input {k + 1} is {outer.dtype}{list(outer.shape)} but subgraph {index} "
                        f"takes {inner.dtype}{list(inner.shape)}", "IF branches with other input shapes "
                        "(dynamic shapes) are not supported.")
                mapping[b] = op.inputs[k + 1]
            for j, t in enumerate(b_tensors):
                if j not in mapping:
                    t.index = len(tensors)
                    t.name = f"if{op.index}_{'then' if value else 'else'}/{t.name}"
                    tensors.append(t)
                    mapping[j] = t.index
            for b_op in b_ops:
                b_op.inputs = [mapping[i] if i >= 0 else i for i in b_op.inputs]
                b_op.outputs = [mapping[i] for i in b_op.outputs]
                b_op.origin = (f"operator {b_op.index} of subgraph {index}, the "
                               f"{'then' if value else 'else'} branch of IF operator {op.index}")
                b_op.index = next_index
                b_op.branch = (op.inputs[0], value)
                next_index += 1
                result.append(b_op)
            outs = [mapping[b] for b in b_outputs]
            for k, (o, y) in enumerate(zip(outs, op.outputs)):
                a, b = tensors[o], tensors[y]
                if a.dtype != b.dtype or a.nbytes != b.nbytes:
                    raise reader.unsupported(
                        f"{where}: output {k} is {b.dtype}{list(b.shape)} but subgraph {index} gives "
                        f"{a.dtype}{list(a.shape)}", "IF branches with other output shapes are not supported.")
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
    if not any(op.op_type == "WHILE" for op in operators):
        return operators
    from .reader import SUBGRAPH_INPUTS, SUBGRAPH_OPERATORS, SUBGRAPH_OUTPUTS, SUBGRAPH_TENSORS  # pylint: disable=import-outside-toplevel

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
            if not 0 < index < len(reader.subgraphs):
                raise reader.bad(f"{where} runs subgraph {index}, but the model has {len(reader.subgraphs)}")
            sg = reader.subgraphs[index]
            tables = sg.tables(SUBGRAPH_TENSORS, "tensors")
            n = len(tables)
            s_inputs = reader.indices(sg.ints(SUBGRAPH_INPUTS, "i32", "inputs") or [], n, f"subgraph {index}'s inputs")
            s_outputs = reader.indices(sg.ints(SUBGRAPH_OUTPUTS, "i32", "outputs") or [], n, f"subgraph {index}'s outputs")
            s_tensors = [reader.read_tensor(i, t) for i, t in enumerate(tables)]
            s_ops = [reader.read_operator(i, t, n) for i, t in enumerate(sg.tables(SUBGRAPH_OPERATORS, "operators"))]
            want = 1 if role == "cond" else len(loop_vars)
            if len(s_inputs) != len(loop_vars) or len(s_outputs) != want:
                raise reader.bad(f"{where}: its {role} subgraph {index} has {len(s_inputs)} inputs and "
                                 f"{len(s_outputs)} outputs; expected {len(loop_vars)} and {want}")
            for s_op in s_ops:
                if s_op.op_type in _NESTED:
                    raise reader.unsupported(f"{where}: its {role} (subgraph {index}) contains {s_op.op_type}",
                                             "utensor inlines WHILE loops without nested control flow or resource variables.")
            if any(t.is_variable for t in s_tensors):
                raise reader.unsupported(f"{where}: its {role} (subgraph {index}) has variable tensors",
                                         "stateful operators inside a WHILE loop are not supported.")
            mapping = {}
            for k, s in enumerate(s_inputs):
                inner, outer = s_tensors[s], tensors[loop_vars[k]]
                if inner.dtype != outer.dtype or tuple(inner.shape) != tuple(outer.shape):
                    raise reader.unsupported(
                        f"{where}: loop variable {k} is {outer.dtype}{list(outer.shape)} but its {role} takes "
                        f"{inner.dtype}{list(inner.shape)}", "WHILE loops with dynamic shapes are not supported.")
                mapping[s] = loop_vars[k]
            for j, t in enumerate(s_tensors):
                if j not in mapping:
                    t.index = len(tensors)
                    t.name = f"while{op.index}_{role}/{t.name}"
                    tensors.append(t)
                    mapping[j] = t.index
            for s_op in s_ops:
                s_op.inputs = [mapping[i] if i >= 0 else i for i in s_op.inputs]
                s_op.outputs = [mapping[i] for i in s_op.outputs]
                s_op.origin = f"operator {s_op.index} of subgraph {index}, the {role} of WHILE operator {op.index}"
                s_op.index = next_index
                s_op.loop = op.index
                next_index += 1
            parts[role] = (s_ops, [mapping[o] for o in s_outputs])
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
