"""Plain C++ structs described once in Python: their definitions, their initializers and a
compile-time check that the two agree.

The kernels take their per-layer constants in parameter structs (kernel_params.py holds
the table of them). A `Table` of `Family` entries (one generated header each) of `Struct`s
of `Field`s gives three things:

- `header_views()`: the C++ definitions, rendered by templates/kernel_params.hpp.j2 into
  the checked-in headers (`python -m utensor.kernel_params --write`);
- `initializer(name, values, sym)`: what templates/ops/_params.j2 renders as the aggregate
  initializer of one struct, from a dict keyed by field name, in the table's order with
  `/* field */` comments. A missing, unknown or ill-typed value raises `ParamsError`
  (never a partial initializer);
- `layout_checks(names)`: what the generated .cpp checks at compile time for every struct
  it initializes (runtime/include/utensor/kernels/params_check.hpp): the C++ struct has
  the table's fields, in the table's order and types, each right after the previous one,
  and nothing else. A struct edited by hand, reordered or from another version fails the
  build instead of being filled in the wrong order.

Field types: `Scalar` (int8_t ... double), `Pointer` (to a scalar or a table struct; the
value is a C++ expression, None for nullptr, or a `ConstArray` the initializer declares),
`Array` (fixed length, a list of numbers) and `Nested` (a table struct, a dict of values).
"""

import copy
import re
import textwrap
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Optional, Sequence, Union

import numpy as np

from .cformat import carray, cdouble, cfloat, cint


class ParamsError(Exception):
    """Values that do not fit a struct of the table: a bug in a lowering or a template (or
    in an operator being added), never a problem with the user's model."""


# ---- field types ----

INT_RANGES = {
    "int8_t": (-(2**7), 2**7 - 1),
    "uint8_t": (0, 2**8 - 1),
    "int16_t": (-(2**15), 2**15 - 1),
    "uint16_t": (0, 2**16 - 1),
    "int32_t": (-(2**31), 2**31 - 1),
    "uint32_t": (0, 2**32 - 1),
    "int64_t": (-(2**63), 2**63 - 1),  # the 16x8 LSTM's folded gate biases (cformat.cint spells them)
}
FLOAT_TYPES = ("float", "double")


@dataclass(frozen=True)
class Scalar:
    ctype: str  # one of INT_RANGES or FLOAT_TYPES

    def __post_init__(self):
        if self.ctype not in INT_RANGES and self.ctype not in FLOAT_TYPES:
            raise ParamsError(f"scalar type {self.ctype!r} is not one of "
                              f"{', '.join(list(INT_RANGES) + list(FLOAT_TYPES))}")


@dataclass(frozen=True)
class Pointer:
    target: str  # a scalar C type or the name of a table struct
    const: bool = True


@dataclass(frozen=True)
class Array:
    element: Scalar
    length: int
    length_name: Optional[str] = None  # a constant of the family spelling the length


@dataclass(frozen=True)
class Nested:
    struct: str  # the name of a table struct


FieldType = Union[Scalar, Pointer, Array, Nested]

I8, U8, I16, I32, U32 = (Scalar(t) for t in ("int8_t", "uint8_t", "int16_t", "int32_t", "uint32_t"))
F32, F64 = Scalar("float"), Scalar("double")


@dataclass(frozen=True)
class Field:
    name: str
    type: FieldType
    doc: str


@dataclass(frozen=True)
class Const:
    """A constant the family's header defines (e.g. an array length)."""

    name: str
    ctype: str
    value: int
    doc: str


@dataclass
class Struct:
    name: str
    doc: str
    fields: Sequence[Field]
    family: Optional["Family"] = None  # set when its family is added to a table

    @property
    def namespace(self) -> str:
        return self.family.namespace

    @property
    def qualified(self) -> str:
        return f"{self.namespace}::{self.name}"

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)


@dataclass
class Family:
    """The structs one generated header defines.

    header: the generated header, as included (e.g. "utensor/kernels/params/conv2d.hpp");
    kernel_header: the kernel header declaring the functions that take these structs
        (it includes `header`); generated code includes it for a generic operator call
        (templates/ops/kernel.j2).
    """

    header: str
    kernel_header: str
    doc: str
    structs: Sequence[Struct]
    namespace: str = "utensor::kernels"
    constants: Sequence[Const] = ()


@dataclass(frozen=True)
class ConstArray:
    """A pointer field's value: a constant array the initializer declares beside the struct
    (`static const <element> <sym>_<field>[] = {...}`). element: a scalar C type or a table
    struct (then values are dicts keyed by field name)."""

    element: str
    values: Any
    comment: str = ""
    # A preprocessor condition: the array exists only where it holds, and the pointer is
    # nullptr elsewhere (e.g. a table only cores without an FPU use).
    only_if: str = ""


