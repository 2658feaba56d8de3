"""utensor's PlatformIO library extra script (library.json -> build.extraScript).

With `custom_utensor_models = a.tflite [b.keras ...]` in platformio.ini, converts the
models to C++ before compiling, into $BUILD_DIR/utensor_gen/src, and compiles the result
with the program. Without that option it does nothing (PlatformIO runs every library's
extra script, used or not).

Options (paths relative to the project):
  custom_utensor_models               model files/folders: one per line, or ", "-separated
                                      (PlatformIO's list rules: paths may hold spaces)
  custom_utensor_representative_data  .npy/.npz passed as --representative-data
  custom_utensor_python               interpreter for the converter (one with TensorFlow
                                      for Keras/SavedModel input); default: PlatformIO's
  custom_utensor_user_ops             operators the project implements, passed as
                                      --user-op (see utensor/custom_op.hpp)
  custom_utensor_keep_inputs          yes: invoke() leaves the models' inputs intact
                                      (--keep-inputs: no buffer planned over them)
  custom_utensor_shared_arena         yes: the models never run at the same time and
                                      share one arena sized for the largest scratch;
                                      each keeps its state apart (--shared-arena)
  custom_utensor_guard                yes: arena canaries checked after every layer
                                      (--guard, and -DUTENSOR_ARENA_GUARD for the build;
                                      on as well when build_flags define that macro)

The first conversion checks that the converter's requirements (scripts/utensor/
requirements.txt) import in its interpreter; PlatformIO's own Python gets the missing ones
installed by pip, once, announced in one `[utensor]` line. Where that fails (no package
index), the build stops with the pip command to run and custom_utensor_python.

The conversion is skipped when a stamp of everything it depends on (model bytes, the
converter's own sources, the options, the interpreter) is unchanged, so a second
`pio run` converts and compiles nothing. On failure the converter's message is printed,
the stamp deleted, the previous generated files left as they were, and the build stops.

SCons provides `Import` and `DefaultEnvironment` in this script's globals.
"""
# pylint: disable=undefined-variable
import hashlib
import json
import os
import re
import subprocess
import sys

GEN_DIR_NAME = "utensor_gen"
STAMP_NAME = "utensor.stamp"
MANIFEST_NAME = "utensor_models.json"  # written by the converter (convert.MANIFEST_FILE)
OPTION_MODELS = "custom_utensor_models"
OPTION_DATA = "custom_utensor_representative_data"
OPTION_PYTHON = "custom_utensor_python"
OPTION_USER_OPS = "custom_utensor_user_ops"
OPTION_GUARD = "custom_utensor_guard"
OPTION_KEEP_INPUTS = "custom_utensor_keep_inputs"
OPTION_SHARED_ARENA = "custom_utensor_shared_arena"
GUARD_MACRO = "UTENSOR_ARENA_GUARD"
STAMP_FORMAT = "utensor-extra-script-2"


def _project_options(library_dir):
    """utensor.project_options of this library (stdlib only), imported from its scripts/."""
    scripts = os.path.join(library_dir, "scripts")
    if scripts not in sys.path:
        sys.path.insert(0, scripts)
    from utensor import project_options  # pylint: disable=import-outside-toplevel

    return project_options


def _hash_path(digest, path):
    """Feed a file's bytes, or a folder's relative names and bytes, into digest."""
    if os.path.isdir(path):
        for root, dirs, files in os.walk(path):
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            for name in sorted(files):
                if name.endswith(".pyc"):
                    continue
                full = os.path.join(root, name)
                digest.update(os.path.relpath(full, path).replace(os.sep, "/").encode())
                digest.update(b"\0")
                _hash_file(digest, full)
    else:
        _hash_file(digest, path)


def _hash_file(digest, path):
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    digest.update(b"\0")


def compute_stamp(models, data_file, python, generator_dir, output_dir, user_ops=(), guard=False,
                  keep_inputs=False, shared_arena=False):
    """A digest of everything the generated sources depend on."""
    digest = hashlib.sha256()
    digest.update(STAMP_FORMAT.encode())
    if guard:
        digest.update(b"guard\n")
    if keep_inputs:
        digest.update(b"keep_inputs\n")
    if shared_arena:
        digest.update(b"shared_arena\n")
    for name in user_ops:
        digest.update(("user_op=%s\n" % name).encode())
    for label, value in (("python", python), ("python_real", os.path.realpath(python)),
                         ("output", output_dir), ("data", data_file or "")):
        digest.update(("%s=%s\n" % (label, value)).encode())
    for model in models:
        digest.update(("model=%s\n" % model).encode())
        _hash_path(digest, model)
    if data_file:
        _hash_path(digest, data_file)
    _hash_path(digest, generator_dir)
    return digest.hexdigest()


