"""User operators: operators the user implements in their own project.

`custom_utensor_user_ops = NAME` in platformio.ini (CLI: `--user-op NAME`) makes every
operator of that name a call of

    utensor::Status utensor_user_op_<NAME>(const utensor::UserOpContext&);

(runtime/include/utensor/custom_op.hpp) with the operator's tensors and options. NAME is a
custom op's custom code (`CUSTOM:Atan` -> `Atan`) or a TFLite builtin name (`GELU`); a
user operator takes precedence over utensor's own lowering of the same name.

`lower(op, graph, user_ops)` is what the converter calls for every operator: the user's
call, utensor's lowering, or the unsupported-operator message naming this option.
"""

import re
from typing import Any, Dict, Iterable, List, Sequence

from ..errors import UnsupportedError, UtensorError
from ..ir import Graph, Operator
from ..cformat import cstring
from . import LOWERINGS, KernelCall

OPTION = "custom_utensor_user_ops"
CLI_OPTION = "--user-op"
FUNCTION_PREFIX = "utensor_user_op_"
_NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


def op_name(op: Operator) -> str:
    """The name a user gives for this operator: custom code, or the builtin name."""
    return op.op_type.split(":", 1)[1] if op.op_type.startswith("CUSTOM:") else op.op_type


def check_names(user_ops: Iterable[str]) -> List[str]:
    """The names, validated: each must make a C++ identifier as given."""
    names = []
    for name in user_ops:
        if name.startswith("CUSTOM:"):
            name = name[len("CUSTOM:"):]
        if not _NAME_RE.fullmatch(name) or "__" in name:
            raise UtensorError(
                f"user operator name {name!r} ({OPTION} / {CLI_OPTION}) cannot form the C++ "
                f"function {FUNCTION_PREFIX}<name>: use the operator's name as the converter "
                "prints it (letters, digits, single underscores, starting with a letter).")
        if name not in names:
            names.append(name)
    return names


def lower(op: Operator, graph: Graph, user_ops: Sequence[str] = ()) -> KernelCall:
    """The KernelCall of `op`: the user's function when named in `user_ops`, else utensor's."""
    name = op_name(op)
    if name in user_ops:
        return lower_user_op(op, graph, name)
    if op.op_type not in LOWERINGS:
        raise UnsupportedError(
            f"{graph.source_path or graph.name}: operator {op.op_type} (operator #{op.index}) is "
            f"not supported by utensor. Supported operators: {', '.join(sorted(LOWERINGS))}. "
            f"To run it anyway, implement it in your project and name it to the converter: "
            f"`{OPTION} = {name}` in platformio.ini (CLI: `{CLI_OPTION} {name}`); the generated "
            f"code then calls `utensor::Status {FUNCTION_PREFIX}{name}(const "
            "utensor::UserOpContext&)` (see utensor/custom_op.hpp and the README).")
    from . import lower as builtin_lower  # pylint: disable=import-outside-toplevel

    return builtin_lower(op, graph)


def check_all_used(user_ops: Sequence[str], graphs: Sequence[Graph]) -> None:
    """A user operator no model contains is a typo: say which names the models have."""
    present = {op_name(op) for g in graphs for op in g.operators}
    missing = [n for n in user_ops if n not in present]
    if missing:
        raise UtensorError(
            f"user operator {', '.join(missing)} ({OPTION} / {CLI_OPTION}) is not in "
            f"{', '.join(g.source_path or g.name for g in graphs)}; its operators are "
            f"{', '.join(sorted(present))}. Use one of these names (custom ops without the "
            "CUSTOM: prefix).")


def lower_user_op(op: Operator, graph: Graph, name: str) -> KernelCall:
    ins = []
    for i in op.inputs:
        ins.append(None if i < 0 else _check_rank(graph, op, i))
    for i in op.outputs:
        _check_rank(graph, op, i)
    options = [dict(row, key_c=cstring(row["key"]), s_c=cstring(row["s"]))
               for row in _option_params(op)]
    params = dict(
        name=name,
        function=FUNCTION_PREFIX + name,
        options=options,
        tensor_names={i: cstring(graph.tensor(i).name) for i in list(op.inputs) + list(op.outputs)
                      if i >= 0},
        custom_options=list(op.options.get("custom_options", b"") or b""),
    )
    return KernelCall(template="ops/user_op.j2", params=params)


def _check_rank(graph: Graph, op: Operator, index: int):
    t = graph.tensor(index)
    if len(t.shape) > 4:
        raise UnsupportedError(
            f"{graph.source_path or graph.name}: operator #{op.index} {op.op_type}: tensor "
            f"'{t.name}' has {len(t.shape)} dimensions; user operators get at most 4.")
    return t


def _option_params(op: Operator) -> List[Dict[str, Any]]:
    """The operator's options as (key, number, string) rows for UserOpParam."""
    if op.op_type.startswith("CUSTOM:"):
        options = _flexbuffer_map(op.options.get("custom_options", b""),
                                  op.options.get("custom_options_format"))
    else:
        options = op.options
    rows = []
    for key in sorted(options):
        value = options[key]
        if isinstance(value, bool):
            rows.append(dict(key=str(key), i=int(value), f=float(value), s=""))
        elif isinstance(value, (int, float)):
            as_int = max(min(int(value), 2**31 - 1), -(2**31))
            rows.append(dict(key=str(key), i=as_int, f=float(value), s=""))
        elif isinstance(value, (str, bytes)):
            text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
            rows.append(dict(key=str(key), i=0, f=0.0, s=text))
        # Lists and nested maps have no flat form: the raw custom_options bytes carry them.
    return rows


def _flexbuffer_map(data: bytes, fmt) -> Dict[str, Any]:
    """A custom op's FlexBuffer options map; {} when absent or not a map."""
    if not data or fmt not in (None, "FLEXBUFFERS", 0):
        return {}
    try:
        from flatbuffers import flexbuffers  # pylint: disable=import-outside-toplevel

        value = flexbuffers.Loads(bytes(data))
    except Exception:  # pylint: disable=broad-except  # opaque bytes are still passed raw
        return {}
    return value if isinstance(value, dict) else {}


