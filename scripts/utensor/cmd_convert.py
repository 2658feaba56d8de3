"""`utensor convert MODEL... -o DIR`: write the C++ sources of one or more models."""

from . import convert


def add_arguments(p):
    p.add_argument("models", nargs="+", metavar="MODEL", help=".tflite file, .keras/.h5 file or SavedModel folder")
    p.add_argument("-o", "--output", required=True, metavar="DIR",
                   help="folder for <name>.hpp, <name>.cpp, utensor_models.cpp (the registry of every model "
                        "converted into it) and utensor_models.json")
    p.add_argument("--name", help="C++ name of the model (default: from the file name); one model only")
    p.add_argument("--representative-data", metavar="FILE", help=".npy/.npz of sample inputs: quantize a Keras/SavedModel model to int8")
    p.add_argument("--user-op", action="append", default=[], metavar="NAME",
                   help="operator implemented by your project as utensor_user_op_NAME() (repeatable; see utensor/custom_op.hpp)")
    p.add_argument("--guard", action="store_true",
                   help="canaries between arena buffers, checked after every layer (build with -DUTENSOR_ARENA_GUARD; see utensor/guard.hpp)")

    p.add_argument("--keep-inputs", action="store_true",
                   help="plan no buffer over the model's inputs, so invoke() leaves them intact (arena grows)")
    p.add_argument("--shared-arena", action="store_true",
                   help="these models never run at the same time: their default arena is one arena of the "
                        "folder (utensor_shared_arena.cpp) sized for the largest scratch; a stateful model's state stays in a buffer of its own")
    p.add_argument("--no-registry", action="store_true",
                   help="write no utensor_models.cpp (its symbols are global: one registry per firmware)")
    p.add_argument("--exclusive", action="store_true",
                   help="the folder holds exactly these models: remove the files of models converted into it before")


def main(args) -> int:
    conversions = convert.convert_to_directory(
        args.models, args.output, name=args.name, representative_data=args.representative_data,
        user_ops=args.user_op, guard=args.guard, registry=not args.no_registry,
        exclusive=args.exclusive, keep_inputs=args.keep_inputs, shared_arena=args.shared_arena,
    )
    for c in conversions:
        print(c.summary())
    if args.shared_arena:
        print(f"[utensor] {args.output}: {convert.folder_ram(args.output).describe()}")
    return 0
