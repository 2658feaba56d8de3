"""platformio/extra_script.py: run under a fake SCons environment with a fake converter
(decisions: when to convert, what to pass, what to do on failure), then for real in a
temporary PlatformIO project converting the hello_world model."""

import io
import os
import shutil
import subprocess
import sys
import textwrap
from contextlib import redirect_stderr, redirect_stdout

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCRIPT = os.path.join(ROOT, "platformio", "extra_script.py")

FAKE_CONVERTER = r'''
import os, sys
args = sys.argv[1:]
assert args[0] == "convert", args
out = args[args.index("-o") + 1]
with open(os.environ["FAKE_LOG"], "a") as f:
    f.write(repr(args) + " PYTHONPATH=" + os.environ.get("PYTHONPATH", "") +
            " NOBYTECODE=" + os.environ.get("PYTHONDONTWRITEBYTECODE", "") + "\n")
models = args[1:args.index("-o")]
for m in models:
    data = open(m, "rb").read()
    if data.startswith(b"BAD"):
        sys.stderr.write("utensor convert: error: %s is damaged. Re-export it.\n" % m)
        sys.exit(1)
    name = os.path.splitext(os.path.basename(m))[0]
    with open(os.path.join(out, name + ".hpp"), "w") as f:
        f.write("// %d bytes\n" % len(data))
print("[utensor] converted %d" % len(models))
'''


class FakeEnv(dict):
    """The few SCons environment methods the extra script uses."""

    def __init__(self, options, project_dir, build_dir, **kw):
        super().__init__(PIOENV="fake", **kw)
        self.options = options
        self.vars = {"$PROJECT_DIR": project_dir, "$BUILD_DIR": build_dir,
                     "$PYTHONEXE": sys.executable, "$BOARD": "fakeboard"}
        self.cpppath = []
        self.built = []
        self.exit_code = None

    def GetProjectOption(self, name, default=None):
        return self.options.get(name, default)

    def BoardConfig(self):
        return self.get("board_config", {})

    def subst(self, text):
        return self.vars.get(text, text)

    def Append(self, CPPPATH=()):
        self.cpppath.extend(CPPPATH)

    AppendUnique = Append

    def BuildSources(self, variant_dir, src_dir):
        self.built.append((variant_dir, src_dir))

    def Exit(self, code):
        self.exit_code = code
        raise SystemExit(code)


class LibBuilder:
    def __init__(self, path):
        self.path = path


def run_script(env, projenv, default_env, library_dir):
    """Execute the extra script as SCons would; return (stdout, stderr)."""
    exports = {"env": env, "projenv": projenv, "pio_lib_builder": LibBuilder(library_dir)}
    script_globals = {"__name__": "SCons.Script"}

    def fake_import(name):
        script_globals[name] = exports[name]

    script_globals["Import"] = fake_import
    script_globals["DefaultEnvironment"] = lambda: default_env
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        try:
            with open(SCRIPT) as f:
                exec(compile(f.read(), SCRIPT, "exec"), script_globals)  # noqa: S102
        except SystemExit:
            pass
    return out.getvalue(), err.getvalue()


@pytest.fixture
def setup(tmp_path, monkeypatch):
    library = tmp_path / "lib"
    (library / "scripts" / "utensor").mkdir(parents=True)
    (library / "scripts" / "utensor" / "__init__.py").write_text("")
    (library / "scripts" / "utensor" / "__main__.py").write_text(FAKE_CONVERTER)
    # A stdlib module stands for the requirements: every interpreter the tests name has it.
    (library / "scripts" / "utensor" / "requirements.txt").write_text("# the list\njson\n")
    project = tmp_path / "project"
    (project / "models").mkdir(parents=True)
    (project / "models" / "a.tflite").write_bytes(b"model-a")
    (project / "models" / "b.tflite").write_bytes(b"model-bb")
    build = tmp_path / "project" / ".pio" / "build" / "fake"
    log = tmp_path / "converter.log"
    monkeypatch.setenv("FAKE_LOG", str(log))
    monkeypatch.setenv("PYTHONPATH", "/somewhere/platformio/site")

    def make(options):
        return FakeEnv(options, str(project), str(build)), FakeEnv({}, str(project), str(build))

    def runs():
        return log.read_text().splitlines() if log.exists() else []

    return library, project, build, make, runs