_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
CPP_KEYWORDS = frozenset("""
    alignas alignof and and_eq asm auto bitand bitor bool break case catch char char16_t
    char32_t class compl const const_cast constexpr continue decltype default delete do double
    dynamic_cast else enum explicit export extern false float for friend goto if inline int
    long mutable namespace new noexcept not not_eq nullptr operator or or_eq private protected
    public register reinterpret_cast return short signed sizeof static static_assert
    static_cast struct switch template this thread_local throw true try typedef typeid
    typename union unsigned using virtual void volatile wchar_t while xor xor_eq""".split())


# ---- what the templates render ----

@dataclass
class Init:
    """One field's initializer: `text` (a scalar literal or pointer expression), `items`
    (an array's literals) or `fields` (a nested struct's initializers)."""

    name: str
    text: Optional[str] = None
    items: Optional[List[str]] = None
    fields: Optional[List["Init"]] = None


@dataclass
class ArrayDecl:
    sym: str
    ctype: str
    comment: str
    body: Optional[str] = None  # scalar elements: carray text
    elements: Optional[List[List[Init]]] = None  # struct elements
    only_if: str = ""  # ConstArray.only_if


@dataclass
class StructInit:
    type: str  # qualified C++ name
    fields: List[Init]
    arrays: List[ArrayDecl]


@dataclass
class FieldView:
    name: str
    decl: str  # e.g. "const int32_t* output_shift" or "int32_t dims[kBroadcastMaxRank]"
    doc_lines: List[str]  # above the field; empty when the doc trails it
    trailing: str  # "// doc" after the field, or ""
    gap: str = "  "  # spaces between the field and its trailing doc (aligned per struct)


@dataclass
class StructView:
    name: str
    doc_lines: List[str]
    fields: List[FieldView]


@dataclass
class HeaderView:
    path: str
    guard: str
    doc_lines: List[str]
    includes: List[str]
    namespaces: List[str]
    constants: List[Const]
    structs: List[StructView]


@dataclass
class LayoutCheck:
    """What params_check.hpp's macros check of one struct: its first field (name, type),
    each next one (previous name, name, type) and its last field's name."""

    type: str
    first: Any
    next: List[Any]
    last: str


HEADER_WIDTH = 100


