"""The shared conformance generator: every operator registers its option space once, and
one test (test_conformance.py) checks it against tflite_micro over seeded random draws.

An operator's entry is a function `draw(rng, dtype) -> Case`: from a seeded
numpy RandomState it picks shapes and options within what TFLite Micro accepts, and
returns how to build the model with TensorFlow (a Keras functional graph over the inputs).
The generator builds it, converts it (float32; full-integer int8; or "int16", TFLite's 16x8
recipe: int16 activations, int8 weights, int64 bias; both with seeded representative data),
checks the converter really produced the operator, converts the model with utensor, compiles a batch of models into one host runner (ASan/UBSan) and
compares every output with tflite_micro: integers bit-exact, float32 within 1e-5 relative.

    @register("RELU", dtypes=("int8", "float32"))
    def relu(rng, dtype):
        shape = random_shape(rng, rank=rng.randint(2, 5))
        return Case([shape], lambda x: keras.ops.relu(x), {"shape": shape})

A failing draw prints its operator, dtype, seed and options, and
`python test/conformance.py OP DTYPE SEED` rebuilds exactly that model and checks it
alone (writing the .tflite beside the working directory for inspection).
"""

import os
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@dataclass
class Case:
    """One drawn model: input shapes (batch included), `build(*keras_inputs) -> outputs`
    (Keras layers or keras.ops), the options drawn (printed on failure), the float range
    of the representative data and inputs, and TFLite's op types it must produce."""
    input_shapes: List[Tuple[int, ...]]
    build: Callable
    options: Dict
    value_range: Tuple[float, float] = (-2.0, 2.0)
    expect_ops: Optional[Sequence[str]] = None  # default: the registered operator
    # Applied to the converted .tflite bytes per dtype, for operator forms the TensorFlow
    # converter never emits (e.g. int8 ADD_N): rewrite(tflite_bytes, dtype) -> bytes.
    rewrite: Optional[Callable[[bytes, str], bytes]] = None
    # Elements not compared, for operators whose TFLite Micro arithmetic is undefined C++ on
    # some inputs (the entry's docstring says which and why): exclude(graph, sample inputs)
    # -> one boolean mask per output (True: not compared), or None to compare everything.
    exclude: Optional[Callable] = None


@dataclass
class OpSpec:
    op: str
    draw: Callable[[np.random.RandomState, str], Case]
    dtypes: Tuple[str, ...]
    seeds: int  # draws per dtype in every run
    label: str = ""


SPECS: Dict[str, OpSpec] = {}


def register(op: str, dtypes=("int8", "float32"), seeds: int = 4, label: str = ""):
    """Register `draw` as the option space of TFLite operator `op` (label: a variant)."""
    def wrap(draw):
        key = op + (":" + label if label else "")
        assert key not in SPECS, f"{key} registered twice"
        SPECS[key] = OpSpec(op, draw, tuple(dtypes), seeds, label)
        return draw
    return wrap


# ---- drawing helpers ------------------------------------------------------------------

def random_shape(rng, rank: int, lo: int = 1, hi: int = 9, batch: int = 1) -> Tuple[int, ...]:
    """A shape of `rank` dims (the first is the batch, `batch`), others in [lo, hi]."""
    return (batch,) + tuple(int(rng.randint(lo, hi + 1)) for _ in range(rank - 1))


# ---- building, converting, checking ----------------------------------------------------

def _tf():
    import tensorflow as tf  # pylint: disable=import-outside-toplevel

    return tf


def _frozen_function(tf, model, case: Case):
    """The Keras model as one concrete function with its weights folded in as constants.

    TFLiteConverter.from_keras_model exports a SavedModel and reads it back first: two
    thirds of a draw's conversion time (0.35 of 0.53 s for a CONV_2D) for nothing the
    operator under test sees. The graph TF converts is the same model; only the SavedModel
    signature metadata (~150 bytes) is gone."""
    from tensorflow.python.framework.convert_to_constants import \
        convert_variables_to_constants_v2  # pylint: disable=import-outside-toplevel

    signature = [tf.TensorSpec(s, tf.float32, name=f"in{i}") for i, s in enumerate(case.input_shapes)]
    fn = tf.function(lambda *xs: model(list(xs) if len(xs) > 1 else xs[0]), input_signature=signature)
    return convert_variables_to_constants_v2(fn.get_concrete_function())


def to_tflite(case: Case, dtype: str, seed: int) -> bytes:
    tf = _tf()
    tf.keras.utils.set_random_seed(seed)
    inputs = [tf.keras.Input(shape=s[1:], batch_size=s[0], name=f"in{i}")
              for i, s in enumerate(case.input_shapes)]
    outputs = case.build(*inputs)
    model = tf.keras.Model(inputs, outputs)
    converter = tf.lite.TFLiteConverter.from_concrete_functions([_frozen_function(tf, model, case)])
    if dtype in ("int8", "int16"):
        lo, hi = case.value_range

        def representative():
            rng = np.random.RandomState(seed)
            for _ in range(24):
                yield [rng.uniform(lo, hi, size=s).astype(np.float32) for s in case.input_shapes]

        from opcheck import quantize_int8, quantize_int16  # pylint: disable=import-outside-toplevel

        (quantize_int8 if dtype == "int8" else quantize_int16)(converter, representative)
    elif dtype != "float32":
        raise ValueError(f"no conversion recipe for dtype {dtype}")
    tflite = converter.convert()
    return case.rewrite(tflite, dtype) if case.rewrite else tflite