def test_does_nothing_without_models_option(setup):
    library, _, build, make, runs = setup
    env, projenv = make({})
    out, err = run_script(env, projenv, {}, str(library))
    assert (out, err, runs(), env.built, env.cpppath) == ("", "", [], [], [])
    assert not build.exists()


def test_converts_once_then_up_to_date(setup):
    library, project, build, make, runs = setup
    options = {"custom_utensor_models": "models/a.tflite\n  models/b.tflite"}
    env, projenv = make(options)
    out, _ = run_script(env, projenv, {}, str(library))
    gen = str(build / "utensor_gen" / "src")
    assert "[utensor] converted 2" in out
    assert len(runs()) == 1
    assert str(project / "models" / "a.tflite") in runs()[0]
    assert "PYTHONPATH=%s " % os.path.join(str(library), "scripts") in runs()[0]
    assert "NOBYTECODE=1" in runs()[0]
    assert env.cpppath == [gen] and projenv.cpppath == [gen]
    assert env.built == [(os.path.join("$BUILD_DIR", "utensor_gen", "build"), gen)]
    assert (build / "utensor_gen" / "src" / "b.hpp").read_text() == "// 8 bytes\n"

    # A new build (fresh DefaultEnvironment), nothing changed: no conversion.
    env2, projenv2 = make(options)
    out2, _ = run_script(env2, projenv2, {}, str(library))
    assert "up to date (2 models)" in out2
    assert len(runs()) == 1
    assert env2.built and env2.cpppath == [gen]


def test_second_run_in_same_build_only_adds_include_path(setup):
    library, _, build, make, runs = setup
    options = {"custom_utensor_models": "models/a.tflite"}
    default_env = {}
    env, projenv = make(options)
    run_script(env, projenv, default_env, str(library))
    env2, projenv2 = make(options)
    run_script(env2, projenv2, default_env, str(library))
    assert len(runs()) == 1
    assert env2.built == []
    assert env2.cpppath == [str(build / "utensor_gen" / "src")]


@pytest.mark.parametrize("change", ["model bytes", "generator source", "option", "python",
                                    "user ops"])
def test_reconverts_when_an_input_changes(setup, change):
    library, project, _, make, runs = setup
    options = {"custom_utensor_models": "models/a.tflite"}
    run_script(*make(options), {}, str(library))
    if change == "model bytes":
        (project / "models" / "a.tflite").write_bytes(b"model-A")
    elif change == "generator source":
        (library / "scripts" / "utensor" / "new_pass.py").write_text("# new\n")
    elif change == "option":
        (project / "data.npy").write_bytes(b"npy")
        options = dict(options, custom_utensor_representative_data="data.npy")
    elif change == "user ops":
        options = dict(options, custom_utensor_user_ops="MY_GELU\n  MY_NORM")
    else:
        other_python = project / "python-link"
        other_python.symlink_to(sys.executable)
        options = dict(options, custom_utensor_python=str(other_python))
    _, err = run_script(*make(options), {}, str(library))
    assert err == ""
    assert len(runs()) == 2
    if change == "option":
        assert "'--representative-data', '%s'" % (project / "data.npy") in runs()[1]
    if change == "user ops":
        assert "'--user-op', 'MY_GELU', '--user-op', 'MY_NORM'" in runs()[1]


def test_failure_stops_build_and_keeps_previous_sources(setup):
    library, project, build, make, runs = setup
    options = {"custom_utensor_models": "models/a.tflite"}
    run_script(*make(options), {}, str(library))
    stamp = build / "utensor_gen" / "utensor.stamp"
    assert stamp.exists()
    (project / "models" / "a.tflite").write_bytes(b"BAD model")
    env, projenv = make(options)
    out, err = run_script(env, projenv, {}, str(library))
    assert env.exit_code == 1
    assert "a.tflite is damaged. Re-export it." in err
    assert "[utensor] model conversion failed" in err
    assert not stamp.exists()
    assert (build / "utensor_gen" / "src" / "a.hpp").read_text() == "// 7 bytes\n"
    assert env.built == []
    # Fixed model: converts again.
    (project / "models" / "a.tflite").write_bytes(b"model-a2")
    run_script(*make(options), {}, str(library))
    assert len(runs()) == 3 and stamp.exists()


