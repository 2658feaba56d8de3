"""Shared by the example, package, Keras and CMake tests: run PlatformIO offline in a
fresh core dir, and a skip marker for machines without the toolchain."""

import os
import re
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PLATFORM_DIR = os.path.join(ROOT, "platformio", "platform")
TOOLS = ("pio", "arm-none-eabi-gcc", "qemu-system-arm", "timeout")

needs_tools = pytest.mark.skipif(
    any(shutil.which(t) is None for t in TOOLS),
    reason="needs %s on PATH" % ", ".join(TOOLS))

_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def run(cmd, cwd, env=None, timeout=600):
    """subprocess.run with text output, ANSI colours stripped, never raising on failure."""
    result = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=timeout, check=False)
    result.stdout = _ANSI.sub("", result.stdout)
    result.stderr = _ANSI.sub("", result.stderr)
    return result


def tail(result, n=4000):
    return result.stdout[-n:] + "\n--- stderr ---\n" + result.stderr[-n:]


def bootstrap_core(core_dir):
    """An environment for `pio` with its own core dir, made usable offline."""
    env = dict(os.environ, PLATFORMIO_CORE_DIR=str(core_dir), PLATFORMIO_NO_ANSI="1")
    env.pop("PYTHONPATH", None)
    result = run([sys.executable, os.path.join(ROOT, "platformio", "bootstrap.py")], ROOT, env)
    assert result.returncode == 0, tail(result)
    return env


def copy_example(name, dest):
    """A copy of examples/<name> without build output, with library and platform paths
    made absolute (the example's `symlink://../..` only works inside the repository)."""
    src = os.path.join(ROOT, "examples", name)
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns(".pio", "__pycache__", "*.pyc"))
    ini = os.path.join(dest, "platformio.ini")
    with open(ini) as f:
        text = f.read()
    text = text.replace("symlink://../../platformio/platform", "symlink://" + PLATFORM_DIR)
    text = text.replace("symlink://../..", "symlink://" + ROOT)
    with open(ini, "w") as f:
        f.write(text)
    return dest