def converter_command(python, models, output_dir, data_file=None, user_ops=(), guard=False,
                      keep_inputs=False, shared_arena=False):
    # --exclusive: the folder is ours; a model dropped from the option leaves no files
    # behind to be compiled.
    cmd = [python, "-m", "utensor", "convert"] + list(models) + ["-o", output_dir, "--exclusive"]
    if guard:
        cmd += ["--guard"]
    if keep_inputs:
        cmd += ["--keep-inputs"]
    if shared_arena:
        cmd += ["--shared-arena"]
    if data_file:
        cmd += ["--representative-data", data_file]
    for name in user_ops:
        cmd += ["--user-op", name]
    return cmd


def converter_environ(base_environ, scripts_dir):
    """The converter's environment: our package first, none of PlatformIO's PYTHONPATH."""
    environ = dict(base_environ)
    environ.pop("PYTHONHOME", None)
    environ["PYTHONPATH"] = scripts_dir
    environ["PYTHONDONTWRITEBYTECODE"] = "1"
    return environ


# Import name of each requirement whose distribution name differs from it.
_IMPORT_NAMES = {"pyserial": "serial"}
_FIND_MISSING = ("import importlib.util, sys; "
                 "print(' '.join(m for m in sys.argv[1:] if importlib.util.find_spec(m) is None))")


def read_requirements(scripts_dir):
    """The converter's requirements (`name>=x.y` lines of utensor/requirements.txt, the
    list pyproject.toml uses too)."""
    path = os.path.join(scripts_dir, "utensor", "requirements.txt")
    with open(path, encoding="utf-8") as f:
        lines = [line.split("#", 1)[0].strip() for line in f]
    return [line for line in lines if line]


def _import_name(requirement):
    name = re.match(r"[A-Za-z0-9_.-]+", requirement).group(0).lower()
    return _IMPORT_NAMES.get(name, name.replace("-", "_"))


def pip_command(python, requirements):
    return [python, "-m", "pip", "install", "--disable-pip-version-check"] + list(requirements)


def _quoted(cmd):
    return " ".join('"%s"' % c if (" " in c or ">" in c or "<" in c) else c for c in cmd)


def ensure_requirements(python, platformio_python, scripts_dir, run=subprocess.run,
                        out=sys.stdout, err=sys.stderr):
    """Make the converter's requirements importable by `python`; True when they are.

    PlatformIO's own Python (what a stock PlatformIO runs us with) gets what is missing
    installed once with pip, the way nanopb's generator brings in protobuf; an interpreter
    the user named (custom_utensor_python) is theirs, so only the command is printed."""
    requirements = read_requirements(scripts_dir)
    modules = [_import_name(r) for r in requirements]
    check = [python, "-c", _FIND_MISSING] + modules
    environ = converter_environ(os.environ, scripts_dir)
    try:
        found = run(check, env=environ, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                    text=True, check=False)
    except OSError as exc:
        err.write("[utensor] error: cannot run the converter with %s (%s). Set %s to a "
                  "Python 3 interpreter.\n" % (python, exc, OPTION_PYTHON))
        return False
    if found.returncode != 0:
        err.write("[utensor] error: %s cannot run Python code (%s). Set %s to a Python 3 "
                  "interpreter.\n" % (python, (found.stderr or "").strip()[-300:], OPTION_PYTHON))
        return False
    missing_modules = set(found.stdout.split())
    missing = [r for r, m in zip(requirements, modules) if m in missing_modules]
    if not missing:
        return True
    install = pip_command(python, missing)
    # Not realpath: every venv's python links to the same base interpreter.
    if os.path.abspath(python) != os.path.abspath(platformio_python or ""):
        err.write("[utensor] error: the converter's interpreter %s (%s) lacks %s. Install "
                  "them with: %s\n" % (python, OPTION_PYTHON, ", ".join(missing), _quoted(install)))
        return False
    out.write("[utensor] installing the model converter's requirements into PlatformIO's "
              "Python (once): %s\n" % " ".join(missing))
    result = run(install + ["--quiet"], env=environ, stdout=subprocess.PIPE,
                 stderr=subprocess.STDOUT, text=True, check=False)
    if result.returncode != 0:
        last = [line for line in (result.stdout or "").splitlines() if line.strip()][-3:]
        err.write("[utensor] error: installing %s into PlatformIO's Python failed (pip: %s). "
                  "Install them yourself with: %s, or set %s in platformio.ini to a Python "
                  "that has them.\n"
                  % (", ".join(missing), " / ".join(last) or "exit %d" % result.returncode,
                     _quoted(install), OPTION_PYTHON))
        return False
    return True


