"""QUANTIZE float32 -> int8 on the inputs where rounding is decided (issue 15): TFLite
Micro divides by the scale in float32 and rounds half away from zero. Inputs sit a few
ulps around the half-way points (k + 0.5) * scale, where a double division (what this
kernel did before) or a reciprocal multiply gives another integer; plus NaN-free
saturation far outside the range. Bit-exact against tflite_micro on the host runner and
on boards with FPv4 (M4), FPv5 (M7, M55) and no FPU (M3).

Both of the int8 kernel's forms are checked. With 512 elements the converter emits 255
thresholds (ops/_quantize_thresholds.py) for builds without an FPU: the host and the M3
count them (integer compares only), the FPU boards divide in float32. With 48 elements
(under 64, where the 1 KiB table would cost more flash than it saves) every build
divides, the M3 in software."""

import numpy as np
import pytest

tf = pytest.importorskip("tensorflow")
from opcheck import assert_matches_reference, quantize_int8  # noqa: E402
from utensor.reference import Reference  # noqa: E402

SIZES = [512, 48]  # the thresholds form, the division form


def _model(size):
    tf.keras.utils.set_random_seed(3)
    x = tf.keras.Input(shape=(size,), name="in0")
    y = tf.keras.layers.Reshape((16, size // 16))(x)
    rng = np.random.RandomState(3)

    def representative():
        for _ in range(8):
            yield {"in0": rng.uniform(-1.3, 1.7, size=(1, size)).astype(np.float32)}

    conv = quantize_int8(tf.lite.TFLiteConverter.from_keras_model(tf.keras.Model(x, y)),
                         representative, tf.float32)
    return conv.convert()


def _rha(v: float) -> float:
    return float(np.sign(v) * np.floor(abs(v) + 0.5))


def _decisive_inputs(scale: np.float32, seed: int, size: int):
    """Inputs near the half-way points where float32 and double division round apart,
    then near-half-way and out-of-range values."""
    picked = []
    for k in range(-140, 140):
        base = np.float32((k + 0.5) * float(scale))
        for d in range(-24, 25):
            x = base
            for _ in range(abs(d)):
                x = np.nextafter(x, np.float32(np.inf if d > 0 else -np.inf))
            if _rha(float(np.float32(x) / scale)) != _rha(float(x) / float(scale)):
                picked.append(x)
    rng = np.random.RandomState(seed)
    values = np.array(picked[:size // 2], dtype=np.float32)
    rest = size - len(values)
    near = ((rng.randint(-140, 140, size=rest) + 0.5) * float(scale)).astype(np.float32)
    near[::7] = rng.uniform(-1e6, 1e6, size=near[::7].shape).astype(np.float32)
    return np.concatenate([values, near]).reshape(1, size), len(picked)


def _uses_thresholds(model, tmp_path) -> bool:
    from utensor import convert  # pylint: disable=import-outside-toplevel

    path = tmp_path / "q.tflite"
    path.write_bytes(model)
    (call,) = [c for c in convert.convert_file(str(path)).calls
               if c.params.get("struct") == "QuantizeF32Params"]
    return call.params["fields"]["thresholds"] is not None


@pytest.mark.parametrize("size", SIZES)
def test_quantize_rounds_as_tflite_micro(size, tmp_path):
    model = _model(size)
    assert _uses_thresholds(model, tmp_path) == (size >= 64)
    ref = Reference(model)
    q = [d for d in ref.input_details]  # float input; the QUANTIZE output's scale below
    del q
    import tensorflow.lite as tfl  # pylint: disable=import-outside-toplevel
    details = tfl.Interpreter(model_content=model).get_tensor_details()
    scale = np.float32([d["quantization"][0] for d in details if d["dtype"] == np.int8][0])
    inputs, decisive = _decisive_inputs(scale, 0, size)
    assert decisive >= 10, "no inputs where float32 and double division round apart"
    assert_matches_reference(model, samples=1, seed=0, inputs=[[inputs]])


@pytest.mark.parametrize("board, size", [(b, 512) for b in ("mps2_an386", "mps2_an500", "mps3_an547", "mps2_an385")]
                         + [("mps2_an385", 48)])  # FPv4, FPv5 (M7, M55), none
def test_quantize_rounds_as_tflite_micro_on_qemu(board, size, tmp_path):
    import os
    import subprocess
    import sys

    from opcheck import REPO, have_qemu_tools  # pylint: disable=import-outside-toplevel

    if not have_qemu_tools():
        pytest.skip("needs pio, arm-none-eabi-gcc and qemu-system-arm")
    model = _model(size)
    details = tf.lite.Interpreter(model_content=model).get_tensor_details()
    scale = np.float32([d["quantization"][0] for d in details if d["dtype"] == np.int8][0])
    inputs, _ = _decisive_inputs(scale, 1, size)
    path, data = tmp_path / "kern_quantize.tflite", tmp_path / "inputs.npy"
    path.write_bytes(model)
    np.save(data, inputs.reshape(1, 1, size))
    env = dict(os.environ, PYTHONPATH=os.path.join(REPO, "scripts"))
    r = subprocess.run([sys.executable, "-m", "utensor", "verify", str(path), "--board", board,
                        "--input", str(data), "--samples", "1", "--build-dir",
                        str(tmp_path / "build")], env=env, text=True, capture_output=True,
                       timeout=900)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "1/1 samples match; bit-exact" in r.stdout, r.stdout


@pytest.mark.parametrize("scale, zero_point", [(0.0078125, 0), (0.02, -5), (1 / 255, -128), (3.7e-3, 17),
                                               (0.1, 127), (1e-6, 0), (123.0, -100), (1e-40, 0), (3e38, 0)])
def test_thresholds_reproduce_the_float_formula(scale, zero_point):
    """The converter's 255 thresholds (ops/_quantize_thresholds.py) against TFLite's float32
    round(x / scale) + zero_point, counted as the kernel counts them, on random floats over
    and beyond the range, every half-way point k + 0.5 and its two float neighbours, zeros,
    infinities and subnormals (NaN is the kernel's own case)."""
    from utensor.ops._quantize_thresholds import quantize_reference, sortable_key, thresholds

    t = np.array(thresholds(scale, zero_point))
    assert len(t) == 255 and np.all(np.diff(t) >= 0)
    rng = np.random.default_rng(0)
    with np.errstate(over="ignore"):
        span = np.float32(min(scale * 300, 1e38))
        mids = ((np.arange(-300, 300) + 0.5) * np.float32(scale)).astype(np.float32)
    x = np.concatenate([rng.uniform(-1, 1, 100000).astype(np.float32) * span,
                        (np.arange(-300, 300) * np.float32(scale)).astype(np.float32), mids,
                        np.nextafter(mids, np.float32(np.inf)), np.nextafter(mids, np.float32(-np.inf)),
                        np.array([0.0, -0.0, np.inf, -np.inf, 1e30, -1e30, 1e-40, -1e-40], np.float32)])
    x = x.astype(np.float32)
    counted = -128 + np.searchsorted(t, sortable_key(x.view(np.uint32)), side="right")
    expected = quantize_reference(x, scale, zero_point)
    assert np.array_equal(counted, expected), int(np.sum(counted != expected))
