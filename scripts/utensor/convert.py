"""The converter pipeline, top to bottom: read -> passes -> lower -> plan -> emit -> write."""

import collections
import json
import os
import tempfile
from dataclasses import dataclass
from typing import List, Optional, Sequence

from . import emitter, firmware_ram, naming, passes, passes_residual, planner
from .errors import UtensorError
from .ir import Graph
from .version import __version__
from .ops import custom

REGISTRY_FILE = "utensor_models.cpp"
# What the build tools need to know without compiling (the extra script's board budget).
MANIFEST_FILE = "utensor_models.json"
# Written once per conversion, besides each model's <name>.hpp and <name>.cpp.
SHARED_FILES = (REGISTRY_FILE, MANIFEST_FILE)
# The one arena of the folder's models converted with --shared-arena (only when there are).
SHARED_ARENA_FILE = "utensor_shared_arena.cpp"


@dataclass
class Conversion:
    graph: Graph
    calls: list
    plan: planner.MemoryPlan
    emitted: emitter.EmittedModel

    def summary(self) -> str:
        counts = collections.Counter(op.op_type for op in self.graph.operators)
        kinds = ", ".join(f"{k} x{v}" if v > 1 else k for k, v in sorted(counts.items()))
        if self.graph.shared_arena:
            state = self.plan.state_bytes
            return (
                f"[utensor] {self.graph.name}: {len(self.graph.operators)} ops ({kinds}); "
                f"scratch {self.emitted.arena_bytes - state:,} B in the shared arena (lower bound "
                f"{self.plan.lower_bound - state:,} B)"
                + (f" + state {state:,} B of its own" if state else "") + "; "
                f"weights {self.emitted.weight_bytes:,} B"
            )
        return (
            f"[utensor] {self.graph.name}: {len(self.graph.operators)} ops ({kinds}); "
            f"arena {self.plan.arena_bytes:,} B (lower bound {self.plan.lower_bound:,} B"
            + (f", of which state {self.plan.state_bytes:,} B" if self.plan.state_bytes else "") + "); "
            f"weights {self.emitted.weight_bytes:,} B"
        )


def read_model(path: str, name: Optional[str] = None, representative_data: Optional[str] = None) -> Graph:
    """Read any supported model file into the IR."""
    if not os.path.exists(path):
        raise UtensorError(f"{path}: no such file or directory. Check the model path (paths in platformio.ini are relative to the project folder).")
    name = naming.identifier(name) if name else naming.model_name_from_path(path)
    lower = path.lower().rstrip("/\\")
    if os.path.isdir(path) or lower.endswith((".keras", ".h5")):
        from . import keras_reader  # needs TensorFlow; only this path imports it

        return keras_reader.read_keras(path, name=name, representative_data=representative_data)
    from .tflite import read_tflite

    return read_tflite(path, name=name)


def lower_graph(graph: Graph, user_ops: Sequence[str] = ()) -> list:
    return [passes_residual.lower_op(op, graph, user_ops) for op in graph.operators]


GUARD_BYTES = 16  # canary after every arena buffer with --guard (utensor/guard.hpp kCanaryBytes)


def convert_graph(graph: Graph, user_ops: Sequence[str] = (), guard: bool = False,
                  keep_inputs: bool = False, shared_arena: bool = False) -> Conversion:
    """guard: plan canaries between arena buffers and emit their checks (--guard).
    keep_inputs: no byte of a model input is reused, so invoke() leaves inputs intact.
    shared_arena: the model's default arena is its folder's shared one (--shared-arena)."""
    graph.keep_inputs = keep_inputs
    graph.shared_arena = shared_arena
    graph = passes.run_all(graph, user_ops)
    # (lowers and plans; fuses the residual blocks whose fusion shrinks the arena)
    graph, calls, plan = passes_residual.lower_and_plan(graph, user_ops, guard_bytes=GUARD_BYTES if guard else 0)
    emitted = emitter.emit_model(graph, calls, plan)
    return Conversion(graph, calls, plan, emitted)