class Table:
    """Families of structs, in the order they were added (headers and checks keep it)."""

    def __init__(self):
        self.families: List[Family] = []
        self.structs: Dict[str, Struct] = {}

    def copy(self) -> "Table":
        other = Table()
        for fam in self.families:
            other.add(copy.deepcopy(fam))
        return other

    def add(self, family: Family) -> Family:
        for s in family.structs:
            if s.name in self.structs:
                raise ParamsError(f"struct {s.name} is declared twice")
            s.family = family
            self._check_struct(s, family)
            self.structs[s.name] = s
        self.families.append(family)
        return family

    def _check_struct(self, s: Struct, family: Family) -> None:
        if not _IDENT.match(s.name) or not s.fields:
            raise ParamsError(f"struct {s.name!r}: needs an identifier for a name and at least one field")
        names = set()
        consts = {c.name: c.value for c in family.constants}
        for f in s.fields:
            if (not _IDENT.match(f.name) or f.name in CPP_KEYWORDS or f.name.startswith("_")
                    or "__" in f.name or f.name in names):
                raise ParamsError(f"{s.name}: field name {f.name!r} is not a new, unreserved C++ "
                                  "identifier")
            names.add(f.name)
            if not f.doc.strip():
                raise ParamsError(f"{s.name}::{f.name} has no doc")
            t = f.type
            if isinstance(t, (Nested, Pointer)):
                target = t.struct if isinstance(t, Nested) else t.target
                if target not in self.structs and not (isinstance(t, Pointer) and _is_scalar(target)):
                    raise ParamsError(f"{s.name}::{f.name} refers to {target}, which is neither a "
                                      "scalar type nor a struct declared before it")
            if isinstance(t, Array) and t.length_name is not None and consts.get(t.length_name) != t.length:
                raise ParamsError(f"{s.name}::{f.name}: length {t.length} is not the family's "
                                  f"constant {t.length_name}")

    def struct(self, name: str) -> Struct:
        try:
            return self.structs[name]
        except KeyError:
            raise ParamsError(f"no kernel parameter struct {name!r} in the table "
                              "(scripts/utensor/kernel_params.py)") from None

    # ---- initializers ----

    def initializer(self, name: str, values: Dict[str, Any], sym: str = "params",
                    overrides: Optional[Dict[str, Any]] = None,
                    used: Optional[set] = None) -> StructInit:
        """The initializer of struct `name` from `values` (plus `overrides`, e.g. the symbols
        a template supplies; a field in both is an error). Arrays a ConstArray value asks
        for are named `<sym>_<field>`. Every struct initialized is added to `used`."""
        s = self.struct(name)
        merged = dict(values or {})
        for k, v in (overrides or {}).items():
            if k in merged:
                raise ParamsError(f"{name}: field {k!r} is given twice (by the lowering and by "
                                  "the template)")
            merged[k] = v
        arrays: List[ArrayDecl] = []
        used = used if used is not None else set()
        fields = self._fields(s, merged, sym, arrays, used, name)
        return StructInit(type=s.qualified, fields=fields, arrays=arrays)

    def _fields(self, s: Struct, values, sym: str, arrays: List[ArrayDecl], used: set,
                path: str) -> List[Init]:
        if not isinstance(values, dict):
            raise ParamsError(f"{path}: expected a dict of {s.name}'s fields, got {type(values).__name__}")
        used.add(s.name)
        expected = [f.name for f in s.fields]
        missing = [n for n in expected if n not in values]
        unknown = [n for n in values if n not in expected]
        if missing or unknown:
            raise ParamsError(
                f"{path}: the values do not match struct {s.name} of the table "
                f"(scripts/utensor/kernel_params.py): "
                + "; ".join(filter(None, [f"missing {', '.join(missing)}" if missing else "",
                                          f"unknown {', '.join(unknown)}" if unknown else ""]))
                + f". Its fields: {', '.join(expected)}.")
        out = []
        for f in s.fields:
            out.append(self._init(f, values[f.name], sym, arrays, used, f"{path}.{f.name}"))
        return out

    def _init(self, f: Field, value, sym: str, arrays: List[ArrayDecl], used: set, path: str) -> Init:
        t = f.type
        if isinstance(t, Scalar):
            return Init(f.name, text=_scalar(t.ctype, value, path))
        if isinstance(t, Array):
            if isinstance(value, np.ndarray):
                value = value.reshape(-1).tolist()
            if not isinstance(value, (list, tuple)) or len(value) != t.length:
                raise ParamsError(f"{path}: expected {t.length} {t.element.ctype} values, got {value!r}")
            return Init(f.name, items=[_scalar(t.element.ctype, v, f"{path}[{i}]")
                                       for i, v in enumerate(value)])
        if isinstance(t, Nested):
            return Init(f.name, fields=self._fields(self.struct(t.struct), value, f"{sym}_{f.name}",
                                                    arrays, used, path))
        # Pointer
        if value is None:
            return Init(f.name, text="nullptr")
        if isinstance(value, str):
            return Init(f.name, text=value)  # a C++ expression (a template's symbol)
        if isinstance(value, ConstArray):
            if value.element != t.target:
                raise ParamsError(f"{path}: a {t.target} pointer cannot point at an array of "
                                  f"{value.element}")
            decl = ArrayDecl(sym=f"{sym}_{f.name}", ctype=self._spell(t.target, None),
                             comment=value.comment, only_if=value.only_if)
            if _is_scalar(t.target):
                flat = np.asarray(value.values).reshape(-1).tolist()
                if not flat:
                    raise ParamsError(f"{path}: an empty array")
                for i, v in enumerate(flat):
                    _scalar(t.target, v, f"{path}[{i}]")
                decl.body = carray(flat)
            else:
                target = self.struct(t.target)
                decl.elements = [self._fields(target, v, decl.sym, arrays, used, f"{path}[{i}]")
                                 for i, v in enumerate(value.values)]
                if not decl.elements:
                    raise ParamsError(f"{path}: an empty array")
            arrays.append(decl)
            return Init(f.name, text=decl.sym)
        raise ParamsError(f"{path}: a pointer field takes None, a C++ expression or a ConstArray, "
                          f"got {value!r}")

    # ---- spelling types ----

    def _spell(self, target: str, namespace: Optional[str]) -> str:
        """A scalar type or table struct as written in `namespace` (None: fully qualified)."""
        if _is_scalar(target):
            return target
        s = self.struct(target)
        if namespace is None:
            return s.qualified
        if s.namespace == namespace:
            return s.name
        if s.namespace.startswith(namespace + "::"):
            return f"{s.namespace[len(namespace) + 2:]}::{s.name}"
        return f"::{s.qualified}"

    def type_name(self, t: FieldType, namespace: Optional[str]) -> str:
        """The C++ type-id of a field type (arrays as `int32_t[6]`)."""
        if isinstance(t, Scalar):
            return t.ctype
        if isinstance(t, Array):
            return f"{t.element.ctype}[{t.length}]"
        if isinstance(t, Nested):
            return self._spell(t.struct, namespace)
        return f"{'const ' if t.const else ''}{self._spell(t.target, namespace)}*"

    def declaration(self, f: Field, namespace: str) -> str:
        t = f.type
        if isinstance(t, Array):
            return f"{t.element.ctype} {f.name}[{t.length_name or t.length}]"
        return f"{self.type_name(t, namespace)} {f.name}"

    # ---- compile-time checks and headers ----

    def layout_checks(self, names: Iterable[str]) -> List[LayoutCheck]:
        """The checks of the structs `names`, in table order."""
        wanted = set(names)
        checks = []
        for s in self.structs.values():
            if s.name in wanted:
                fields = [(f.name, self.type_name(f.type, None)) for f in s.fields]
                checks.append(LayoutCheck(s.qualified, fields[0],
                                          [(a[0], b[0], b[1]) for a, b in zip(fields, fields[1:])],
                                          fields[-1][0]))
        return checks

    def header_views(self) -> List[HeaderView]:
        views = []
        for fam in self.families:
            includes = []
            for s in fam.structs:
                for f in s.fields:
                    target = f.type.struct if isinstance(f.type, Nested) else (
                        f.type.target if isinstance(f.type, Pointer) else None)
                    if target and not _is_scalar(target):
                        other = self.struct(target).family
                        if other is not fam and other.header not in includes:
                            includes.append(other.header)
            structs = [StructView(s.name, _comment(s.doc, "/// "), self._field_views(s, fam.namespace))
                       for s in fam.structs]
            views.append(HeaderView(
                path=fam.header,
                guard=re.sub(r"[^A-Za-z0-9]", "_", fam.header).upper(),
                doc_lines=_comment(fam.doc, "// "),
                includes=includes,
                namespaces=fam.namespace.split("::"),
                constants=list(fam.constants),
                structs=structs,
            ))
        return views

    def _field_views(self, s: Struct, namespace: str) -> List[FieldView]:
        """Docs trail their fields, aligned, where the line stays within HEADER_WIDTH;
        longer ones go above their field."""
        rows = [(f, self.declaration(f, namespace), " ".join(f.doc.split())) for f in s.fields]

        def fits(decl, doc, width):
            return 2 + max(width, len(decl) + 1) + 2 + 3 + len(doc) <= HEADER_WIDTH

        width = 0
        for _, decl, doc in rows:
            if fits(decl, doc, 0):
                width = max(width, len(decl) + 1)
        views = []
        for f, decl, doc in rows:
            if fits(decl, doc, width):
                views.append(FieldView(f.name, decl, [], f"// {doc}", " " * (width - len(decl) - 1 + 2)))
            elif fits(decl, doc, 0):
                views.append(FieldView(f.name, decl, [], f"// {doc}"))
            else:
                views.append(FieldView(f.name, decl, _comment(doc, "// ", indent=2), ""))
        return views