def read_stamp(path):
    try:
        with open(path, encoding="utf-8") as f:
            return f.read().strip()
    except OSError:
        return None


def write_stamp(path, value):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(value + "\n")
    os.replace(tmp, path)


def remove_file(path):
    try:
        os.remove(path)
    except OSError:
        pass


def generate(project_dir, build_dir, library_dir, models_option, data_option, python,
             run=subprocess.run, out=sys.stdout, err=sys.stderr, user_ops_option="", guard=False,
             platformio_python=None, keep_inputs=False, shared_arena=False):
    """Convert when needed. Returns (gen_src_dir, ok); prints the converter's output.
    platformio_python: PlatformIO's own interpreter, which may get the converter's
    requirements installed (see ensure_requirements)."""
    scripts_dir = os.path.join(library_dir, "scripts")
    gen_root = os.path.join(build_dir, GEN_DIR_NAME)
    gen_src = os.path.join(gen_root, "src")
    stamp_path = os.path.join(gen_root, STAMP_NAME)
    options = _project_options(library_dir)
    models = options.model_paths(models_option, project_dir)
    if os.sep in python or (os.altsep and os.altsep in python):
        python = os.path.normpath(os.path.join(project_dir, python))  # relative to the project
    data_file = (os.path.normpath(os.path.join(project_dir, data_option.strip()))
                 if data_option and data_option.strip() else None)

    missing = [p for p in models + ([data_file] if data_file else []) if not os.path.exists(p)]
    if missing:
        remove_file(stamp_path)
        err.write("[utensor] error: %s not found (paths in %s/%s are relative to the project "
                  "folder %s).\n" % (", ".join(missing), OPTION_MODELS, OPTION_DATA, project_dir))
        return gen_src, False

    user_ops = options.names(user_ops_option)
    stamp = compute_stamp(models, data_file, python, os.path.join(scripts_dir, "utensor"),
                          gen_src, user_ops, guard, keep_inputs, shared_arena)
    if read_stamp(stamp_path) == stamp and os.path.isdir(gen_src):
        out.write("[utensor] generated sources up to date (%d model%s)\n"
                  % (len(models), "" if len(models) == 1 else "s"))
        return gen_src, True

    os.makedirs(gen_src, exist_ok=True)
    remove_file(stamp_path)
    if not ensure_requirements(python, platformio_python, scripts_dir, run, out, err):
        return gen_src, False
    cmd = converter_command(python, models, gen_src, data_file, user_ops, guard, keep_inputs, shared_arena)
    try:
        result = run(cmd, cwd=project_dir, env=converter_environ(os.environ, scripts_dir),
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, check=False)
    except OSError as exc:
        err.write("[utensor] error: cannot run the converter with %s (%s). Set %s to a "
                  "Python 3 interpreter.\n" % (python, exc, OPTION_PYTHON))
        return gen_src, False
    if result.stdout:
        out.write(result.stdout if result.stdout.endswith("\n") else result.stdout + "\n")
    if result.returncode != 0:
        message = (result.stderr or "").strip() or "converter exited with code %d" % result.returncode
        err.write("%s\n[utensor] model conversion failed: %s\n" % (message, " ".join(cmd)))
        return gen_src, False
    if result.stderr:
        err.write(result.stderr)
    write_stamp(stamp_path, stamp)
    return gen_src, True


