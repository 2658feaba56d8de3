"""Maintainer tool: write `schema.py` (the TFLite schema facts the reader needs).

The facts (operator and options enum numbering, each options table's fields with their
vtable slot, scalar type and default, the small enums) are taken from the Python module
TensorFlow generates from `schema.fbs` (`tensorflow/lite/python/schema_py_generated.py`),
read as text: nothing is imported from it, and the reader never depends on it.

    python -m utensor.tflite.gen_schema            # rewrite schema.py
    python -m utensor.tflite.gen_schema --check    # exit 1 if schema.py is stale

`test/test_tflite_reader.py` runs the check against the installed TensorFlow.
"""

import importlib.util
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OUTPUT = os.path.join(HERE, "schema.py")

_FLAGS = {
    "Int8Flags": "i8", "Uint8Flags": "u8", "Int16Flags": "i16", "Uint16Flags": "u16",
    "Int32Flags": "i32", "Uint32Flags": "u32", "Int64Flags": "i64", "Uint64Flags": "u64",
    "Float32Flags": "f32", "Float64Flags": "f64", "BoolFlags": "bool",
}

# The generated code does not say which integer fields hold an enum; schema.fbs does.
_ENUM_FIELDS = {
    "padding": "Padding",
    "fused_activation_function": "ActivationFunctionType",
    "weights_format": "FullyConnectedOptionsWeightsFormat",
    "kernel_type": "LSTMKernelType",
    "combiner": "CombinerType",
    "mode": "MirrorPadMode",
    "type": "LSHProjectionType",
    "quantized_bias_type": "TensorType",
    "in_data_type": "TensorType",
    "out_data_type": "TensorType",
    "output_type": "TensorType",
    "out_type": "TensorType",
    "idx_out_type": "TensorType",
    "key_dtype": "TensorType",
    "value_dtype": "TensorType",
    "reduce_function": "ReduceWindowFunction",
    "comparison_direction": "StablehloComparisonDirection",
    "compare_type": "StablehloComparisonType",
    "algorithm": "RngAlgorithm",
    "composite_attributes_format": "CustomOptionsFormat",
}

# Operators whose options table is not named after the operator.
_OP_OPTIONS_EXCEPTIONS = {
    "AVERAGE_POOL_2D": "Pool2DOptions",
    "MAX_POOL_2D": "Pool2DOptions",
    "L2_POOL_2D": "Pool2DOptions",
    "L2_NORMALIZATION": "L2NormOptions",
    "UNIDIRECTIONAL_SEQUENCE_RNN": "SequenceRNNOptions",
    "MEAN": "ReducerOptions",
    "SUM": "ReducerOptions",
    "REDUCE_PROD": "ReducerOptions",
    "REDUCE_MAX": "ReducerOptions",
    "REDUCE_MIN": "ReducerOptions",
    "REDUCE_ANY": "ReducerOptions",
    "REDUCE_ALL": "ReducerOptions",
    "MAXIMUM": "MaximumMinimumOptions",
    "MINIMUM": "MaximumMinimumOptions",
    "CONV_3D": "Conv3DOptions",
    "CONV_3D_TRANSPOSE": "Conv3DOptions",
    "RANDOM_STANDARD_NORMAL": "RandomOptions",
    "RANDOM_UNIFORM": "RandomOptions",
    "MULTINOMIAL": "RandomOptions",
}


def generated_schema_path() -> str:
    spec = importlib.util.find_spec("tensorflow")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("gen_schema: TensorFlow is not installed; it is needed only to regenerate schema.py")
    return os.path.join(list(spec.submodule_search_locations)[0], "lite", "python", "schema_py_generated.py")


def _classes(src: str):
    return {m.group(1): m.group(2) for m in
            re.finditer(r"^class (\w+)\(object\):\n(.*?)(?=^class |^def |\Z)", src, re.S | re.M)}


def _enum(body: str):
    members = []
    for line in body.splitlines():
        m = re.match(r"\s+(\w+) = (-?\d+)$", line)
        if m:
            members.append((int(m.group(2)), m.group(1)))
    return members


def _snake(name: str) -> str:
    s = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name)
    s = re.sub(r"(?<=[A-Z])([A-Z][a-z])", r"_\1", s)
    return s.lower()


