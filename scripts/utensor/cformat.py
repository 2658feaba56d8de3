"""C++ literals from Python values, exact and safe: float32 values that parse back to the
same bits, integers of the right width, strings escaped against hostile model names.
Jinja filters of the emitter (`cfloat`, `cdouble`, `cint`, `cstring`, `carray`) and used by lowerings."""

import numpy as np

VALUES_PER_LINE = 16


def cfloat(x) -> str:
    """A float32 literal that parses back to exactly the same float32."""
    f = np.float32(x)
    if np.isnan(f):
        return "NAN"
    if np.isinf(f):
        return "HUGE_VALF" if f > 0 else "(-HUGE_VALF)"
    text = np.format_float_scientific(f, unique=True, trim="-")
    mantissa, exponent = text.split("e")
    if "." not in mantissa:
        mantissa += ".0"
    exp = int(exponent)
    return f"{mantissa}f" if exp == 0 else f"{mantissa}e{exp}f"


def cdouble(x) -> str:
    """A double literal that parses back to exactly the same double."""
    v = float(x)
    if v != v:
        return "NAN"
    if v in (float("inf"), float("-inf")):
        return "HUGE_VAL" if v > 0 else "(-HUGE_VAL)"
    text = repr(v)  # the shortest string that round-trips
    return text if ("." in text or "e" in text) else text + ".0"


def cstring(text: str) -> str:
    """`text` escaped to sit between double quotes in C++ and, unchanged, in a comment.

    Model files choose their tensor names: a quote, backslash, newline or `??/` trigraph
    must not end a string literal or a comment early. Printable ASCII passes through;
    every other byte of the UTF-8 becomes a 3-digit octal escape (never hex: a hex escape
    would swallow the digits after it).
    """
    out = []
    for byte in text.encode("utf-8"):
        ch = chr(byte)
        if ch in '"\\?':
            out.append("\\" + ch)
        elif 0x20 <= byte < 0x7F:
            out.append(ch)
        else:
            out.append(f"\\{byte:03o}")
    return "".join(out)


def cint(x) -> str:
    """An integer literal of the right type, INT32_MIN/INT64_MIN safe."""
    v = int(x)
    if v == -(2**31):
        return "(-2147483647 - 1)"
    if v == -(2**63):
        return "(-9223372036854775807LL - 1)"
    if -(2**31) < v < 2**31:
        return str(v)
    if 2**31 <= v < 2**32:
        return f"{v}u"
    return f"{v}LL"


def _literal(v) -> str:
    if isinstance(v, (bool, np.bool_)):
        return "true" if v else "false"
    if isinstance(v, (float, np.floating)):
        return cfloat(v)
    return cint(v)


def carray(values, per_line: int = VALUES_PER_LINE, indent: str = "    ") -> str:
    """Comma-separated literals, wrapped `per_line` to a line."""
    flat = list(np.asarray(values).reshape(-1).tolist()) if isinstance(values, np.ndarray) else list(values)
    lines = []
    for i in range(0, len(flat), per_line):
        lines.append(indent + ", ".join(_literal(v) for v in flat[i : i + per_line]) + ",")
    return "\n".join(lines)
