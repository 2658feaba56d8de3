"""The oracle: TensorFlow Lite Micro's interpreter (`tflite_micro` from PyPI).

int8 outputs of utensor must equal these byte for byte; float outputs within 1e-5
relative. Imported lazily: only `verify`, `run` and the tests need it.
"""

import os
from typing import List, Sequence

import numpy as np

from .errors import UtensorError


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

    def __init__(self, model_bytes: bytes, arena_size: int = 0):
        runtime = _runtime()
        kwargs = {"arena_size": arena_size} if arena_size else {}
        self._interp = runtime.Interpreter.from_bytes(model_bytes, **kwargs)
        self.input_details = self._details(self._interp.get_input_details)
        self.output_details = self._details(self._interp.get_output_details)

    @staticmethod
    def _details(getter) -> List[dict]:
        details = []
        i = 0
        while True:
            try:
                details.append(getter(i))
            except Exception:  # tflite_micro raises a bare RuntimeError past the last index
                return details
            i += 1

    def invoke(self, inputs: Sequence[np.ndarray]) -> List[np.ndarray]:
        self._interp.reset()
        for i, x in enumerate(inputs):
            d = self.input_details[i]
            self._interp.set_input(np.asarray(x, dtype=d["dtype"]).reshape(d["shape"]), i)
        self._interp.invoke()
        return [np.array(self._interp.get_output(i)) for i in range(len(self.output_details))]


def reference_outputs(model_path: str, inputs: Sequence[np.ndarray]) -> List[np.ndarray]:
    with open(model_path, "rb") as f:
        return Reference(f.read()).invoke(inputs)
