"""`utensor ops`: the operator support matrix (operator x dtype x kernel variant).

Derived, not written down: the operators and dtypes from the lowering registry
(`ops.LOWERINGS`, `ops.DTYPES`), the kernel variants from the runtime sources: an
operator's int8 kernel is the function named after it (CONV_2D -> conv2d_s8...,
AVERAGE_POOL_2D -> average_pool2d_s8), its int16 one likewise (conv2d_s16...), and a dtype
has a DSP or Helium variant when runtime/src/kernels/arm/*_dsp.cpp or *_mve.cpp defines
such a function, or when the portable source defining it takes its inner products from a
detail/dot_*.hpp header with DSP / Helium branches (the recurrent kernels: LSTM, SVDF). The
README's
matrix is this output, and a test fails when they differ.

`--vs-tflm` (and the Markdown table) puts TensorFlow Lite Micro's builtin list beside ours:
TFLM's from tflm_oplist.py (read off the oracle wheel, see tflm_ops.py), with the reason
for each one we refuse.
"""

import glob
import os
import re

from . import ops, tflm_oplist, tflm_ops
from .hostbuild import RUNTIME_SRC

VIEW_OPS = ("RESHAPE", "SQUEEZE", "EXPAND_DIMS")


def add_arguments(p):
    p.add_argument("--markdown", action="store_true",
                   help="print the README's Markdown table (ours beside TFLite Micro's builtins)")
    p.add_argument("--vs-tflm", action="store_true",
                   help="list TFLite Micro's builtin operators beside ours, with the reason for each we refuse")


_DEFINITION = re.compile(r"^void (\w+)\(", re.M)
_ARM_FILE = re.compile(r"_(dsp|mve)\.cpp$")


_DOT_INCLUDE = re.compile(r'#include "utensor/kernels/(detail/dot_\w+\.hpp)"')
_ARCH_BRANCHES = (("UTENSOR_KERNELS_DSP", "DSP"), ("UTENSOR_KERNELS_MVE", "Helium"))
# Operators whose kernel is not named after them.
KERNEL_STEMS = {"UNIDIRECTIONAL_SEQUENCE_LSTM": "lstm"}


def _arm_functions():
    """kernel function name -> set of optimized variants ("DSP", "Helium") defining it."""
    found = {}
    for path in glob.glob(os.path.join(RUNTIME_SRC, "kernels", "arm", "*.cpp")):
        kind = _ARM_FILE.search(path)
        if kind is None:
            continue
        with open(path, encoding="utf-8") as f:
            for name in _DEFINITION.findall(f.read()):
                found.setdefault(name, set()).add("DSP" if kind.group(1) == "dsp" else "Helium")
    include_dir = os.path.join(os.path.dirname(RUNTIME_SRC), "include", "utensor", "kernels")
    for path in glob.glob(os.path.join(RUNTIME_SRC, "kernels", "reference", "*.cpp")):
        with open(path, encoding="utf-8") as f:
            text = f.read()
        kinds = set()
        for header in _DOT_INCLUDE.findall(text):
            with open(os.path.join(include_dir, header), encoding="utf-8") as f:
                branches = f.read()
            kinds |= {kind for macro, kind in _ARCH_BRANCHES if macro in branches}
        for name in _DEFINITION.findall(text) if kinds else ():
            found.setdefault(name, set()).update(kinds)
    return found


def kernel_stem(op_type: str) -> str:
    """The int8 kernel function's name without `_s8`: CONV_2D -> conv2d."""
    return KERNEL_STEMS.get(op_type, op_type.lower().replace("_2d", "2d"))


