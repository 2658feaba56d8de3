"""The oracle: TensorFlow Lite Micro's interpreter (`tflite_micro` from PyPI).

`TFLiteReference` is the fallback for models TFLite Micro cannot run (hybrid, i.e.
dynamic-range quantized, models such as kws_ref_model_float32): TensorFlow Lite's
interpreter with its builtin kernels, without the default XNNPACK delegate (which computes
hybrid layers differently from TFLite's own kernels).

int8 outputs of utensor must equal these byte for byte; float outputs within 1e-5
relative. Imported lazily: only `verify`, `run` and the tests need it.
"""

import contextlib
import ctypes
import os
import sys
from typing import List, Sequence

import numpy as np

from .errors import UtensorError


@contextlib.contextmanager
def _quiet_stdout():
    """Silences file descriptors 1 and 2 (TFLM's MicroPrintf writes below Python)."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    try:
        with open(os.devnull, "wb") as devnull:
            os.dup2(devnull.fileno(), 1)
            os.dup2(devnull.fileno(), 2)
        yield
    finally:
        _libc_fflush()  # C stdio buffers the complaint: flush it into /dev/null, not later
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for fd in saved:
            os.close(fd)


def _libc_fflush() -> None:
    try:
        ctypes.CDLL(None).fflush(None)
    except (OSError, AttributeError):
        pass


def _runtime():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    try:
        from tflite_micro.python.tflite_micro import runtime
    except ImportError as e:
        raise UtensorError(
            f"the TFLite Micro reference interpreter is not installed ({e}). "
            "Install it with `pip install tflite-micro` (the README's set-up does)."
        ) from None
    return runtime


class Reference:
    """A tflite_micro interpreter over one model, reused across samples."""

    name = "TensorFlow Lite Micro"
    note = ""  # why this reference was chosen, when it is not the usual one

    # tflite_micro's default arena is too small for some single large layers; a model whose
    # tensors do not fit it is retried with this much before giving up.
    LARGE_ARENA = 64 * 1024 * 1024

    def __init__(self, model_bytes: bytes, arena_size: int = 0):
        runtime = _runtime()
        try:
            kwargs = {"arena_size": arena_size} if arena_size else {}
            self._interp = runtime.Interpreter.from_bytes(model_bytes, **kwargs)
        except RuntimeError:
            if arena_size >= self.LARGE_ARENA:
                raise
            self._interp = runtime.Interpreter.from_bytes(model_bytes, arena_size=self.LARGE_ARENA)
        self.input_details = self._details(self._interp.get_input_details)
        self.output_details = self._details(self._interp.get_output_details)

    @staticmethod
    def _details(getter) -> List[dict]:
        """All input (or output) details: tflite_micro has no count, so probe past the end."""
        details = []
        with _quiet_stdout():  # the probe past the last index prints a complaint
            while True:
                try:
                    details.append(getter(len(details)))
                except Exception:  # a bare RuntimeError past the last index
                    return details

    def invoke(self, inputs: Sequence[np.ndarray]) -> List[np.ndarray]:
        """One inference from the reset state (each sample alone)."""
        self._interp.reset()
        return self.step(inputs)

    def reset(self) -> None:
        """The interpreter's reset(): variable tensors back to their initial values."""
        self._interp.reset()

    def step(self, inputs: Sequence[np.ndarray]) -> List[np.ndarray]:
        """One inference continuing from the state the previous one left (stateful models)."""
        for i, x in enumerate(inputs):
            d = self.input_details[i]
            self._interp.set_input(np.asarray(x, dtype=d["dtype"]).reshape(d["shape"]), i)
        self._interp.invoke()
        return [np.array(self._interp.get_output(i)) for i in range(len(self.output_details))]


def reference_outputs(model_path: str, inputs: Sequence[np.ndarray]) -> List[np.ndarray]:
    with open(model_path, "rb") as f:
        return Reference(f.read()).invoke(inputs)


class TFLiteReference:
    """tf.lite.Interpreter (builtin kernels, no default delegates) over one model; the same
    interface as Reference. Needs TensorFlow."""

    name = "TensorFlow Lite"
    note = ""

    def __init__(self, model_bytes: bytes):
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        import warnings
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # tf.lite.Interpreter's deprecation notice
                import tensorflow as tf
                self._interp = tf.lite.Interpreter(
                    model_content=model_bytes,
                    experimental_op_resolver_type=tf.lite.experimental.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
                )
        except ImportError as e:
            raise UtensorError(f"TensorFlow is not installed ({e}); it is the reference for models "
                               "TFLite Micro cannot run. Install it with `pip install tensorflow-cpu`.") from None
        self._interp.allocate_tensors()
        self.input_details = self._interp.get_input_details()
        self.output_details = self._interp.get_output_details()

    def invoke(self, inputs: Sequence[np.ndarray]) -> List[np.ndarray]:
        for d, x in zip(self.input_details, inputs):
            self._interp.set_tensor(d["index"], np.asarray(x, dtype=d["dtype"]).reshape(d["shape"]))
        self._interp.invoke()
        return [np.array(self._interp.get_tensor(d["index"])) for d in self.output_details]


def tensorflow_available() -> bool:
    import importlib.util
    return importlib.util.find_spec("tensorflow") is not None