def test_missing_model_is_reported_with_project_folder(setup):
    library, project, _, make, runs = setup
    env, projenv = make({"custom_utensor_models": "models/nope.tflite"})
    _, err = run_script(env, projenv, {}, str(library))
    assert env.exit_code == 1
    assert "models/nope.tflite not found" in err and str(project) in err
    assert runs() == []


# -- for real --------------------------------------------------------------------------

HELLO_MODEL = os.path.join(ROOT, "examples", "hello_world", "models", "sine_int8.tflite")
TOOLS = ("pio", "arm-none-eabi-gcc", "qemu-system-arm")


@pytest.mark.skipif(any(shutil.which(t) is None for t in TOOLS) or
                    not os.path.isfile(HELLO_MODEL), reason="needs pio, gcc, qemu, model")
def test_real_project_converts_once_and_runs(tmp_path):
    core = tmp_path / "core"
    env = dict(os.environ, PLATFORMIO_CORE_DIR=str(core))
    env.pop("PYTHONPATH", None)
    boot = subprocess.run([sys.executable, os.path.join(ROOT, "platformio", "bootstrap.py"),
                           "--skip-tools"], env=env, capture_output=True, text=True)
    assert boot.returncode == 0, boot.stderr
    project = tmp_path / "project"
    (project / "src").mkdir(parents=True)
    (project / "models").mkdir()
    shutil.copy(HELLO_MODEL, project / "models")
    (project / "platformio.ini").write_text(textwrap.dedent("""\
        [env:mps2_an386]
        platform = symlink://%s/platformio/platform
        board = mps2_an386
        test_framework = custom
        lib_deps = symlink://%s
        custom_utensor_models = models/sine_int8.tflite
        """) % (ROOT, ROOT))
    (project / "src" / "main.cpp").write_text(textwrap.dedent("""\
        #include <stdio.h>
        #include "sine_int8.hpp"
        int main() {
          SineInt8 model;
          model.input(0).data();
          printf("status=%d arena=%u\\n", (int)model.invoke(), (unsigned)SineInt8::kArenaBytes);
          return 0;
        }
        """))

    def pio(*args):
        return subprocess.run(["pio", *args], cwd=project, env=env, capture_output=True,
                              text=True, timeout=600)

    first = pio("run")
    assert first.returncode == 0, first.stdout[-4000:] + first.stderr[-4000:]
    assert "[utensor] sine_int8:" in first.stdout
    second = pio("run")
    assert second.returncode == 0
    assert "[utensor] generated sources up to date (1 model)" in second.stdout
    assert "Compiling" not in second.stdout
    upload = pio("run", "-t", "upload")
    assert upload.returncode == 0, upload.stdout[-3000:] + upload.stderr[-3000:]
    assert "status=0 arena=32" in upload.stdout


def _script_functions():
    g = {"__name__": "utensor_extra_script", "Import": lambda *a: None}
    with open(SCRIPT, encoding="utf-8") as f:
        exec(compile(f.read().replace("\nmain()\n", "\n"), SCRIPT, "exec"), g)  # noqa: S102
    return g


def test_board_budget_names_the_models_and_both_numbers(tmp_path):
    check = _script_functions()["check_board_budget"]
    (tmp_path / "utensor_models.json").write_text(
        '{"models": [{"name": "ad01_int8", "arena_bytes": 768, "weight_bytes": 264192}]}')
    assert check(str(tmp_path), "nucleo_f446re", 512 * 1024, 128 * 1024) is None
    msg = check(str(tmp_path), "microbit", 262144, 16384)
    assert msg == ("[utensor] error: ad01_int8 does not fit board microbit: it needs 264,192 B of "
                   "flash for weights alone, the board has 262,144 B. Use a smaller model (fewer or "
                   "narrower layers, int8 instead of float32) or a board with more memory.")
    assert "768 B of RAM for the arena alone, the board has 512 B" in check(str(tmp_path), "tiny", 0, 512)
    assert check(str(tmp_path / "missing"), "microbit", 1, 1) is None  # no manifest: the linker checks


