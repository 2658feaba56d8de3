"""Builtin operator options: from an options table to `Operator.options`.

Keys are the schema's snake_case field names, enum values their names ("SAME", "RELU6"),
vectors Python lists, and every field of the table is present (absent fields take the
schema default), so lowerings can index the dict without guessing defaults.
"""

from typing import Any, Dict, Optional

from . import schema
from .flatbuf import FlatbufferError, Table

# Fields that must be positive wherever they appear: a zero stride or filter size would
# divide by zero in shape inference and kernels.
_POSITIVE = {"stride_w", "stride_h", "stride_d", "dilation_w_factor", "dilation_h_factor",
             "dilation_d_factor", "filter_width", "filter_height"}


def table_for(union: int, code: int):
    """(table name, fields) of a union member, None when unknown to this schema."""
    return schema.OPTIONS_TABLES.get(union, {}).get(code)


def parse(table: Optional[Table], fields, where: str) -> Dict[str, Any]:
    """All fields of an options table (`table` None: all defaults)."""
    options: Dict[str, Any] = {}
    for name, slot, kind, ftype, enum, default in fields:
        if kind == "scalar":
            value = default if table is None else table.scalar(slot, ftype, default, name)
            if ftype == "bool":
                value = bool(value)
            elif ftype in ("f32", "f64"):
                value = float(value)
            if enum is not None:
                names = schema.ENUMS[enum]
                if value not in names:
                    raise FlatbufferError(f"{where}: option {name} = {value} is not a valid {enum}")
                value = names[value]
            elif name in _POSITIVE and value < 1:
                raise FlatbufferError(f"{where}: option {name} = {value} must be at least 1")
        elif kind == "string":
            value = None if table is None else table.string(slot, name)
            value = value or ""
        elif ftype == "u8":
            value = None if table is None else table.bytes(slot, name)
            value = value or b""
        else:
            values = None if table is None else table.array(slot, ftype, name)
            value = [] if values is None else values.tolist()
            if ftype == "bool":
                value = [bool(v) for v in value]
        options[name] = value
    return options
