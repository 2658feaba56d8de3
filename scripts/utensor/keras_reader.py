"""Keras (`.keras`, `.h5`) and SavedModel input: TensorFlow's own TFLite converter, then
the `.tflite` reader.

    read_keras(path, name, representative_data=None) -> ir.Graph
    keras_to_tflite(path, representative_data=None) -> bytes

Without representative data the model is converted to float32. With it (an `.npy` holding
an array of samples for a single-input model, or an `.npz` with one array of samples per
input) it is fully quantized to int8, int8 input and output included, which is what the
int8 kernels and the bit-exact guarantee are about.

TensorFlow is imported only here, and only when such a model is read: the `.tflite` path
stays pure Python so PlatformIO's own interpreter can run it.
"""

import contextlib
import hashlib
import os
import shutil
import sys
import tempfile
from typing import List, Optional, Tuple

import numpy as np

from .errors import ModelFormatError, UtensorError
from .ir import Graph

PYTHON_OPTION = "custom_utensor_python"
DATA_OPTION = "custom_utensor_representative_data"
# The converter calibrates on at most this many samples; more only slows it down.
MAX_CALIBRATION_SAMPLES = 500


def read_keras(path: str, name: str, representative_data: Optional[str] = None) -> Graph:
    """Convert the Keras/SavedModel model at `path` with TensorFlow, then read it as TFLite."""
    from .tflite import read_tflite

    tflite_bytes = keras_to_tflite(path, representative_data)
    work = tempfile.mkdtemp(prefix="utensor-keras-")
    try:
        tmp = os.path.join(work, os.path.basename(os.path.normpath(path)) + ".tflite")
        with open(tmp, "wb") as f:
            f.write(tflite_bytes)
        graph = read_tflite(tmp, name=name)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    graph.source_path = path
    graph.source_sha256 = _source_sha256(path, representative_data)
    return graph


def keras_to_tflite(path: str, representative_data: Optional[str] = None) -> bytes:
    """The `.tflite` bytes TensorFlow's converter makes of the model at `path`."""
    tf = import_tensorflow(path)
    samples = load_representative_data(representative_data) if representative_data else None
    converter, inputs = _converter(tf, path)
    if samples is not None:
        samples = _match_inputs(inputs, samples, path, representative_data)
        names = [n for n, _ in inputs] if inputs and len(inputs) > 1 else None
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = lambda: _calibration_samples(samples, names)
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = tf.int8
        converter.inference_output_type = tf.int8
    with _captured_output() as log:
        try:
            return bytes(converter.convert())
        except Exception as e:  # pylint: disable=broad-except  # TF raises many kinds
            detail = _last_lines(str(e)) or _last_lines(log.read())
            fix = ("int8 quantization needs every operator to have an int8 TFLite kernel; "
                   "convert without representative data for float32, or change the layer. "
                   if samples is not None else "")
            raise UtensorError(
                f"{path}: TensorFlow's TFLite converter failed ({type(e).__name__}): {detail} "
                f"{fix}Keep the model to TFLite builtin layers (no custom Python layers, no "
                "TF ops outside TFLite's builtin set).") from None


