"""The per-layer check of `pio test` (`custom_utensor_layers = yes` in platformio.ini).

platformio/test_runner.py runs this module in the converter's interpreter (it needs numpy
and tflite-micro, which PlatformIO's own Python usually lacks):

    python -m utensor.harness.layer_check --board ID --model M [--model M2 ...] --build-dir D
        [--port URL] [--platform P] [--framework F] [--build-flags "..."] [--option NAME=VALUE ...]

It builds the per-layer debug firmware of `utensor verify --layers` for all the models at
once (harness/layer_firmware.py), flashes it (emulated boards: starts QEMU; real boards:
`pio run -t upload`, then the serial `--port`), and compares every operator output with the
same tensor of TensorFlow Lite Micro (harness/layers.py `check_layers`) on seeded random
inputs. Keras/SavedModel models are converted to .tflite first (needs TensorFlow), so board
and reference run the same model.

Output: one JSON object per line on stdout, for the runner to turn into test cases:
  {"event": "info", "text": ...}                         progress
  {"event": "model", "model": ..., "layers": n, ...}     a model's check starts
  {"event": "layer", "model": ..., "status": "passed" | "failed" | "after_failure", ...}
  {"event": "verdict", "model": ..., "ok": bool, "text": "PASS: ..." | "FAIL: ..."}
  {"event": "error", "text": ...}                        nothing could be compared
Exit code: 0 every layer matches, 1 a layer differs, 2 an error.

A layer after the first differing one computes from the board's wrong data, so it is
reported as "after_failure" (not judged), and the model's remaining samples are skipped.

UTENSOR_LAYER_CHECK_TRANSFORM=FILE.py:FUNCTION (fault injection, for tests): FUNCTION(graph)
is applied to every model's graph before conversion, e.g. to give one layer a wrong bias
and see that the check names it.
"""

import argparse
import dataclasses
import importlib.util
import json
import math
import os
import sys
from typing import Callable, List, Optional

from ..errors import UtensorError

# numpy, tflite-micro and the harness are imported where used, so that an interpreter
# without them gets an error event naming the package, not a bare traceback.

TRANSFORM_VARIABLE = "UTENSOR_LAYER_CHECK_TRANSFORM"
EXIT_MISMATCH = 1
EXIT_ERROR = 2


def emit(event: str, **fields) -> None:
    print(json.dumps(dict(event=event, **fields)), flush=True)


