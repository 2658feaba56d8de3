"""Arguments and helpers shared by `utensor run` and `utensor verify`."""

import os
import shlex

import numpy as np

from ..errors import UtensorError


def add_board_arguments(p):
    p.add_argument("model", metavar="MODEL", help=".tflite model file")
    p.add_argument("--board", required=True, metavar="ID",
                   help="board id: an emulated board (mps2_an386, ...) or, with --port and "
                        "--platform, a PlatformIO board id")
    p.add_argument("--port", metavar="URL",
                   help="serial port of a real board (/dev/ttyACM0, COM3) or any pyserial URL "
                        "(socket://127.0.0.1:PORT); default for emulated boards: start QEMU")
    p.add_argument("--no-flash", action="store_true",
                   help="with --port: the board already runs this model's harness firmware")
    p.add_argument("--platform", metavar="PLATFORM",
                   help="PlatformIO platform for a real board (e.g. ststm32)")
    p.add_argument("--framework", metavar="FRAMEWORK", help="PlatformIO framework for a real board")
    p.add_argument("--build-flags", default="", metavar="FLAGS",
                   help="extra compiler flags for the harness firmware, one string, given as "
                        "--build-flags=\"-flto\" (PlatformIO's build_flags: every source and the "
                        "link; a flag beginning with '-' needs the '=' form)")
    p.add_argument("--build-dir", metavar="DIR",
                   help="PlatformIO project folder for the firmware (default: under ~/.cache/utensor)")
    p.add_argument("--timeout", type=float, metavar="S",
                   help="seconds to wait for each reply before retrying (default 3 on QEMU, 2 on a board)")
    p.add_argument("--seed", type=int, default=0, help="seed of the random inputs (default 0)")


def session_options(args):
    """open_board() keyword arguments from the parsed command line; checks them first."""
    if getattr(args, "input", None) and not os.path.isfile(args.input):
        raise UtensorError(f"{args.input}: no such input file.")
    if args.no_flash and not args.port:
        raise UtensorError("--no-flash needs --port: the serial port of a board that already runs the firmware.")
    return dict(
        port=args.port,
        flash=not args.no_flash,
        build_dir=os.path.abspath(args.build_dir) if args.build_dir else None,
        platform=args.platform,
        framework=args.framework,
        timeout_s=args.timeout,
        build_flags=shlex.split(args.build_flags or ""),
    )


def read_model_bytes(path):
    if not os.path.isfile(path):
        raise UtensorError(f"{path}: no such model file.")
    with open(path, "rb") as f:
        return f.read()


def save_outputs(path, outputs, names):
    """One output: .npy; several (or a .npz path): .npz keyed by output tensor names."""
    if len(outputs) == 1 and not path.endswith(".npz"):
        np.save(path, outputs[0])
    else:
        np.savez(path, **{n or f"output_{i}": o for i, (n, o) in enumerate(zip(names, outputs))})


def make_reference(model_bytes, model_path):
    """The tflite_micro oracle for a model; retried with larger arenas, since the
    interpreter's default arena is too small for some models (kws float32)."""
    from .. import reference

    last = None
    for arena in (0, 4 << 20, 64 << 20):
        try:
            return reference.Reference(model_bytes, arena_size=arena)
        except RuntimeError as e:  # tflite_micro reports allocation failures this way
            last = e
    if reference.tensorflow_available():
        # Hybrid (dynamic-range quantized) models: TFLite Micro has no kernels for them.
        try:
            ref = reference.TFLiteReference(model_bytes)
        except (RuntimeError, ValueError) as e:
            raise UtensorError(f"{model_path}: neither TFLite Micro ({last}) nor TensorFlow Lite ({e}) "
                               "can run the model; there is nothing to verify against.") from None
        ref.note = f"tflite_micro cannot run this model: {last}"
        print(f"reference: {ref.name} ({ref.note})", flush=True)
        return ref
    raise UtensorError(
        f"{model_path}: the TFLite Micro reference interpreter cannot load the model ({last}); "
        "without the reference there is nothing to verify against."
    )
