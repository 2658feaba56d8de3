"""utensor as a new user meets it: nothing on PATH, nothing activated, a fresh HOME and a
fresh PlatformIO core (issue 12). Each test runs its commands in a subprocess whose
environment is PATH=/usr/bin:/bin plus HOME and PLATFORMIO_CORE_DIR (and pip's own index
settings, PIP_*, so the local wheel cache or index still serves the installs):

- scripts/setup.sh --no-demo, then `.venv/bin/utensor run` on hello_world: the board's
  output equals TensorFlow Lite Micro's, computed here;
- a stock PlatformIO (an empty venv with only `platformio`) builds and `pio test`s a copy
  of examples/hello_world: its first build installs the converter's requirements into
  PlatformIO's Python, the second installs nothing;
- a wheel built from an sdist of this checkout, installed into a new venv: convert + verify
  of ad01_int8 and `pio test` of hello_world against the library bundled in the package.

About 2-3 minutes on two cores (each test builds firmware from nothing).
"""

import json
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile

import numpy as np
import pytest

import piohelp
from conftest import MODELS_DIR
from utensor.reference import reference_outputs

ROOT = piohelp.ROOT
STRIPPED_PATH = "/usr/bin:/bin"
HELLO = os.path.join(ROOT, "examples", "hello_world")
HELLO_MODEL = os.path.join(HELLO, "models", "sine_int8.tflite")
HELLO_INPUT = os.path.join(HELLO, "models", "sample_input.npy")
AD01 = os.path.join(MODELS_DIR, "ad01_int8.tflite")

needs_system_tools = pytest.mark.skipif(
    any(shutil.which(t, path=STRIPPED_PATH) is None
        for t in ("arm-none-eabi-gcc", "qemu-system-arm", "timeout", "bash")),
    reason="needs the Arm toolchain and QEMU in /usr/bin (scripts/setup.sh installs them)")


def stripped_env(home):
    """What a new user's shell has: system folders on PATH, their HOME, nothing else of
    ours. pip's index settings pass through (they say where packages come from, not where
    our tools are)."""
    env = {"PATH": STRIPPED_PATH, "HOME": str(home),
           "PLATFORMIO_CORE_DIR": os.path.join(str(home), ".platformio")}
    for key, value in os.environ.items():
        if key.startswith("PIP_") or key.lower() in ("http_proxy", "https_proxy", "no_proxy"):
            env[key] = value
    return env


def make_venv(path, packages, env):
    """A new venv with only `packages` (pip's own resolution) in it."""
    created = piohelp.run([sys.executable, "-m", "venv", str(path)], str(path.parent), env)
    assert created.returncode == 0, piohelp.tail(created)
    python = str(path / "bin" / "python")
    installed = piohelp.run([python, "-m", "pip", "install", "--disable-pip-version-check",
                             "-q"] + list(packages), str(path.parent), env, timeout=900)
    assert installed.returncode == 0, piohelp.tail(installed)
    return python


def bootstrap_scons(env):
    """tool-scons into the fresh core, as setup.sh does (PlatformIO's registry is out of
    reach here; on a connected machine PlatformIO downloads it itself)."""
    boot = piohelp.run([sys.executable, os.path.join(ROOT, "platformio", "bootstrap.py"),
                        "--skip-tools"], ROOT, env)
    assert boot.returncode == 0, piohelp.tail(boot)


def hello_project(dest, library_dir):
    """A copy of examples/hello_world taking the library and its boards from library_dir."""
    shutil.copytree(HELLO, dest, ignore=shutil.ignore_patterns(".pio", "__pycache__"))
    ini = os.path.join(dest, "platformio.ini")
    with open(ini) as f:
        text = f.read()
    text = text.replace("symlink://../../platformio/platform",
                        "symlink://" + os.path.join(library_dir, "platformio", "platform"))
    text = text.replace("symlink://../..", "symlink://" + library_dir)
    with open(ini, "w") as f:
        f.write(text)
    return dest


