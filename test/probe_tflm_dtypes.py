"""Which (operator, dtype) pairs TFLite Micro runs and utensor refuses.

    python test/probe_tflm_dtypes.py [OP ...] [--dtypes int16,int32,...] [--all]

For every operator of `utensor ops` that has a conformance entry (test/conformance_ops*.py)
and every dtype asked (default int16, int32, int64, bool, int8), a tiny model is built from
the entry's seed-0 draw:
- int8 / int16: TensorFlow's own recipe first (full-integer int8, or 16x8), used when the
  converter really gives the operator that dtype;
- otherwise (and for int32 / int64 / bool) the float32 model with every float32 tensor
  retyped through TensorFlow's flatbuffer object API (tensorflow.lite.tools.flatbuffer_utils):
  constant buffers re-encoded, int8/int16 tensors quantized with one scale and zero point 0.
tflite_micro then loads and invokes it in a forked child (a kernel that aborts cannot end
the probe), and utensor reads and lowers it. Printed: the pairs TFLM runs that we refuse
(with our message), or with --all every verdict.

A retyped model retypes its other operators too (a comparison before a LOGICAL_AND, a
Lambda's helpers): a pair TFLM "refuses" may be another operator's refusal. The probe is a
guide to what to implement, not a test; each pair implemented gets a conformance entry.
"""

import os
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.join(os.path.dirname(HERE), "scripts"), HERE]
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

DTYPES = ("int16", "int32", "int64", "bool", "int8")
SCALE = 0.05


def _schema():
    from tensorflow.lite.python import schema_py_generated as schema  # pylint: disable=import-outside-toplevel

    return schema


def retype(tflite: bytes, dtype: str) -> bytes:
    """Every float32 tensor of the model becomes `dtype` (constants re-encoded)."""
    from tensorflow.lite.tools import flatbuffer_utils  # pylint: disable=import-outside-toplevel

    schema = _schema()
    code = {"int8": schema.TensorType.INT8, "int16": schema.TensorType.INT16,
            "int32": schema.TensorType.INT32, "int64": schema.TensorType.INT64,
            "bool": schema.TensorType.BOOL}[dtype]
    np_dtype = {"bool": np.bool_}.get(dtype, dtype)
    model = flatbuffer_utils.convert_bytearray_to_object(bytearray(tflite))
    for g in model.subgraphs:
        for t in g.tensors:
            if t.type != schema.TensorType.FLOAT32:
                continue
            t.type = code
            buf = model.buffers[t.buffer]
            if buf.data is not None and len(buf.data):
                x = np.frombuffer(bytes(bytearray(buf.data)), dtype=np.float32)
                if dtype in ("int8", "int16"):
                    info = np.iinfo(dtype)
                    y = np.clip(np.round(x / SCALE), info.min, info.max).astype(dtype)
                elif dtype == "bool":
                    y = x > 0
                else:
                    y = np.round(x).astype(dtype)
                buf.data = np.frombuffer(y.astype(np_dtype).tobytes(), dtype=np.uint8)
            if dtype in ("int8", "int16"):
                q = schema.QuantizationParametersT()
                q.scale, q.zeroPoint = [SCALE], [0]
                t.quantization = q
            else:
                t.quantization = None
    return bytes(flatbuffer_utils.convert_object_to_bytearray(model))


def _inputs(tflite: bytes, rng):
    from utensor.reference import Reference  # pylint: disable=import-outside-toplevel

    ref = Reference(tflite)
    xs = []
    for d in ref.input_details:
        dt = np.dtype(d["dtype"])
        shape = tuple(d["shape"])
        if dt == np.bool_:
            xs.append(rng.rand(*shape) < 0.5)
        elif np.issubdtype(dt, np.integer):
            xs.append(rng.randint(-3, 4, size=shape).astype(dt))
        else:
            xs.append(rng.uniform(-2, 2, size=shape).astype(dt))
    return ref, xs