def graph_transform_from_environment() -> Optional[Callable]:
    spec = os.environ.get(TRANSFORM_VARIABLE, "")
    if not spec:
        return None
    path, _, name = spec.rpartition(":")
    if not path or not os.path.isfile(path):
        raise UtensorError(f"{TRANSFORM_VARIABLE}={spec}: expected FILE.py:FUNCTION with an existing file.")
    module_spec = importlib.util.spec_from_file_location("utensor_layer_check_transform", path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return getattr(module, name)


def tflite_models(paths: List[str], data_file: Optional[str], out_dir: str) -> List[str]:
    """The .tflite file of each model: Keras/SavedModel ones converted into out_dir under
    the name the converter gives the model (so the generated class names do not change)."""
    from .. import naming

    result = []
    for path in paths:
        if os.path.isfile(path) and path.lower().endswith(".tflite"):
            result.append(path)
            continue
        from ..keras_reader import keras_to_tflite  # needs TensorFlow

        data = keras_to_tflite(path, data_file)
        os.makedirs(out_dir, exist_ok=True)
        target = os.path.join(out_dir, naming.model_name_from_path(path) + ".tflite")
        _write_bytes_if_changed(target, data)
        result.append(target)
    return result


def _write_bytes_if_changed(path: str, data: bytes) -> None:
    try:
        with open(path, "rb") as f:
            if f.read() == data:
                return
    except OSError:
        pass
    with open(path + ".tmp", "wb") as f:
        f.write(data)
    os.replace(path + ".tmp", path)


def _shape(shape) -> str:
    return "x".join(str(d) for d in shape) or "scalar"


def tensor_names(model_path: str) -> List[str]:
    """The model's tensor names, in full (the firmware's table truncates them), each
    shortened to its first part when TensorFlow joined the names of fused ops with ';'."""
    from ..tflite import read_tflite

    names = [t.name for t in read_tflite(model_path).tensors]
    return [n.split(";", 1)[0] + ";..." if ";" in n else n for n in names]


def _layer_event(model: str, sample: int, r, status: str, tensor: str) -> dict:
    """The "layer" event of r, a harness.layers.LayerResult."""
    from . import layers as layer_mod

    c = r.comparison
    return dict(model=model, sample=sample, layer=r.layer.index, op_index=r.layer.op_index,
                op_type=r.layer.op_type, tensor=tensor, shape=_shape(r.shape),
                status=status, ok=r.ok, bit_exact=bool(c.exact), mismatches=int(c.mismatches),
                elements=math.prod(r.shape), max_abs_error=float(c.max_abs_error),
                result=layer_mod.describe(r))


def check_model(session, model_path: str, board: str, samples: int, seed: int) -> bool:
    """Emit the model's layer events and verdict; True when every layer matches."""
    from . import layers as layer_mod
    from .inputs import random_samples
    from .session import find_model

    model = find_model(session.info, model_path, board)
    session = dataclasses.replace(session, model=model)
    with open(model_path, "rb") as f:
        reference = layer_mod.LayerReference(f.read(), model_path)
    table = session.client.layers(model.index)
    names = tensor_names(model_path)
    exact = True
    emit("model", model=model.name, layers=len(table), samples=samples, seed=seed, reference=reference.name)
    for i, inputs in enumerate(random_samples(model.inputs, samples, seed)):
        results = layer_mod.check_layers(session, reference, inputs, table)
        failed = layer_mod.first_failure(results)
        exact = exact and all(r.comparison.exact for r in results)
        for r in results:
            status = "passed" if r.ok else "failed"
            if failed is not None and r.layer.index > failed.layer.index:
                status = "after_failure"
            emit("layer", **_layer_event(model.name, i, r, status, names[r.layer.tensor_index]))
        if failed is not None:
            before = failed.layer.index
            earlier = ("it is the model's first layer" if before == 0 else
                       "the layer before it matches" if before == 1 else f"the {before} layers before it match")
            emit("verdict", model=model.name, ok=False, text=(
                f"FAIL: {model.name} on {board}: first differing layer is layer {failed.layer.index}, "
                f"operator #{failed.layer.op_index} {failed.layer.op_type}, output tensor "
                f"{names[failed.layer.tensor_index]!r} ({_shape(failed.shape)}, sample {i}); {earlier}. "
                f"{layer_mod.describe(failed)}"))
            return False
    emit("verdict", model=model.name, ok=True, text=(
        f"PASS: {model.name} on {board}: all {len(table)} layers match {reference.name} "
        f"({'bit-exact' if exact else 'within tolerance'}; {samples} random input{'' if samples == 1 else 's'}, seed {seed})"))
    return True


def run(args) -> int:
    from .layer_firmware import build_layer_firmware
    from .session import open_board

    transform = graph_transform_from_environment()
    models = tflite_models([os.path.abspath(m) for m in args.model], args.representative_data,
                           os.path.join(args.build_dir, "models"))
    names = ", ".join(os.path.basename(m) for m in models)
    emit("info", text=f"building the per-layer debug firmware ({names}) for {args.board}")
    ini = dict(platform=args.platform, framework=args.framework, upload_port=args.upload_port,
               build_flags=args.build_flags.split(),
               extra_options=[tuple(o.split("=", 1)) for o in args.option])
    firmware = build_layer_firmware(models, args.board, os.path.abspath(args.build_dir),
                                    graph_transform=transform, **ini)
    emit("info", text=f"{firmware.elf}: flash {firmware.flash_bytes:,} B, static RAM {firmware.ram_bytes:,} B")
    ok = True
    with open_board(models[0], args.board, port=args.port, platform=args.platform,
                    framework=args.framework, firmware=firmware, timeout_s=args.timeout,
                    log=lambda text: emit("info", text=text)) as session:
        for path in models:
            ok &= check_model(session, path, args.board, args.samples, args.seed)
    return 0 if ok else EXIT_MISMATCH


def parse_args(argv):
    p = argparse.ArgumentParser(prog="python -m utensor.harness.layer_check", description=__doc__.split("\n")[0])
    p.add_argument("--board", required=True)
    p.add_argument("--model", action="append", required=True, help="a model file (repeat for several)")
    p.add_argument("--build-dir", required=True, help="the debug firmware's PlatformIO project folder")
    p.add_argument("--port", help="serial port of a real board (default for emulated boards: QEMU)")
    p.add_argument("--platform", help="PlatformIO platform (real boards)")
    p.add_argument("--framework", help="PlatformIO framework (real boards)")
    p.add_argument("--upload-port")
    p.add_argument("--build-flags", default="", help="extra build flags, one string")
    p.add_argument("--option", action="append", default=[], metavar="NAME=VALUE",
                   help="a platformio.ini option copied into the debug firmware's env")
    p.add_argument("--representative-data", help="for Keras/SavedModel models: as for `utensor convert`")
    p.add_argument("--samples", type=int, default=1)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--timeout", type=float, help="seconds to wait for each reply")
    args = p.parse_args(argv)
    if args.samples < 1:
        p.error("--samples must be at least 1")
    return args


def main(argv=None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        return run(args)
    except UtensorError as e:
        emit("error", text=str(e))
        return EXIT_ERROR
    except ImportError as e:
        emit("error", text=(
            f"{sys.executable} cannot import {e.name or e}, which the per-layer check needs: install "
            "utensor's requirements into it (pip install numpy jinja2 pyserial tflite-micro) or name "
            "an interpreter that has them with custom_utensor_python."))
        return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