def check_board_budget(gen_src, board_id, flash_bytes, ram_bytes):
    """A message when the models cannot fit the board (their weights alone exceed its
    flash, or their arenas its RAM), else None. Code and stack come on top: a model that
    passes here can still overflow at link time, where the linker names the region."""
    try:
        with open(os.path.join(gen_src, MANIFEST_NAME), encoding="utf-8") as f:
            models = json.load(f)["models"]
    except (OSError, ValueError, KeyError):
        return None  # an older converter's output: the linker still checks
    weights = sum(int(m["weight_bytes"]) for m in models)
    # Models converted with --shared-arena: their shared arena counts once, at the largest
    # scratch of them, and each one's state (a buffer of its own) apart; as
    # utensor.firmware_ram, which this script cannot import from every project.
    shared = [m for m in models if m.get("shared_arena")]
    arena = (sum(int(m["arena_bytes"]) for m in models if not m.get("shared_arena"))
             + max([max(int(m["arena_bytes"]) - int(m.get("state_bytes") or 0), 16) for m in shared] or [0])
             + sum(int(m.get("state_bytes") or 0) for m in shared))
    names = ", ".join(m["name"] for m in models)
    problems = []
    if flash_bytes and weights > flash_bytes:
        problems.append("%s B of flash for weights alone, the board has %s B"
                        % (format(weights, ","), format(flash_bytes, ",")))
    if ram_bytes and arena > ram_bytes:
        problems.append("%s B of RAM for the arena alone, the board has %s B"
                        % (format(arena, ","), format(ram_bytes, ",")))
    if not problems:
        return None
    return ("[utensor] error: %s does not fit board %s: it needs %s. Use a smaller model "
            "(fewer or narrower layers, int8 instead of float32) or a board with more "
            "memory." % (names, board_id, "; ".join(problems)))


def guard_enabled(guard_option, build_flags):
    """custom_utensor_guard = yes, or build_flags defining UTENSOR_ARENA_GUARD (the plan
    must have the canaries the macro checks, so the macro alone turns the option on)."""
    if str(guard_option).strip().lower() in ("yes", "true", "1", "on"):
        return True
    flags = " ".join(build_flags) if isinstance(build_flags, (list, tuple)) else str(build_flags or "")
    return any(f.startswith("-D" + GUARD_MACRO) and f[2 + len(GUARD_MACRO):][:1] in ("", "=")
               for f in flags.split())


def main():
    Import("env")  # noqa: F821  (the library's environment)
    project_option = env.GetProjectOption  # noqa: F821
    models_option = project_option(OPTION_MODELS, "")
    if not (models_option or "").strip():
        return
    try:
        Import("projenv")  # noqa: F821
        project_env = projenv  # noqa: F821
    except Exception:  # pylint: disable=broad-except
        project_env = None  # e.g. IDE metadata runs without a project build env

    default_env = DefaultEnvironment()  # noqa: F821
    flag = "UTENSOR_GENERATED_%s" % env["PIOENV"]  # noqa: F821
    gen_src = default_env.get(flag)
    if gen_src is None:
        Import("pio_lib_builder")  # noqa: F821
        library_dir = pio_lib_builder.path  # noqa: F821
        platformio_python = env.subst("$PYTHONEXE")  # noqa: F821
        python = project_option(OPTION_PYTHON, "") or platformio_python
        guard = guard_enabled(project_option(OPTION_GUARD, ""), project_option("build_flags", []))
        gen_src, ok = generate(
            env.subst("$PROJECT_DIR"), env.subst("$BUILD_DIR"), library_dir,  # noqa: F821
            models_option, project_option(OPTION_DATA, ""), python,
            user_ops_option=project_option(OPTION_USER_OPS, ""), guard=guard,
            platformio_python=platformio_python,
            keep_inputs=_project_options(library_dir).is_yes(project_option(OPTION_KEEP_INPUTS, "")),
            shared_arena=_project_options(library_dir).is_yes(project_option(OPTION_SHARED_ARENA, "")))
        if not ok:
            env.Exit(1)  # noqa: F821
        board = env.BoardConfig()  # noqa: F821
        too_big = check_board_budget(gen_src, env.subst("$BOARD"),  # noqa: F821
                                     int(board.get("upload.maximum_size", 0) or 0),
                                     int(board.get("upload.maximum_ram_size", 0) or 0))
        if too_big:
            sys.stderr.write(too_big + "\n")
            env.Exit(1)  # noqa: F821
        default_env[flag] = gen_src
        env.Append(CPPPATH=[gen_src])  # noqa: F821
        if guard:
            default_env[flag + "_GUARD"] = True
            env.Append(CPPDEFINES=[GUARD_MACRO])  # noqa: F821
        env.BuildSources(os.path.join("$BUILD_DIR", GEN_DIR_NAME, "build"), gen_src)  # noqa: F821
    else:
        env.Append(CPPPATH=[gen_src])  # noqa: F821
    if default_env.get(flag + "_GUARD"):
        env.AppendUnique(CPPDEFINES=[GUARD_MACRO])  # noqa: F821
    if project_env is not None:
        project_env.AppendUnique(CPPPATH=[gen_src])
        if default_env.get(flag + "_GUARD"):
            project_env.AppendUnique(CPPDEFINES=[GUARD_MACRO])


main()
