"""The `utensor` command line."""

import argparse
import importlib
import sys

from .errors import UtensorError
from .version import __version__

# Subcommand -> module implementing add_arguments(parser) and main(args) -> int.
COMMANDS = {
    "convert": ("utensor.cmd_convert", "convert models into C++ sources"),
    "inspect": ("utensor.cmd_inspect", "show operators, tensors and the memory plan"),
    "run": ("utensor.cmd_run", "build, flash, run once on a board and print the outputs"),
    "verify": ("utensor.cmd_verify", "compare a board's outputs with the TFLite reference"),
    "bench": ("utensor.cmd_bench", "measure instructions, RAM and flash on a board"),
    "ops": ("utensor.cmd_ops", "print the supported operator matrix"),
    "library-dir": ("utensor.cmd_library_dir", "print the library folder for lib_deps / CMake"),
}


def build_parser(available):
    parser = argparse.ArgumentParser(prog="utensor", description="Ahead-of-time TinyML for Arm Cortex-M.")
    parser.add_argument("--version", action="version", version=f"utensor {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, help_text) in COMMANDS.items():
        if name in available:
            p = sub.add_parser(name, help=help_text, description=help_text)
            available[name].add_arguments(p)
    return parser


def _load_commands():
    available = {}
    for name, (module, _) in COMMANDS.items():
        try:
            available[name] = importlib.import_module(module)
        except ModuleNotFoundError as e:
            if e.name != module:
                raise
    return available


def main(argv=None) -> int:
    available = _load_commands()
    parser = build_parser(available)
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 2
    try:
        return available[args.command].main(args)
    except UtensorError as e:
        print(f"utensor {args.command}: error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"utensor {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