def _fields(body: str):
    fields = []
    for m in re.finditer(r"    def (\w+)\(self(, j)?\):\n(.*?)(?=\n    #|\n    def |\Z)", body, re.S):
        method, is_vector, code = m.group(1), m.group(2), m.group(3)
        if method == "Init" or method.startswith("GetRootAs") or method.endswith(("Length", "IsNone", "AsNumpy")):
            continue
        slot = re.search(r"Offset\((\d+)\)", code)
        if not slot:
            continue
        name = _snake(method)
        get = re.search(r"_tab\.Get\(flatbuffers\.number_types\.(\w+Flags)", code)
        if is_vector:
            if "Indirect" in code:
                raise SystemExit(f"gen_schema: vector of tables in options field {name}: extend the reader")
            kind, ftype, default = "vector", _FLAGS[get.group(1)], None
        elif "_tab.String" in code:
            kind, ftype, default = "string", None, None
        elif get is None:
            raise SystemExit(f"gen_schema: options field {name} is neither scalar, string nor vector")
        else:
            kind, ftype = "scalar", _FLAGS[get.group(1)]
            default = eval(re.findall(r"return (.+)", code)[-1].strip(), {})  # a literal: 0, 1, True, 0.0
        fields.append((name, int(slot.group(1)), kind, ftype, _ENUM_FIELDS.get(name), default))
    return tuple(fields)


def _norm(name: str) -> str:
    return name.replace("_", "").lower()


def render(src: str) -> str:
    classes = _classes(src)
    operators = _enum(classes["BuiltinOperator"])
    unions = {1: _enum(classes["BuiltinOptions"]), 2: _enum(classes["BuiltinOptions2"])}
    for members in [operators] + list(unions.values()):
        if [code for code, _ in members] != list(range(len(members))):
            raise SystemExit("gen_schema: an enum has gaps; the tables assume dense numbering")
    tables = {}
    table_union = {}
    for union, members in unions.items():
        for code, table in members[1:]:
            tables[table] = _fields(classes[table])
            table_union[table] = (union, code)
    by_norm = {_norm(t[: -len("Options")]): t for t in tables}
    op_options = {}
    for _, op in operators:
        table = _OP_OPTIONS_EXCEPTIONS.get(op) or by_norm.get(_norm(op))
        if table:
            op_options[op] = table_union[table]
    enum_names = sorted(set(_ENUM_FIELDS.values()) | {"TensorType"})
    enums = {e: _enum(classes[e]) for e in enum_names}

    out = [
        '"""TFLite schema facts for the reader. Generated by `python -m utensor.tflite.gen_schema`',
        "from TensorFlow's schema_py_generated.py; do not edit by hand.",
        "",
        "OPTIONS_TABLES[union][code] = (table name, fields); union 1 is `builtin_options`, 2 is",
        "`builtin_options_2`. A field is (name, vtable slot, kind, type, enum or None, default):",
        'kind "scalar" | "vector" | "string"; type a struct-like code ("i8", "u32", "f32", "bool").',
        '"""',
        "",
        "# BuiltinOperator: the name of each builtin code (index = code).",
        "BUILTIN_OPERATORS = (",
    ]
    out += [f'    "{name}",  # {code}' for code, name in operators]
    out += [")", "", "OPTIONS_TABLES = {"]
    for union, members in unions.items():
        out.append(f"    {union}: {{")
        for code, table in members[1:]:
            out.append(f'        {code}: ("{table}", (')
            out += [f"            {field!r}," for field in tables[table]]
            out.append("        )),")
        out.append("    },")
    out += ["}", "", "# The options table the TFLite runtime reads for each operator: (union, code).",
            "OPERATOR_OPTIONS = {"]
    out += [f'    "{op}": {loc!r},' for op, loc in op_options.items()]
    out += ["}", "", "ENUMS = {"]
    for name, members in enums.items():
        out.append(f'    "{name}": {{{", ".join(f"{c}: {n!r}" for c, n in members)}}},')
    out += ["}", ""]
    return "\n".join(out)


def main(argv) -> int:
    with open(generated_schema_path(), encoding="utf-8") as f:
        text = render(f.read())
    if argv[1:] == ["--check"]:
        with open(OUTPUT, encoding="utf-8") as f:
            if f.read() != text:
                print("schema.py differs from the installed TensorFlow schema: "
                      "run python -m utensor.tflite.gen_schema", file=sys.stderr)
                return 1
        return 0
    with open(OUTPUT, "w", encoding="utf-8") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