@needs_system_tools
def test_setup_then_run_with_nothing_on_path(tmp_path):
    assert shutil.which("pio", path=STRIPPED_PATH) is None, "the test needs pio off PATH"
    env = stripped_env(tmp_path / "home")
    os.makedirs(env["HOME"])
    env["UTENSOR_VENV"] = sys.prefix  # the venv the suite runs in: installs nothing new
    setup = piohelp.run(["bash", os.path.join(ROOT, "scripts", "setup.sh"), "--no-demo"],
                        ROOT, env, timeout=1800)
    assert setup.returncode == 0, piohelp.tail(setup)
    assert "installed tool-scons" in setup.stdout  # into the fresh core
    assert os.path.isdir(os.path.join(env["PLATFORMIO_CORE_DIR"], "packages", "tool-scons"))

    out_npy = tmp_path / "y.npy"
    utensor = os.path.join(sys.prefix, "bin", "utensor")
    run = piohelp.run([utensor, "run", HELLO_MODEL, "--board", "mps2_an386",
                       "--input", HELLO_INPUT, "--output", str(out_npy)], ROOT, env,
                      timeout=900)
    assert run.returncode == 0, piohelp.tail(run)
    assert "bit-exact with the TFLite Micro reference" in run.stdout
    board = np.load(out_npy)
    x = np.load(HELLO_INPUT).astype(np.int8)
    np.testing.assert_array_equal(board.reshape(-1), reference_outputs(HELLO_MODEL, [x])[0].reshape(-1))
    # Built from nothing in the fresh HOME, not taken from a cache of this machine's.
    assert os.path.isdir(os.path.join(env["HOME"], ".cache", "utensor", "harness"))


@needs_system_tools
def test_stock_platformio_builds_and_tests_hello_world(tmp_path):
    env = stripped_env(tmp_path / "home")
    os.makedirs(env["HOME"])
    python = make_venv(tmp_path / "pio_venv", ["platformio==6.2.0"], env)
    has = piohelp.run([python, "-c", "import numpy"], str(tmp_path), env)
    assert has.returncode != 0, "the stock venv must start without the converter's needs"
    bootstrap_scons(env)
    project = hello_project(str(tmp_path / "hello"), ROOT)
    pio = os.path.join(os.path.dirname(python), "pio")

    first = piohelp.run([pio, "run", "-e", "mps2_an386"], project, env, timeout=900)
    assert first.returncode == 0, piohelp.tail(first)
    installing = [ln for ln in first.stdout.splitlines()
                  if ln.startswith("[utensor] installing the model converter's requirements")]
    assert len(installing) == 1, piohelp.tail(first)
    assert "Traceback" not in first.stdout + first.stderr
    assert "[utensor] sine_int8: 3 ops" in first.stdout

    second = piohelp.run([pio, "run", "-e", "mps2_an386"], project, env, timeout=900)
    assert second.returncode == 0, piohelp.tail(second)
    assert "installing" not in second.stdout.lower().replace("library manager", "")
    assert "[utensor] generated sources up to date (1 model)" in second.stdout

    test = piohelp.run([pio, "test", "-e", "mps2_an386"], project, env, timeout=900)
    assert test.returncode == 0, piohelp.tail(test)
    assert "3 test cases: 3 succeeded" in test.stdout


@needs_system_tools
def test_stock_platformio_without_an_index_says_what_to_install(tmp_path):
    env = stripped_env(tmp_path / "home")
    os.makedirs(env["HOME"])
    python = make_venv(tmp_path / "pio_venv", ["platformio==6.2.0"], env)
    bootstrap_scons(env)
    project = hello_project(str(tmp_path / "hello"), ROOT)
    offline = dict(env, PIP_NO_INDEX="1", PIP_FIND_LINKS="", PIP_CONFIG_FILE=os.devnull)
    offline = {k: v for k, v in offline.items() if k not in ("PIP_EXTRA_INDEX_URL", "PIP_INDEX_URL")}
    build = piohelp.run([os.path.join(os.path.dirname(python), "pio"), "run", "-e", "mps2_an386"],
                        project, offline, timeout=900)
    assert build.returncode != 0
    text = build.stdout + build.stderr
    assert "Traceback" not in text and "ModuleNotFoundError" not in text
    errors = [ln for ln in text.splitlines() if ln.startswith("[utensor] error:")]
    assert len(errors) == 1, piohelp.tail(build)
    assert ('%s -m pip install --disable-pip-version-check "numpy>=1.21" "jinja2>=3.0"'
            % python) in errors[0]
    assert "custom_utensor_python" in errors[0]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    """An sdist of this checkout, and a wheel built from that sdist (what `pip install
    utensor-x.tar.gz` does): a file the sdist forgets is then missing from the wheel."""
    out = tmp_path_factory.mktemp("dist")
    build = piohelp.run([sys.executable, "-m", "build", "--outdir", str(out), ROOT], str(out),
                        dict(os.environ), timeout=900)
    assert build.returncode == 0, piohelp.tail(build)
    (sdist,) = [f for f in os.listdir(out) if f.endswith(".tar.gz")]
    (whl,) = [f for f in os.listdir(out) if f.endswith(".whl")]
    with tarfile.open(out / sdist) as tar:
        assert "utensor-0.1.0/runtime/include/utensor/version.hpp" in tar.getnames()
    return out / whl


