"""TensorFlow Lite Micro's operator list, to compare ours with (`utensor ops`).

The list is data with a provenance, not typed by hand: `python -m utensor.tflm_ops --write`
reads it off the tflite_micro wheel we use as the oracle. That wheel's interpreter registers
every kernel TFLM ships (its `PythonOpsResolver`), and each registration is a function
`tflite::micro::Register_<NAME>()` defined in `_runtime.so`. Names that are TFLite builtin
operators (tflite/schema.py) are TFLM's builtin list; the others are custom operators
(`TFLite_Detection_PostProcess` is `Register_DETECTION_POSTPROCESS`) or signal-library ops.
The result goes to tflm_oplist.py; a test re-extracts it from the installed wheel.

`REFUSED` holds, for every TFLM builtin we do not run, why: the matrix prints it, and a test
fails when a TFLM builtin is neither supported nor explained, or an explanation is stale.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys

from .tflite.schema import BUILTIN_OPERATORS

# TFLM builtins we refuse, and why (each one is open work unless the reason says otherwise).
REFUSED = {
    "ADD_N": "not yet implemented (issue 14)",
    "ASSIGN_VARIABLE": "resource variables: not yet implemented (issue 13)",
    "BATCH_MATMUL": "not yet implemented (issue 14)",
    "BATCH_TO_SPACE_ND": "not yet implemented (issue 14)",
    "BROADCAST_ARGS": "not yet implemented (issue 14)",
    "BROADCAST_TO": "not yet implemented (issue 14)",
    "CALL_ONCE": "multiple subgraphs: not yet implemented (issue 13)",
    "CUMSUM": "not yet implemented (issue 14)",
    "DEPTH_TO_SPACE": "not yet implemented (issue 14)",
    "DYNAMIC_UPDATE_SLICE": "not yet implemented (issue 14)",
    "ELU": "not yet implemented (issue 14)",
    "EMBEDDING_LOOKUP": "not yet implemented (issue 14)",
    "FILL": "not yet implemented (issue 14)",
    "GATHER": "not yet implemented (issue 14)",
    "GATHER_ND": "not yet implemented (issue 14)",
    "IF": "control flow (multiple subgraphs): not yet implemented (issue 14)",
    "L2_NORMALIZATION": "not yet implemented (issue 14)",
    "L2_POOL_2D": "not yet implemented (issue 14)",
    "LOG_SOFTMAX": "not yet implemented (issue 14)",
    "MIRROR_PAD": "not yet implemented (issue 14)",
    "READ_VARIABLE": "resource variables: not yet implemented (issue 13)",
    "REDUCE_ALL": "not yet implemented",
    "REDUCE_MAX": "not yet implemented (issue 14)",
    "REDUCE_MIN": "not yet implemented (issue 14)",
    "RESIZE_BILINEAR": "not yet implemented (issue 14)",
    "REVERSE_V2": "not yet implemented (issue 14)",
    "SELECT_V2": "not yet implemented (issue 14)",
    "SHAPE": "not yet implemented (issue 14)",
    "SPACE_TO_BATCH_ND": "not yet implemented (issue 14)",
    "SPACE_TO_DEPTH": "not yet implemented (issue 14)",
    "SUM": "not yet implemented (issue 14)",
    "SVDF": "stateful: not yet implemented (issue 13)",
    "UNIDIRECTIONAL_SEQUENCE_LSTM": "stateful: not yet implemented (issue 13)",
    "VAR_HANDLE": "resource variables: not yet implemented (issue 13)",
    "WHILE": "control flow (multiple subgraphs): not yet implemented (issue 14)",
    "ZEROS_LIKE": "not yet implemented (issue 14)",
}

# Custom operators' names in a model -> the name of TFLM's registration function.
CUSTOM_REGISTRATIONS = {"TFLite_Detection_PostProcess": "DETECTION_POSTPROCESS",
                        "CIRCULAR_BUFFER": "CIRCULAR_BUFFER"}

_REGISTER = re.compile(r"\btflite::micro::(?:(\w+)::)?Register_(\w+)\(\)")
_OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tflm_oplist.py")


def _wheel():
    """(version, path of _runtime.so) of the installed tflite_micro, or an error naming the fix."""
    try:
        from tflite_micro.python.tflite_micro import _version  # pylint: disable=import-outside-toplevel
    except ImportError as e:
        raise SystemExit("tflite_micro is not installed: pip install 'utensor[reference]'") from e
    so = os.path.join(os.path.dirname(_version.__file__), "_runtime.so")
    return _version.__version__, so


def extract():
    """(provenance, builtin names, other registered names) from the installed wheel."""
    version, so = _wheel()
    nm = shutil.which("nm")
    if nm is None:
        raise SystemExit("`nm` (GNU binutils) is needed to read the wheel's symbols: apt-get install binutils")
    out = subprocess.run([nm, "-C", "--defined-only", so], check=True, capture_output=True, text=True).stdout
    names = set()
    other = set()
    for namespace, name in _REGISTER.findall(out):
        (other if namespace else names).add(name)
    builtin = sorted(n for n in names if n in BUILTIN_OPERATORS)
    other |= {n for n in names if n not in BUILTIN_OPERATORS}
    provenance = {
        "package": "tflite-micro",
        "version": version,
        "source": "tflite::micro::Register_<NAME>() functions defined in "
                  "tflite_micro/python/tflite_micro/_runtime.so (registered by its PythonOpsResolver)",
    }
    return provenance, builtin, sorted(other)


def render(provenance, builtin, other) -> str:
    lines = ['"""TensorFlow Lite Micro\'s registered operators. Generated by',
             '`python -m utensor.tflm_ops --write`; do not edit by hand."""', "",
             "PROVENANCE = {"]
    lines += [f"    {k!r}: {v!r}," for k, v in provenance.items()]
    lines += ["}", "", "# TFLite builtin operators TFLM registers.", "BUILTIN = ("]
    lines += [f"    {n!r}," for n in builtin]
    lines += [")", "", "# Other registrations: custom operators, signal-library ops, kernel variants.",
              "OTHER = ("]
    lines += [f"    {n!r}," for n in other]
    lines += [")", ""]
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m utensor.tflm_ops", description=__doc__.split("\n")[0])
    p.add_argument("--write", action="store_true", help=f"rewrite {os.path.basename(_OUT)}")
    p.add_argument("--check", action="store_true", help="fail if the stored list differs from the wheel's")
    args = p.parse_args(argv)
    text = render(*extract())
    if args.write:
        with open(_OUT + ".tmp", "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(_OUT + ".tmp", _OUT)
        return 0
    if args.check:
        with open(_OUT, encoding="utf-8") as f:
            if f.read() != text:
                print(f"{_OUT} differs from the installed tflite_micro wheel: "
                      "python -m utensor.tflm_ops --write", file=sys.stderr)
                return 1
        return 0
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
