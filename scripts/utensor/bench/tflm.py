"""TensorFlow Lite Micro, the yardstick: the figures measured for issue 5 (TFLM built for
the same emulated boards, same QEMU, exact instruction counts; runtime -Os, kernels -O2)
and the arena tflite_micro's own allocator records for a model on this host."""

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from typing import Optional

from ..errors import UtensorError


@dataclass(frozen=True)
class TflmFigures:
    reference_instructions: int      # TFLM reference kernels, mps2_an386
    cmsis_nn_instructions: int       # TFLM + CMSIS-NN, mps2_an386 (M7: practically the same)
    helium_instructions: int         # TFLM + CMSIS-NN with Helium, mps3_an547
    arena_bytes: int                 # TFLM arena on target
    runtime_flash_bytes: int         # TFLM flash without the model (-Os, int8-only kernels)
    flatbuffer_bytes: int            # the model flatbuffer TFLM keeps in flash


# Keyed by model file stem.
TFLM = {
    "kws_ref_model": TflmFigures(43_040_291, 7_696_908, 1_812_640, 22_772, 46_652, 53_936),
    "vww_96_int8": TflmFigures(100_250_351, 24_101_936, 6_558_312, 100_660, 46_652, 333_288),
    "pretrainedResnet_quant": TflmFigures(107_404_007, 29_863_328, 4_911_695, 54_340, 43_688, 98_496),
    "ad01_int8": TflmFigures(1_952_250, 582_928, 149_995, 2_260, 23_332, 276_976),
}
SOURCE = ("TFLM built for the same emulated boards under the same QEMU, exact counts "
          "(issue 5); M7 counts practically equal to M4; M55 with Helium CMSIS-NN.")


def figures(model_stem: str) -> Optional[TflmFigures]:
    return TFLM.get(model_stem)


def cmsis_instructions_for(fig: TflmFigures, board_id: str) -> int:
    """The optimized-TFLM count that matches a board: Helium on the M55, DSP otherwise."""
    return fig.helium_instructions if board_id == "mps3_an547" else fig.cmsis_nn_instructions


_ALLOC_RE = re.compile(r"Arena allocation (total|head|tail) (\d+) bytes")


_PROBE = """
import os, sys
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
from tflite_micro.python.tflite_micro import runtime
data = open(sys.argv[1], "rb").read()
for arena in (0, 4 << 20, 64 << 20):
    try:
        interp = runtime.Interpreter.from_bytes(data, **({"arena_size": arena} if arena else {}))
        break
    except RuntimeError as e:
        last = e
else:
    sys.exit("cannot load: %s" % last)
interp.print_allocations()
"""


def host_arena(model_path: str) -> dict:
    """tflite_micro's RecordingMicroAllocator figures for the model, on this (64-bit) host:
    head = planned activations and scratch (comparable with our arena), tail = persistent
    structures (pointer-size dependent, larger than on a 32-bit target), total = both.

    Run in a child process: the interpreter prints them through C stdio, below Python."""
    proc = subprocess.run([sys.executable, "-c", _PROBE, os.path.abspath(model_path)],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          timeout=300, check=False)
    found = {k: int(v) for k, v in _ALLOC_RE.findall(proc.stdout)}
    if proc.returncode != 0 or "total" not in found:
        raise UtensorError(f"{model_path}: tflite_micro reported no arena figures "
                           f"(exit {proc.returncode}): {proc.stdout.strip()[-400:]!r}")
    return {"total": found["total"], "head": found.get("head", 0), "tail": found.get("tail", 0)}
