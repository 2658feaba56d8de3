"""Per-layer comparison (`utensor verify --layers`): every operator output captured on the
board against the same tensor of the reference interpreter, so a mismatch names the first
layer that differs.

Reference intermediates come from TFLite Micro with `kPreserveAllTensors` (its arena is
otherwise reused between operators, as ours is); models TFLite Micro cannot run (hybrid)
fall back to tf.lite with `experimental_preserve_all_tensors` and builtin kernels. Layers
are matched by the source model's tensor index, which the converter keeps.

Integer layers must be bit-exact. Float layers are judged against the layer's range: the
largest absolute error at most FLOAT_REL_TOL times the largest reference magnitude of the
layer. (The per-element rule of compare.py, which the model outputs still meet, would flag
inner layers of float models whose last-bit differences, from another summation order,
meet near-zero elements; each layer also computes from the board's previous layer.)
"""

import warnings
from dataclasses import dataclass
from typing import List, Optional, Sequence

import numpy as np

from ..errors import HarnessError, UtensorError
from .client import LayerDesc
from .compare import FLOAT_REL_TOL, Comparison, compare


class LayerReference:
    """Runs a model once per sample and keeps every tensor."""

    def __init__(self, model_bytes: bytes, model_path: str = "model"):
        from .. import reference

        self.name = "TensorFlow Lite Micro"
        self._micro = None
        self._lite = None
        runtime = reference._runtime()
        last = None
        for arena in (0, 4 << 20, 64 << 20):
            try:
                kwargs = {"arena_size": arena} if arena else {}
                with reference._quiet_stdout():  # TFLM prints its allocation failures
                    self._micro = runtime.Interpreter.from_bytes(
                        model_bytes, intrepreter_config=runtime.InterpreterConfig.kPreserveAllTensors, **kwargs)
                self._inputs = reference.Reference._details(self._micro.get_input_details)
                return
            except RuntimeError as e:
                last = e
        if not reference.tensorflow_available():
            raise UtensorError(f"{model_path}: TFLite Micro cannot run the model ({last}) and TensorFlow, "
                               "the other reference, is not installed: no layer to compare against.")
        import tensorflow as tf

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self._lite = tf.lite.Interpreter(
                model_content=model_bytes, experimental_preserve_all_tensors=True,
                experimental_op_resolver_type=tf.lite.experimental.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
        self._lite.allocate_tensors()
        self.name = f"TensorFlow Lite (TFLite Micro cannot run this model: {last})"

    def invoke(self, inputs: Sequence[np.ndarray]) -> None:
        if self._micro is not None:
            self._micro.reset()
            for i, x in enumerate(inputs):
                d = self._inputs[i]
                self._micro.set_input(np.asarray(x, dtype=d["dtype"]).reshape(d["shape"]), i)
            self._micro.invoke()
        else:
            for d, x in zip(self._lite.get_input_details(), inputs):
                self._lite.set_tensor(d["index"], np.asarray(x, dtype=d["dtype"]).reshape(d["shape"]))
            self._lite.invoke()

    def tensor(self, index: int) -> np.ndarray:
        """Tensor `index` (of the source model) after the last invoke."""
        if self._micro is not None:
            return np.array(self._micro.GetTensor(index, 0)["tensor_data"])
        return np.array(self._lite.get_tensor(index))


@dataclass
class LayerResult:
    layer: LayerDesc
    shape: tuple
    comparison: Comparison
    range_error: float  # max abs error / max |reference| of the layer (0 when exact)
    ok: bool


def judge(layer: LayerDesc, board: np.ndarray, ref: np.ndarray) -> LayerResult:
    c = compare(board, ref)
    if not np.issubdtype(board.dtype, np.floating):
        return LayerResult(layer, tuple(ref.shape), c, 0.0 if c.exact else float("inf"), c.exact)
    finite = np.isfinite(ref)
    top = float(np.max(np.abs(ref[finite]))) if finite.any() else 0.0
    if c.exact:
        err = 0.0
    elif c.max_abs_error == 0.0:  # equal values, other bits (-0.0, NaN payloads)
        err = 0.0
    else:
        err = c.max_abs_error / top if top > 0 else float("inf")
    return LayerResult(layer, tuple(ref.shape), c, err, err <= FLOAT_REL_TOL)


def check_layers(session, reference: LayerReference, inputs: Sequence[np.ndarray],
                 layers: Optional[List[LayerDesc]] = None) -> List[LayerResult]:
    """Capture every layer of `session`'s model on the board (one invoke each) and compare
    it with the reference run on the same inputs."""
    client, model = session.client, session.model
    layers = layers if layers is not None else client.layers(model.index)
    reference.invoke(inputs)
    results = []
    for layer in layers:
        ref = reference.tensor(layer.tensor_index)
        board = client.run_layer(model.index, inputs, layer)
        if board.size != ref.size:
            raise HarnessError(
                f"layer {layer.index} (operator #{layer.op_index} {layer.op_type}) has "
                f"{board.size} elements on the board and {ref.size} in the reference: the "
                "firmware was not built from this model. Rebuild the per-layer firmware.")
        board = board.reshape(ref.shape)
        results.append(judge(layer, board, ref))
    return results


def first_failure(results: Sequence[LayerResult]) -> Optional[LayerResult]:
    return next((r for r in results if not r.ok), None)


def describe(r: LayerResult) -> str:
    c = r.comparison
    if r.ok:
        if c.exact:
            return "match (bit-exact)"
        return f"match (max abs error {c.max_abs_error:.3g} = {r.range_error:.2g} of the layer's range)"
    detail = "" if c.exact or not np.isfinite(r.range_error) else f" = {r.range_error:.2g} of the layer's range"
    return (f"DIFFERS: {c.mismatches} of {int(np.prod(r.shape))} elements, max abs error "
            f"{c.max_abs_error:g}{detail}; ERROR at pos {c.first_mismatch}: Act: {c.board_value} Ref: {c.ref_value}")


def table(results: Sequence[LayerResult]) -> List[str]:
    """One line per layer: layer index, operator index and type, shape, result."""
    width = max([len(r.layer.op_type) for r in results] + [2])
    lines = [f"  {'layer':>5}  {'op':>4}  {'type':<{width}}  {'shape':<16}  result"]
    for r in results:
        shape = "x".join(str(d) for d in r.shape) or "scalar"
        lines.append(f"  {r.layer.index:>5}  #{r.layer.op_index:<3}  {r.layer.op_type:<{width}}  "
                     f"{shape:<16}  {describe(r)}")
    return lines
