"""Conformance checks: a model run by utensor (compiled for the host) against tflite_micro.

int8 (and other integer) outputs must be bit-exact; float32 within 1e-5 relative, with an
absolute floor of 1e-5 x the largest reference magnitude for values near zero.
"""

import os
import shutil
import subprocess
import sys
import tempfile
from typing import List, Optional, Sequence

import numpy as np

from utensor.hostbuild import HostModel
from utensor.ir import numpy_dtype
from utensor.reference import Reference

FLOAT_RTOL = 1e-5


def random_input(tensor, rng: np.random.RandomState) -> np.ndarray:
    """A seeded random sample covering the tensor's value range."""
    dt = numpy_dtype(tensor.dtype)
    if np.issubdtype(dt, np.integer):
        info = np.iinfo(dt)
        return rng.randint(int(info.min), int(info.max) + 1, size=tensor.shape).astype(dt)
    return rng.uniform(-1.0, 1.0, size=tensor.shape).astype(dt)


def compare(actual: np.ndarray, expected: np.ndarray, label: str = "output") -> List[str]:
    """Mismatch lines in CMSIS-NN's style; empty when the outputs agree."""
    a = np.asarray(actual).reshape(-1)
    r = np.asarray(expected).reshape(-1)
    if a.shape != r.shape:
        return [f"{label}: shape {np.shape(actual)} differs from reference {np.shape(expected)}"]
    if np.issubdtype(r.dtype, np.floating):
        floor = FLOAT_RTOL * max(float(np.max(np.abs(r))) if r.size else 0.0, 1e-30)
        bad = np.nonzero(np.abs(a.astype(np.float64) - r) > np.maximum(FLOAT_RTOL * np.abs(r), floor))[0]
    else:
        bad = np.nonzero(a != r)[0]
    return [f"{label}: ERROR at pos {i}: Act: {a[i]} Ref: {r[i]}" for i in bad[:20]] + (
        [f"{label}: ... {len(bad)} mismatches in all"] if len(bad) > 20 else []
    )


def assert_matches_reference(
    tflite_bytes: bytes,
    samples: int = 3,
    seed: int = 0,
    sanitize: bool = True,
    inputs: Optional[Sequence[Sequence[np.ndarray]]] = None,
    name: str = "model_under_test",
) -> None:
    """Convert, compile for the host, run `samples` seeded inputs, compare with tflite_micro."""
    work = tempfile.mkdtemp(prefix="utensor-opcheck-")
    try:
        path = os.path.join(work, f"{name}.tflite")
        with open(path, "wb") as f:
            f.write(tflite_bytes)
        model = HostModel(path, work_dir=work, sanitize=sanitize)
        rng = np.random.RandomState(seed)
        if inputs is None:
            inputs = [[random_input(t, rng) for t in model.inputs] for _ in range(samples)]
        ours = model.run(inputs)
        ref = Reference(tflite_bytes)
        problems = []
        for k, sample in enumerate(inputs):
            expected = ref.invoke(sample)
            for j, (a, r) in enumerate(zip(ours[k], expected)):
                problems += compare(a, r, f"sample {k} output {j}")
        assert not problems, "utensor differs from tflite_micro:\n" + "\n".join(problems[:60])
    finally:
        shutil.rmtree(work, ignore_errors=True)


def quantize_int8(converter, representative, io_type=None):
    """Set a tf.lite.TFLiteConverter to TFLite's full-integer int8 recipe (the one every
    test model uses): `representative` yields calibration samples; io_type is the model's
    input/output type (default tf.int8; tf.float32 / tf.uint8 add QUANTIZE/DEQUANTIZE)."""
    import tensorflow as tf  # pylint: disable=import-outside-toplevel

    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = io_type or tf.int8
    converter.inference_output_type = io_type or tf.int8
    return converter


def quantize_int16(converter, representative, io_type=None):
    """Set a tf.lite.TFLiteConverter to TFLite's 16x8 recipe: int16 activations (symmetric,
    zero point 0), int8 weights, int64 bias for convolutions and fully connected layers;
    io_type as in quantize_int8 (default tf.int16)."""
    import tensorflow as tf  # pylint: disable=import-outside-toplevel

    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative
    converter.target_spec.supported_ops = [
        tf.lite.OpsSet.EXPERIMENTAL_TFLITE_BUILTINS_ACTIVATIONS_INT16_WEIGHTS_INT8]
    converter.inference_input_type = io_type or tf.int16
    converter.inference_output_type = io_type or tf.int16
    return converter


REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
QEMU_TOOLS = ("pio", "arm-none-eabi-gcc", "qemu-system-arm")


def have_qemu_tools() -> bool:
    return all(shutil.which(t) is not None for t in QEMU_TOOLS)


def assert_bit_exact_on_board(model_path, board: str, samples: int, seed: int, build_dir,
                              layers: bool = False) -> str:
    """`utensor verify` of a model file on an emulated board (the Arm kernel variants, which
    the host checks above never run): every sample bit-exact with tflite_micro (and every
    layer, with `layers`). Returns verify's output."""
    env = dict(os.environ, PYTHONPATH=os.path.join(REPO, "scripts"))
    cmd = [sys.executable, "-m", "utensor", "verify", str(model_path), "--board", board,
           "--samples", str(samples), "--seed", str(seed), "--build-dir", str(build_dir)]
    r = subprocess.run(cmd + (["--layers"] if layers else []), env=env, text=True,
                       capture_output=True, timeout=900)
    assert r.returncode == 0, r.stdout + r.stderr
    stem = os.path.splitext(os.path.basename(str(model_path)))[0]
    verdict = f"PASS: {stem} on {board}: {samples}/{samples} samples match; bit-exact"
    assert verdict in r.stdout, r.stdout
    return r.stdout