def convert_file(path: str, name: Optional[str] = None, representative_data: Optional[str] = None,
                 user_ops: Sequence[str] = (), guard: bool = False, keep_inputs: bool = False,
                 shared_arena: bool = False) -> Conversion:
    return convert_graph(read_model(path, name=name, representative_data=representative_data), user_ops,
                         guard=guard, keep_inputs=keep_inputs, shared_arena=shared_arena)


TEMP_PREFIX = ".utensor-"
TEMP_SUFFIX = ".tmp"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _stage(path: str, text: str) -> Optional[str]:
    """Write `text` to a fsynced temporary file beside `path`; None if `path` already
    holds exactly that. The temporary name carries our pid (see `remove_stale_temps`)."""
    data = text.encode("utf-8")
    try:
        with open(path, "rb") as f:
            if f.read() == data:
                return None
    except OSError:
        pass
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=f"{TEMP_PREFIX}{os.getpid()}-", suffix=TEMP_SUFFIX, dir=directory)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; sources are ordinary files
    except BaseException:
        _unlink(tmp)
        raise
    return tmp


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def manifest(conversions: Sequence[Conversion], kept: Sequence[dict] = ()) -> str:
    """The folder's models (`kept`: entries of an earlier manifest, then these) with their
    memory needs, as JSON (deterministic: no paths, no times)."""
    models = list(kept) + [
        {
            "name": c.graph.name,
            "class": naming.class_name(c.graph.name),
            "source": os.path.basename(c.graph.source_path),
            "sha256": c.graph.source_sha256,
            "arena_bytes": c.emitted.arena_bytes,
            "state_bytes": c.emitted.state_bytes,
            "weight_bytes": c.emitted.weight_bytes,
            "shared_arena": c.graph.shared_arena,
        }
        for c in conversions
    ]
    return json.dumps({"utensor_version": __version__, "models": models}, indent=2) + "\n"


def write_files(files: Sequence[tuple]) -> List[str]:
    """Replace each (path, text) whose content differs, as close to all-or-nothing as a
    file system allows: every new file is written and synced under a temporary name
    first, then all are renamed over the old ones (each rename is atomic). Killed while
    writing, the old files are intact; killed between renames, each file is whole (old
    or new) and the next run, which the build triggers because its stamp is not yet
    updated, finishes the job. Returns the paths replaced."""
    staged = []
    try:
        for path, text in files:
            tmp = _stage(path, text)
            if tmp is not None:
                staged.append((tmp, path))
        for tmp, path in staged:
            os.replace(tmp, path)
    except BaseException:
        for tmp, _ in staged:
            _unlink(tmp)
        raise
    return [path for _, path in staged]


def write_if_changed(path: str, text: str) -> bool:
    """Atomically replace `path` with `text` unless it already holds exactly that."""
    return bool(write_files([(path, text)]))


def remove_stale_temps(directory: str) -> List[str]:
    """Delete temporary files a killed converter left in `directory` (those of processes
    still running are theirs: two builds may convert into one folder at once)."""
    removed = []
    for entry in os.listdir(directory):
        if not (entry.startswith(TEMP_PREFIX) and entry.endswith(TEMP_SUFFIX)):
            continue
        pid = entry[len(TEMP_PREFIX):].split("-", 1)[0]
        if pid.isdigit() and int(pid) != os.getpid() and _alive(int(pid)):
            continue
        _unlink(os.path.join(directory, entry))
        removed.append(entry)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # exists, owned by someone else
    return True


def _folder_models(out_dir: str) -> List[dict]:
    """The models an earlier conversion left in out_dir (its manifest), whose generated
    files are still there."""
    try:
        with open(os.path.join(out_dir, MANIFEST_FILE), encoding="utf-8") as f:
            models = json.load(f)["models"]
    except (OSError, ValueError, KeyError, TypeError):
        return []
    return [m for m in models if isinstance(m, dict) and isinstance(m.get("name"), str)
            and os.path.isfile(os.path.join(out_dir, m["name"] + ".hpp"))]


def folder_ram(out_dir: str) -> "firmware_ram.FirmwareRam":
    """The RAM for tensors of the models converted into out_dir (shared scratch once, each
    model's state, the other models' arenas)."""
    return firmware_ram.firmware_ram(_folder_models(out_dir))