def test_model_too_big_for_the_board_stops_the_build_before_linking(tmp_path):
    """ad01_int8 (264,192 B of weights) on the 256 KB microbit: refused with the numbers."""
    models_dir = os.path.join(os.path.dirname(ROOT), "shared", "models", "mlperf_tiny")
    r = subprocess.run(
        [sys.executable, "-m", "utensor", "verify", os.path.join(models_dir, "ad01_int8.tflite"),
         "--board", "microbit", "--samples", "1", "--build-dir", str(tmp_path / "fw")],
        cwd=ROOT, env=dict(os.environ, PYTHONPATH=os.path.join(ROOT, "scripts")),
        capture_output=True, text=True, timeout=600)
    assert r.returncode == 1
    assert ("ad01_int8 does not fit board microbit: it needs 264,192 B of flash for weights alone, "
            "the board has 262,144 B") in r.stdout + r.stderr
    assert "Linking" not in r.stdout + r.stderr  # stopped before compiling and linking


def _load_script_module():
    """The extra script's functions without running its main() (it needs SCons)."""
    import types

    module = types.ModuleType("utensor_extra_script")
    with open(SCRIPT) as f:
        source = f.read().replace("\nmain()\n", "\n")
    exec(compile(source, SCRIPT, "exec"), module.__dict__)  # noqa: S102
    return module


class FakeRun:
    """subprocess.run stand-in: the requirement probe reports `missing`, pip exits `pip_code`."""

    def __init__(self, missing, pip_code=0, pip_output=""):
        self.missing, self.pip_code, self.pip_output = missing, pip_code, pip_output
        self.calls = []

    def __call__(self, cmd, **kwargs):
        self.calls.append(cmd)
        if "pip" in cmd:
            return subprocess.CompletedProcess(cmd, self.pip_code, self.pip_output, None)
        return subprocess.CompletedProcess(cmd, 0, " ".join(self.missing) + "\n", "")


SCRIPTS_DIR = os.path.join(ROOT, "scripts")


def test_requirements_come_from_the_one_list():
    script = _load_script_module()
    reqs = script.read_requirements(SCRIPTS_DIR)
    assert [r.split(">=")[0] for r in reqs] == ["numpy", "jinja2", "pyserial"]
    assert [script._import_name(r) for r in reqs] == ["numpy", "jinja2", "serial"]
    with open(os.path.join(ROOT, "pyproject.toml")) as f:
        assert 'dependencies = {file = ["scripts/utensor/requirements.txt"]}' in f.read()


def test_missing_requirements_are_installed_into_platformios_python_once():
    script = _load_script_module()
    run, out, err = FakeRun(["jinja2"]), io.StringIO(), io.StringIO()
    assert script.ensure_requirements("/pio/penv/bin/python", "/pio/penv/bin/python",
                                      SCRIPTS_DIR, run, out, err)
    pip = [c for c in run.calls if "pip" in c]
    assert len(pip) == 1 and pip[0][:4] == ["/pio/penv/bin/python", "-m", "pip", "install"]
    assert "jinja2>=3.0" in pip[0] and "numpy>=1.21" not in pip[0]
    assert out.getvalue().count("\n") == 1 and out.getvalue().startswith("[utensor] installing")
    assert err.getvalue() == ""


def test_nothing_is_installed_when_all_requirements_import():
    script = _load_script_module()
    run, out, err = FakeRun([]), io.StringIO(), io.StringIO()
    assert script.ensure_requirements("/py", "/py", SCRIPTS_DIR, run, out, err)
    assert [c for c in run.calls if "pip" in c] == [] and out.getvalue() == ""


def test_failed_install_names_the_pip_command_and_the_option():
    script = _load_script_module()
    run = FakeRun(["numpy", "jinja2"], pip_code=1,
                  pip_output="ERROR: No matching distribution found for numpy>=1.21\n")
    out, err = io.StringIO(), io.StringIO()
    assert not script.ensure_requirements("/py", "/py", SCRIPTS_DIR, run, out, err)
    message = err.getvalue()
    assert message.count("\n") == 1 and "Traceback" not in message
    assert '/py -m pip install --disable-pip-version-check "numpy>=1.21" "jinja2>=3.0"' in message
    assert "custom_utensor_python" in message and "No matching distribution" in message


def test_a_user_named_interpreter_is_not_modified():
    script = _load_script_module()
    run, out, err = FakeRun(["numpy"]), io.StringIO(), io.StringIO()
    assert not script.ensure_requirements("/home/me/tf/bin/python", "/pio/penv/bin/python",
                                          SCRIPTS_DIR, run, out, err)
    assert [c for c in run.calls if "pip" in c] == []
    assert "custom_utensor_python" in err.getvalue()
    assert '/home/me/tf/bin/python -m pip install --disable-pip-version-check "numpy>=1.21"' in err.getvalue()