def op_types(tflite_bytes: bytes) -> List[str]:
    from utensor import convert  # pylint: disable=import-outside-toplevel

    with tempfile.NamedTemporaryFile(suffix=".tflite") as f:
        f.write(tflite_bytes)
        f.flush()
        return [op.op_type for op in convert.read_model(f.name, name="probe").operators]


@dataclass
class Draw:
    key: str
    dtype: str
    seed: int
    case: Case
    tflite: bytes = b""
    problems: List[str] = field(default_factory=list)

    def describe(self) -> str:
        return (f"{self.key} {self.dtype} seed {self.seed} options {self.case.options}; "
                f"reproduce: python test/conformance.py {self.key} {self.dtype} {self.seed}")


def draw(key: str, dtype: str, seed: int) -> Draw:
    spec = SPECS[key]
    rng = np.random.RandomState(seed)
    case = spec.draw(rng, dtype)
    d = Draw(key, dtype, seed, case)
    d.tflite = to_tflite(case, dtype, seed)
    produced = op_types(d.tflite)
    for op in case.expect_ops or (spec.op,):
        if op not in produced:
            d.problems.append(f"TensorFlow produced {produced}, not {op}: fix the draw")
    return d


def check_draws(draws: Sequence[Draw], samples: int = 3, sanitize: bool = True) -> List[str]:
    """Convert and run every draw (one host build for all) against tflite_micro; returns
    the problems, each naming its draw."""
    from opcheck import compare, random_input  # pylint: disable=import-outside-toplevel
    from utensor.hostbuild import HostBatch  # pylint: disable=import-outside-toplevel
    from utensor.reference import Reference  # pylint: disable=import-outside-toplevel

    problems = [f"{d.describe()}: {p}" for d in draws for p in d.problems]
    runnable = [d for d in draws if not d.problems]
    if not runnable:
        return problems
    work = tempfile.mkdtemp(prefix="utensor-conformance-")
    try:
        paths = []
        for k, d in enumerate(runnable):
            paths.append(os.path.join(work, f"m{k}.tflite"))
            with open(paths[-1], "wb") as f:
                f.write(d.tflite)
        try:
            batch = HostBatch(paths, work_dir=work, sanitize=sanitize)
        except Exception as e:  # pylint: disable=broad-except
            return problems + [f"batch of {[d.describe() for d in runnable]}: {e}"]
        for k, d in enumerate(runnable):
            graph = batch.conversions[k].graph
            rng = np.random.RandomState(d.seed)
            lo, hi = d.case.value_range
            inputs = []
            for _ in range(samples):
                sample = []
                for t in (graph.tensor(i) for i in graph.inputs):
                    if t.dtype == "float32":
                        sample.append(rng.uniform(lo * 1.5, hi * 1.5, size=t.shape).astype(np.float32))
                    else:
                        sample.append(random_input(t, rng))
                inputs.append(sample)
            try:
                ours = batch.run(k, inputs)
            except Exception as e:  # pylint: disable=broad-except
                problems.append(f"{d.describe()}: {e}")
                continue
            ref = Reference(d.tflite)
            for s, sample in enumerate(inputs):
                masks = d.case.exclude(graph, sample) if d.case.exclude else None
                for j, (a, r) in enumerate(zip(ours[s], ref.invoke(sample))):
                    if masks is not None and masks[j] is not None:
                        keep = ~np.asarray(masks[j], dtype=bool).reshape(np.shape(r))
                        a, r = np.asarray(a)[keep], np.asarray(r)[keep]
                    problems += [f"{d.describe()}: {line}"
                                 for line in compare(a, r, f"sample {s} output {j}")[:5]]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return problems


def main(argv):
    """python test/conformance.py OP DTYPE SEED: rebuild and check one draw."""
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:0] = [os.path.join(os.path.dirname(here), "scripts"), here]
    # Run as a script this file is __main__: use the module the operators register with.
    import conformance  # pylint: disable=import-outside-toplevel,import-self
    import conformance_ops  # noqa: F401  pylint: disable=import-outside-toplevel,unused-import

    key, dtype, seed = argv[1], argv[2], int(argv[3])
    d = conformance.draw(key, dtype, seed)
    out = f"conformance_{key.replace(':', '_')}_{dtype}_{seed}.tflite"
    with open(out, "wb") as f:
        f.write(d.tflite)
    print(d.describe())
    print(f"model written to {out}")
    problems = conformance.check_draws([d])
    print("\n".join(problems) if problems else "PASS: bit-exact / within 1e-5 of tflite_micro")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
