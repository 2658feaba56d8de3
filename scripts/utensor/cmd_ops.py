"""`utensor ops`: the operator support matrix (operator x dtype x kernel variant).

Derived, not written down: the operators and dtypes from the lowering registry
(`ops.LOWERINGS`, `ops.DTYPES`), the kernel variants from the runtime sources (a kernel
has a DSP or Helium variant when a source file of its header's family is compiled under
`UTENSOR_KERNELS_DSP` / `UTENSOR_KERNELS_MVE`). The README's matrix is this output, and a
test fails when they differ.
"""

import glob
import os
import re

from . import ops
from .emitter import TEMPLATE_DIR
from .hostbuild import RUNTIME_SRC

VIEW_OPS = ("RESHAPE", "SQUEEZE", "EXPAND_DIMS")
_INCLUDE = re.compile(r'#include "utensor/kernels/(\w+)\.hpp"')


def add_arguments(p):
    p.add_argument("--markdown", action="store_true", help="print the Markdown table of the README")


def _variants():
    """kernel header stem -> set of optimized variants ("DSP", "Helium")."""
    found = {}
    for path in glob.glob(os.path.join(RUNTIME_SRC, "kernels", "**", "*.cpp"), recursive=True):
        with open(path, encoding="utf-8") as f:
            text = f.read()
        stem = os.path.splitext(os.path.basename(path))[0]
        for header in set(_INCLUDE.findall(text)) | {stem}:
            kinds = found.setdefault(header, set())
            if re.search(r"#\s*if\s.*UTENSOR_KERNELS_DSP", text):
                kinds.add("DSP")
            if re.search(r"#\s*if\s.*UTENSOR_KERNELS_MVE", text):
                kinds.add("Helium")
    return found


def _template_headers():
    """template file name -> kernel header stems it includes."""
    result = {}
    for path in glob.glob(os.path.join(TEMPLATE_DIR, "ops", "*.j2")):
        with open(path, encoding="utf-8") as f:
            result[os.path.basename(path)] = set(_INCLUDE.findall(f.read()))
    return result


def matrix():
    """Rows: (operator, dtypes, implementation) sorted by operator."""
    variants = _variants()
    templates = _template_headers()
    by_op = _templates_by_op()
    rows = []
    for op_type in ops.supported_ops():
        dtypes = ", ".join(ops.DTYPES.get(op_type, ()))
        if op_type in VIEW_OPS:
            impl = "view of its input (no kernel, no copy)"
        else:
            headers = templates.get(by_op.get(op_type, ""), set())
            kinds = sorted(set().union(*(variants.get(h, set()) for h in headers))) if headers else []
            impl = "reference" + "".join(f" + {k} (int8)" for k in kinds)
            if by_op.get(op_type) == "user_op.j2":
                impl = "user-provided"
        rows.append((op_type, dtypes, impl))
    return rows


def _templates_by_op():
    """operator -> template file, found by lowering each registered op's function source."""
    result = {}
    for op_type, fn in ops.LOWERINGS.items():
        module = __import__(fn.__module__, fromlist=["_"])
        with open(module.__file__, encoding="utf-8") as f:
            text = f.read()
        names = re.findall(r'"ops/(\w+\.j2)"', text)
        if len(set(names)) == 1:
            result[op_type] = names[0]
        else:
            result[op_type] = _match_template(op_type, names)
    return result


def _match_template(op_type: str, names):
    stem = op_type.lower()
    for n in names:
        if n.startswith(stem.split("_")[0]):
            return n
    return names[0] if names else ""


def markdown() -> str:
    lines = ["| operator | dtypes | kernels |", "|---|---|---|"]
    lines += [f"| {op} | {dt} | {impl} |" for op, dt, impl in matrix()]
    return "\n".join(lines)


def main(args) -> int:
    if args.markdown:
        print(markdown())
        return 0
    rows = matrix()
    width = max(len(r[0]) for r in rows)
    dwidth = max(len(r[1]) for r in rows)
    print(f"{'operator':<{width}}  {'dtypes':<{dwidth}}  kernels")
    for op, dt, impl in rows:
        print(f"{op:<{width}}  {dt:<{dwidth}}  {impl}")
    return 0