def test_wheel_bundles_the_library(wheel):
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        bundled_version = z.read("utensor/_library/runtime/include/utensor/version.hpp").decode()
    for needed in ("utensor/_library/library.json", "utensor/_library/platformio/extra_script.py",
                   "utensor/_library/platformio/platform/builder/main.py",
                   "utensor/_library/scripts/utensor/convert.py",
                   "utensor/_library/scripts/utensor/requirements.txt",
                   "utensor/_library/runtime/src/kernels/arm/conv2d_dsp.cpp",
                   "utensor/requirements.txt", "utensor/templates/model.hpp.j2"):
        assert needed in names
    assert not [n for n in names if "__pycache__" in n or ".egg-info/" in n or "/test/" in n]
    with open(os.path.join(ROOT, "runtime", "include", "utensor", "version.hpp")) as f:
        assert bundled_version == f.read()


@needs_system_tools
@pytest.mark.skipif(not os.path.isfile(AD01), reason="needs ../shared/models")
def test_installed_wheel_converts_verifies_and_builds(wheel, tmp_path):
    env = stripped_env(tmp_path / "home")
    os.makedirs(env["HOME"])
    python = make_venv(tmp_path / "venv", ["%s[reference]" % wheel, "platformio==6.2.0"], env)
    bindir = os.path.dirname(python)
    utensor = os.path.join(bindir, "utensor")
    bootstrap_scons(env)

    where = piohelp.run([utensor, "library-dir"], str(tmp_path), env)
    assert where.returncode == 0, piohelp.tail(where)
    library = where.stdout.strip()
    assert library.startswith(str(tmp_path / "venv")) and not library.startswith(ROOT)

    out = tmp_path / "gen"
    convert = piohelp.run([utensor, "convert", AD01, "-o", str(out)], str(tmp_path), env)
    assert convert.returncode == 0, piohelp.tail(convert)
    assert "[utensor] ad01_int8: 10 ops" in convert.stdout
    header = (out / "ad01_int8.hpp").read_text()
    with open(os.path.join(library, "runtime", "include", "utensor", "version.hpp")) as f:
        number = [ln.split()[-1] for ln in f if ln.startswith("#define UTENSOR_VERSION ")][0]
    assert "#if UTENSOR_VERSION != %s" % number in header

    report = tmp_path / "verify.json"
    verify = piohelp.run([utensor, "verify", AD01, "--board", "mps2_an386", "--samples", "2",
                          "--json", str(report)], str(tmp_path), env, timeout=900)
    assert verify.returncode == 0, piohelp.tail(verify)
    result = json.loads(report.read_text())
    assert result["bit_exact"] is True and result["samples"] == 2
    # The firmware was built from the bundled library, not from this checkout.
    harness = os.path.join(env["HOME"], ".cache", "utensor", "harness")
    (project,) = os.listdir(harness)
    with open(os.path.join(harness, project, "platformio.ini")) as f:
        assert "symlink://" + library in f.read()

    app = hello_project(str(tmp_path / "hello"), library)
    test = piohelp.run([os.path.join(bindir, "pio"), "test", "-e", "mps2_an386"], app, env,
                       timeout=900)
    assert test.returncode == 0, piohelp.tail(test)
    assert "3 test cases: 3 succeeded" in test.stdout