def import_tensorflow(path: str):
    """TensorFlow, or a UtensorError naming the interpreter to use instead."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    try:
        with _captured_output():  # TF logs its CPU features at import, whatever the level
            import tensorflow as tf  # pylint: disable=import-outside-toplevel
    except ImportError as e:
        raise UtensorError(
            f"{path}: Keras (.keras/.h5) and SavedModel models are converted with TensorFlow, "
            f"which the Python running utensor ({sys.executable}) cannot import ({e}). "
            f"With PlatformIO, set `{PYTHON_OPTION} = /path/to/python` in platformio.ini to "
            "an interpreter that has TensorFlow (pip install tensorflow-cpu); on the command "
            "line, run utensor with an interpreter that has TensorFlow. Or export a .tflite "
            "file yourself and use that (no TensorFlow needed).") from None
    return tf


def load_representative_data(data_path: str) -> List[Tuple[str, np.ndarray]]:
    """(name, array of samples) per model input, from an `.npy` or `.npz` file."""
    if not os.path.isfile(data_path):
        raise UtensorError(f"{data_path}: representative data file not found ({DATA_OPTION} "
                           "/ --representative-data). Give an existing .npy or .npz file.")
    try:
        loaded = np.load(data_path, allow_pickle=False)
        if isinstance(loaded, np.ndarray):
            keyed = [("", loaded)]
        else:
            with loaded:
                keyed = [(k, loaded[k]) for k in loaded.files]
    except (ValueError, OSError) as e:
        raise UtensorError(f"{data_path}: not a readable .npy/.npz file ({e}). Save the "
                           "samples with numpy.save (one input) or numpy.savez (one array "
                           "per input, in input order).") from None
    arrays = [a for _, a in keyed]
    if not arrays or any(a.ndim < 1 or a.shape[0] == 0 for a in arrays):
        raise UtensorError(f"{data_path}: holds no samples. Save an array of samples "
                           "(first dimension = sample) per model input.")
    if any(not np.issubdtype(a.dtype, np.number) for a in arrays):
        raise UtensorError(f"{data_path}: the samples must be numbers (float inputs as the "
                           "model sees them before quantization).")
    counts = {a.shape[0] for a in arrays}
    if len(counts) != 1:
        raise UtensorError(f"{data_path}: the arrays hold different numbers of samples "
                           f"({sorted(counts)}); give the same number for every input.")
    return [(k, np.asarray(a, dtype=np.float32)) for k, a in keyed]


def _converter(tf, path: str):
    if os.path.isdir(path):
        if not os.path.isfile(os.path.join(path, "saved_model.pb")):
            raise ModelFormatError(
                f"{path}: a folder is read as a TensorFlow SavedModel, but it has no "
                "saved_model.pb. Export one with model.export(folder) (Keras 3) or "
                "tf.saved_model.save, or give a .keras/.h5/.tflite file.")
        try:
            with _captured_output():
                converter = tf.lite.TFLiteConverter.from_saved_model(path)
                inputs = _saved_model_inputs(tf, path)
            return converter, inputs
        except Exception as e:  # pylint: disable=broad-except
            raise ModelFormatError(f"{path}: TensorFlow cannot load this SavedModel "
                                   f"({type(e).__name__}: {_last_lines(str(e))}).") from None
    try:
        import keras  # pylint: disable=import-outside-toplevel
    except ImportError:
        keras = tf.keras
    try:
        with _captured_output():
            model = keras.models.load_model(path, compile=False)
    except Exception as e:  # pylint: disable=broad-except
        raise ModelFormatError(
            f"{path}: Keras cannot load this model ({type(e).__name__}: {_last_lines(str(e))}). "
            "Save it with model.save('model.keras'); a model with custom layers cannot be "
            "loaded without their code: export a SavedModel or a .tflite instead.") from None
    inputs = ([(_keras_input_name(t), tuple(t.shape)) for t in model.inputs]
              if getattr(model, "inputs", None) else None)
    return tf.lite.TFLiteConverter.from_keras_model(model), inputs


def _keras_input_name(tensor) -> str:
    """The serving signature's key for a Keras input (its Input layer's name)."""
    return str(getattr(tensor, "name", "")).split(":")[0]


def _match_inputs(inputs, keyed, path: str, data_path: str) -> List[np.ndarray]:
    """The sample arrays in the model's input order (npz keys matched to input names when
    they all match, file order otherwise); a UtensorError with the shapes when they do not
    fit."""
    if inputs is None:
        return [a for _, a in keyed]
    if len(inputs) != len(keyed):
        raise UtensorError(
            f"{data_path}: holds {len(keyed)} array(s) but {path} has {len(inputs)} "
            "input(s). Use an .npz with one array of samples per input, in input order "
            f"or keyed by input name ({', '.join(n for n, _ in inputs)}).")
    by_name = dict(keyed)
    if len(inputs) > 1 and all(n in by_name for n, _ in inputs):
        arrays = [by_name[n] for n, _ in inputs]
    else:
        arrays = [a for _, a in keyed]
    for i, ((name, shape), arr) in enumerate(zip(inputs, arrays)):
        sample = tuple(arr.shape[1:])
        want = tuple(shape[1:])
        fits = len(sample) == len(want) and all(w is None or w == s for w, s in zip(want, sample))
        if not fits:
            raise UtensorError(
                f"{data_path}: samples for input {i} ({name}) have shape {sample}, the model "
                f"expects {tuple('?' if d is None else d for d in want)} per sample. Save an "
                "array of shape (number of samples, *input shape without the batch dimension).")
    return arrays


def _saved_model_inputs(tf, path: str):
    """(name, shape with batch first, None where free) per input of the serving signature,
    in the order of its keys, or None when it cannot be told."""
    try:
        loaded = tf.saved_model.load(path)
        signatures = loaded.signatures
        func = signatures.get("serving_default") or next(iter(signatures.values()))
        specs = func.structured_input_signature[1]
        return [(k, tuple(specs[k].shape.as_list())) for k in sorted(specs)]
    except Exception:  # pylint: disable=broad-except  # the converter reports real problems
        return None


def _calibration_samples(samples: List[np.ndarray], names: Optional[List[str]]):
    """One sample at a time; keyed by input name for several inputs, because TensorFlow's
    converter orders a list by its own input order, not the model's."""
    count = min(samples[0].shape[0], MAX_CALIBRATION_SAMPLES)
    for i in range(count):
        one = [a[i : i + 1] for a in samples]
        yield dict(zip(names, one)) if names else one


def _source_sha256(path: str, data_path: Optional[str]) -> str:
    """sha256 over the model's bytes (a folder's names and bytes) and the calibration data."""
    digest = hashlib.sha256()
    for p in [path] + ([data_path] if data_path else []):
        if os.path.isdir(p):
            for root, dirs, files in os.walk(p):
                dirs.sort()
                for name in sorted(files):
                    full = os.path.join(root, name)
                    digest.update(os.path.relpath(full, p).replace(os.sep, "/").encode() + b"\0")
                    with open(full, "rb") as f:
                        digest.update(f.read())
        else:
            with open(p, "rb") as f:
                digest.update(f.read())
    return digest.hexdigest()


def _last_lines(text: str, count: int = 4) -> str:
    lines = [ln.strip() for ln in str(text).splitlines() if ln.strip()]
    errors = [ln for ln in lines if "error" in ln.lower()]
    return " / ".join((errors or lines)[-count:])[:1200]


@contextlib.contextmanager
def _captured_output():
    """Collect what TensorFlow writes to fd 1 and 2 (progress chatter, MLIR errors), so
    the converter's own output stays a short summary."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    with tempfile.TemporaryFile(mode="w+b") as sink:
        os.dup2(sink.fileno(), 1)
        os.dup2(sink.fileno(), 2)
        reader = _LogReader(sink)
        try:
            yield reader
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


class _LogReader:
    def __init__(self, sink):
        self._sink = sink

    def read(self) -> str:
        self._sink.flush()
        self._sink.seek(0)
        return self._sink.read().decode("utf-8", errors="replace")