def _is_scalar(ctype: str) -> bool:
    return ctype in INT_RANGES or ctype in FLOAT_TYPES


def _scalar(ctype: str, value, path: str) -> str:
    if isinstance(value, str):
        return value  # a C++ expression (e.g. a constant's name) a template supplies
    if ctype in FLOAT_TYPES:
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise ParamsError(f"{path}: expected a number for a {ctype}, got {value!r}")
        return cfloat(value) if ctype == "float" else cdouble(value)
    if isinstance(value, (bool, np.bool_)):
        value = int(value)  # flags: 1 / 0
    if not isinstance(value, (int, np.integer)):
        raise ParamsError(f"{path}: expected an integer for an {ctype}, got {value!r}")
    lo, hi = INT_RANGES[ctype]
    if not lo <= int(value) <= hi:
        raise ParamsError(f"{path}: {int(value)} does not fit an {ctype}")
    return cint(value)


def _comment(text: str, prefix: str, indent: int = 0) -> List[str]:
    lines = []
    for para in text.strip().split("\n\n"):
        if lines:
            lines.append(" " * indent + prefix.rstrip())
        lines += textwrap.wrap(" ".join(para.split()), HEADER_WIDTH - indent - len(prefix),
                               initial_indent=" " * indent + prefix,
                               subsequent_indent=" " * indent + prefix,
                               break_on_hyphens=False, break_long_words=False)
    return lines


__all__ = ["Array", "Const", "ConstArray", "F32", "F64", "Family", "Field", "I16", "I32", "I8",
           "Nested", "ParamsError", "Pointer", "Scalar", "Struct", "Table", "U32", "U8"]