def _check_class_names(conversions: Sequence[Conversion], kept: Sequence[dict]) -> None:
    """Two models whose C++ names or classes coincide (fooBar / foo_bar -> FooBar) would
    compile to one class: an ODR violation no linker reports. Refuse, naming both files."""
    seen = {}
    entries = [(m["name"], m.get("source", m["name"])) for m in kept]
    entries += [(c.graph.name, os.path.basename(c.graph.source_path or c.graph.name)) for c in conversions]
    for name, source in entries:
        for key in (("name", name), ("class", naming.class_name(name))):
            if key in seen and seen[key] != (name, source):
                other_name, other_source = seen[key]
                what = f"the C++ name {name}" if key[0] == "name" else f"the C++ class {key[1]}"
                raise UtensorError(
                    f"{other_source} and {source} would both become {what} (models "
                    f"{other_name!r} and {name!r}). Rename one of the files, or give it another "
                    "name with --name (CMake: NAME; convert it separately).")
            seen[key] = (name, source)


def convert_to_directory(
    paths: Sequence[str],
    out_dir: str,
    name: Optional[str] = None,
    representative_data: Optional[str] = None,
    user_ops: Sequence[str] = (),
    guard: bool = False,
    registry: bool = True,
    exclusive: bool = False,
    keep_inputs: bool = False,
    shared_arena: bool = False,
) -> List[Conversion]:
    """Convert every model first, then write: a bad model leaves the directory untouched.

    Conversions into one folder compose: models converted there before stay (unless
    `exclusive`, which removes their files: the build integrations own their folder), and
    the registry and manifest list them all. `registry=False` writes no registry (its two
    symbols are global: a firmware linking several folders keeps one registry).
    `shared_arena`: these models' default arena is the folder's one shared arena, sized
    for the largest scratch of the models converted into the folder this way
    (utensor_shared_arena.cpp): for models that never run at the same time. A stateful
    one keeps its state in a buffer of its own (utensor_state_<name>)."""
    if name and len(paths) > 1:
        raise UtensorError("--name applies to a single model; convert the models one by one to name each.")
    user_ops = custom.check_names(user_ops)
    conversions = [convert_file(p, name=name, representative_data=representative_data, user_ops=user_ops,
                                guard=guard, keep_inputs=keep_inputs, shared_arena=shared_arena)
                   for p in paths]
    custom.check_all_used(user_ops, [c.graph for c in conversions])
    names = [c.graph.name for c in conversions]
    earlier = [m for m in _folder_models(out_dir) if m["name"] not in names]
    _check_class_names(conversions, [] if exclusive else earlier)
    files = []
    for c in conversions:
        files.append((os.path.join(out_dir, c.emitted.header_name), c.emitted.header))
        files.append((os.path.join(out_dir, c.emitted.source_name), c.emitted.source))
    kept = [] if exclusive else earlier
    listed = [m["name"] for m in kept] + names
    if registry:
        files.append((os.path.join(out_dir, REGISTRY_FILE), emitter.emit_registry(listed)))
    models_json = manifest(conversions, kept)
    files.append((os.path.join(out_dir, MANIFEST_FILE), models_json))
    sharing = [m for m in json.loads(models_json)["models"] if m.get("shared_arena")]
    if sharing:
        files.append((os.path.join(out_dir, SHARED_ARENA_FILE), emitter.emit_shared_arena(sharing)))
    try:
        os.makedirs(out_dir, exist_ok=True)
        remove_stale_temps(out_dir)
        write_files(files)
        if exclusive:
            for m in earlier:
                for ext in (".hpp", ".cpp"):
                    _unlink(os.path.join(out_dir, m["name"] + ext))
        if not registry:
            _unlink(os.path.join(out_dir, REGISTRY_FILE))
        if not sharing:
            _unlink(os.path.join(out_dir, SHARED_ARENA_FILE))
    except OSError as e:
        raise UtensorError(
            f"cannot write the generated sources to {out_dir}: {e.strerror or e} "
            f"({e.filename or out_dir}). Choose an output folder you can write to."
        ) from None
    return conversions