def tflm_runs(tflite: bytes) -> str:
    """'' when tflite_micro loads and invokes the model, else why not (in a forked child)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.close(r)
        msg = ""
        try:
            ref, xs = _inputs(tflite, np.random.RandomState(0))
            ref.invoke(xs)
        except Exception as e:  # pylint: disable=broad-except
            msg = f"{type(e).__name__}: {e}".replace("\n", " ")[:200] or "error"
        os.write(w, msg.encode() or b"")
        os._exit(3 if msg else 0)
    os.close(w)
    out = b""
    while True:
        chunk = os.read(r, 4096)
        if not chunk:
            break
        out += chunk
    os.close(r)
    _, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        return f"crashed (signal {os.WTERMSIG(status)})"
    code = os.WEXITSTATUS(status)
    return "" if code == 0 else (out.decode(errors="replace") or f"exit {code}")


def utensor_refusal(tflite: bytes) -> str:
    from utensor import convert, passes  # pylint: disable=import-outside-toplevel
    from utensor.errors import UtensorError  # pylint: disable=import-outside-toplevel

    with tempfile.NamedTemporaryFile(suffix=".tflite") as f:
        f.write(tflite)
        f.flush()
        try:
            graph = passes.run_all(convert.read_model(f.name, name="probe"), ())
            convert.lower_graph(graph)
        except UtensorError as e:
            return str(e).replace("\n", " ")
    return ""


def op_dtype(tflite: bytes, op: str):
    """The dtype of the first non-constant input (or the output) of the first operator `op`."""
    from utensor import convert  # pylint: disable=import-outside-toplevel

    with tempfile.NamedTemporaryFile(suffix=".tflite") as f:
        f.write(tflite)
        f.flush()
        graph = convert.read_model(f.name, name="probe")
    for o in graph.operators:
        if o.op_type == op:
            ins = [graph.tensor(i) for i in o.inputs if i >= 0 and not graph.tensor(i).is_constant]
            return (ins[0] if ins else graph.tensor(o.outputs[0])).dtype
    return None


def probe(op_key: str, dtypes, models_dir=None):
    import conformance  # pylint: disable=import-outside-toplevel

    spec = conformance.SPECS[op_key]
    rng = np.random.RandomState(0)
    case = spec.draw(rng, "float32")
    float_model = None
    for dtype in dtypes:
        model, how = None, ""
        if dtype in ("int8", "int16"):
            try:
                m = conformance.to_tflite(spec.draw(np.random.RandomState(0), dtype), dtype, 0)
                if op_dtype(m, spec.op) == dtype:
                    model, how = m, "converter"
            except Exception:  # pylint: disable=broad-except
                pass
        if model is None:
            if float_model is None:
                float_model = conformance.to_tflite(case, "float32", 0)
            model, how = retype(float_model, dtype), "retyped"
        if models_dir:
            with open(os.path.join(models_dir, f"{op_key.replace(':', '_')}_{dtype}.tflite"), "wb") as f:
                f.write(model)
        yield dtype, how, tflm_runs(model), utensor_refusal(model)


def main(argv):
    import conformance  # pylint: disable=import-outside-toplevel
    import conformance_ops  # noqa: F401  pylint: disable=import-outside-toplevel,unused-import
    from utensor import ops  # pylint: disable=import-outside-toplevel

    args = [a for a in argv[1:] if not a.startswith("--")]
    dtypes = DTYPES
    show_all = "--all" in argv
    models_dir = None
    for a in argv[1:]:
        if a.startswith("--dtypes="):
            dtypes = tuple(a.split("=", 1)[1].split(","))
        if a.startswith("--save="):
            models_dir = a.split("=", 1)[1]
            os.makedirs(models_dir, exist_ok=True)
    keys = {}
    for key, spec in conformance.SPECS.items():  # one entry per operator, unlabelled first
        if spec.op in ops.LOWERINGS and (spec.op not in keys or not spec.label and ":" in keys[spec.op]):
            keys[spec.op] = key
    wanted = args or sorted(keys)
    gaps = []
    for op in wanted:
        key = keys.get(op, op)
        if key not in conformance.SPECS:
            print(f"{op}: no conformance entry to build a model from", flush=True)
            continue
        for dtype, how, tflm, ours in probe(key, dtypes, models_dir):
            if show_all:
                print(f"PROBE {op:26s} {dtype:6s} {how:9s} TFLM {'runs' if not tflm else 'refuses: ' + tflm[:90]}"
                      f" | utensor {'runs' if not ours else 'refuses: ' + ours[-140:]}", flush=True)
            if not tflm and ours:
                gaps.append((op, dtype, how, ours))
    print("PROBE TFLM runs, utensor refuses:")
    for op, dtype, how, ours in gaps:
        print(f"PROBE   {op} {dtype} ({how}): {ours[-160:]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