def matrix():
    """Rows: (operator, dtypes, implementation) sorted by operator."""
    arm = _arm_functions()
    by_op = _templates_by_op()
    rows = []
    for op_type in ops.supported_ops():
        dtypes = ", ".join(ops.DTYPES.get(op_type, ()))
        if op_type in VIEW_OPS:
            impl = "view of its input (no kernel, no copy)"
        elif getattr(ops.LOWERINGS[op_type], "computed_when_converting", False):
            impl = "computed when converting (no kernel)"
        else:
            # Per variant, the dtypes whose kernel function it defines: conv2d_s8* -> int8,
            # conv2d_s16* -> int16.
            by_kind = {}
            for suffix, dtype in (("_s8", "int8"), ("_s16", "int16")):
                stem = kernel_stem(op_type) + suffix
                for name, kinds in arm.items():
                    if name == stem or name.startswith(stem + "_"):
                        for k in kinds:
                            by_kind.setdefault(k, []).append(dtype)
            impl = "reference" + "".join(f" + {k} ({', '.join(dict.fromkeys(by_kind[k]))})"
                                         for k in sorted(by_kind))
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


def _in_tflm(op: str) -> str:
    """"yes" (a builtin TFLM registers), "custom" (a custom operator it registers) or "no"."""
    if op in tflm_oplist.BUILTIN:
        return "yes"
    if op.startswith("CUSTOM:") and tflm_ops.CUSTOM_REGISTRATIONS.get(op[7:]) in tflm_oplist.OTHER:
        return "custom"
    return "no"


def versus_tflm():
    """Rows (operator, in TFLM: "yes" / "custom" / "no", utensor dtypes or "", kernels or
    why we refuse it) over the union of TFLM's builtins and ours, sorted by operator."""
    ours = {op: (dt, impl) for op, dt, impl in matrix()}
    rows = []
    for op in sorted(set(ours) | set(tflm_oplist.BUILTIN)):
        if op in ours:
            rows.append((op, _in_tflm(op)) + ours[op])
        elif op in tflm_ops.HANDLED_WHEN_READING:
            rows.append((op, _in_tflm(op), "any", tflm_ops.HANDLED_WHEN_READING[op]))
        else:
            rows.append((op, _in_tflm(op), "", "refused: " + tflm_ops.REFUSED.get(op, "no reason recorded")))
    return rows


def summary() -> str:
    rows = versus_tflm()
    builtin = [r for r in rows if r[1] == "yes"]
    custom = [r[0][7:] for r in rows if r[1] == "custom" and r[2]]
    extra = [r for r in rows if r[1] == "no" and r[2]]
    return (f"TFLite Micro (PyPI {tflm_oplist.PROVENANCE['package']} {tflm_oplist.PROVENANCE['version']}) "
            f"registers {len(builtin)} builtin operators; utensor runs {sum(1 for r in builtin if r[2])} "
            f"of them" + (f" and TFLM's custom {', '.join(custom)}" if custom else "")
            + (f" and {len(extra)} more" if extra else "") + ".")


def markdown() -> str:
    lines = [summary(), "", "| operator | TFLM | utensor dtypes | utensor kernels |", "|---|---|---|---|"]
    lines += [f"| {op} | {t} | {dt} | {impl} |" for op, t, dt, impl in versus_tflm()]
    return "\n".join(lines)


def main(args) -> int:
    if args.markdown:
        print(markdown())
        return 0
    if args.vs_tflm:
        rows = versus_tflm()
        width = max(len(r[0]) for r in rows)
        print(f"{'operator':<{width}}  TFLM    utensor")
        for op, t, dt, impl in rows:
            print(f"{op:<{width}}  {t:<6}  {dt + '  ' + impl if dt else impl}")
        print(summary())
        print("TFLM also registers (custom, signal-library and variant kernels, not builtins): "
              + ", ".join(tflm_oplist.OTHER))
        return 0
    rows = matrix()
    width = max(len(r[0]) for r in rows)
    dwidth = max(len(r[1]) for r in rows)
    print(f"{'operator':<{width}}  {'dtypes':<{dwidth}}  kernels")
    for op, dt, impl in rows:
        print(f"{op:<{width}}  {dt:<{dwidth}}  {impl}")
    return 0
