"""C++ names derived from model files and tensor names."""

import os
import re

_CPP_KEYWORDS = {
    "alignas", "alignof", "and", "asm", "auto", "bool", "break", "case", "catch", "char",
    "class", "const", "continue", "default", "delete", "do", "double", "else", "enum",
    "explicit", "export", "extern", "false", "float", "for", "friend", "goto", "if",
    "inline", "int", "long", "namespace", "new", "not", "operator", "or", "private",
    "protected", "public", "register", "return", "short", "signed", "sizeof", "static",
    "struct", "switch", "template", "this", "throw", "true", "try", "typedef", "typename",
    "union", "unsigned", "using", "virtual", "void", "volatile", "while", "main",
}


def identifier(text: str, prefix: str = "m_") -> str:
    """A valid, non-reserved C++ identifier resembling `text`."""
    name = re.sub(r"[^0-9A-Za-z_]", "_", text)
    name = re.sub(r"_+", "_", name).strip("_") or "model"
    if name[0].isdigit() or name in _CPP_KEYWORDS:
        name = prefix + name
    return name


def model_name_from_path(path: str) -> str:
    base = os.path.basename(os.path.normpath(path))
    for ext in (".tflite", ".keras", ".h5"):
        if base.lower().endswith(ext):
            base = base[: -len(ext)]
            break
    return identifier(base)


def class_name(model_name: str) -> str:
    """ad01_int8 -> Ad01Int8 (the generated model class)."""
    parts = [p for p in model_name.split("_") if p]
    name = "".join(p[:1].upper() + p[1:] for p in parts) or "Model"
    if name[0].isdigit():
        name = "M" + name
    return name


# Names TensorFlow gives to signature tensors that say nothing about them.
_MEANINGLESS_PREFIXES = ("StatefulPartitionedCall", "PartitionedCall", "Identity")


def tensor_accessor(tensor_name: str, position: int) -> str:
    """Accessor suffix for a model input/output: serving_default_x:0 -> x; else position."""
    name = re.sub(r":\d+$", "", tensor_name or "")
    if name.startswith("serving_default_"):
        name = name[len("serving_default_"):]
    if not name or name.startswith(_MEANINGLESS_PREFIXES) or len(name) > 40:
        return str(position)
    return identifier(name, prefix="t_")
