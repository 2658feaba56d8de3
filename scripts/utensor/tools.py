"""Where utensor finds the programs it runs, without relying on the caller's PATH.

A new user runs `.venv/bin/utensor` (or a PlatformIO IDE's bundled Python) with nothing
activated: PlatformIO then sits next to the running interpreter, not on PATH. The Arm
toolchain and QEMU come from Debian (/usr/bin) or a folder the user names. Each lookup
ends in an error naming the missing program and the one command that installs it.

Stdlib only: platformio/bootstrap.py and PlatformIO's builder import this module from
interpreters that may have nothing else.
"""

import os
import shutil
import subprocess
import sys

from .errors import UtensorError

PLATFORMIO_REQUIREMENT = "platformio==6.2.0"

# Debian package of each external program, for the error message.
APT_PACKAGES = {
    "arm-none-eabi-gcc": "gcc-arm-none-eabi libnewlib-arm-none-eabi",
    "arm-none-eabi-g++": "gcc-arm-none-eabi libstdc++-arm-none-eabi-newlib",
    "arm-none-eabi-size": "binutils-arm-none-eabi",
    "qemu-system-arm": "qemu-system-arm",
    "timeout": "coreutils",
    "cc": "gcc",
    "gcc": "gcc",
}

# Searched after PATH: where Debian, Homebrew and a hand-unpacked Arm GNU toolchain put
# programs. $UTENSOR_TOOLCHAIN_DIR (a `bin` folder) comes first.
_FALLBACK_DIRS = ("/usr/bin", "/usr/local/bin", "/opt/homebrew/bin")


class ToolNotFound(UtensorError):
    """A program utensor runs is not installed where it looks."""


def _search_dirs():
    dirs = []
    explicit = os.environ.get("UTENSOR_TOOLCHAIN_DIR")
    if explicit:
        dirs.append(explicit)
    dirs.extend(os.environ.get("PATH", "").split(os.pathsep))
    dirs.extend(_FALLBACK_DIRS)
    seen, out = set(), []
    for d in dirs:
        if d and d not in seen:
            seen.add(d)
            out.append(d)
    return out


def find_tool(name, purpose="", required=True):
    """Absolute path of program `name` ($UTENSOR_TOOLCHAIN_DIR, PATH, then /usr/bin and
    friends); None or ToolNotFound (naming the install command) when absent."""
    for d in _search_dirs():
        path = shutil.which(name, path=d)
        if path:
            return os.path.abspath(path)
    if not required:
        return None
    package = APT_PACKAGES.get(name, name)
    raise ToolNotFound(
        "`%s` was not found%s (looked in $UTENSOR_TOOLCHAIN_DIR, PATH, %s). On Debian/Ubuntu: "
        "`sudo apt-get install %s` (or run `bash scripts/setup.sh`), or set "
        "UTENSOR_TOOLCHAIN_DIR to the folder holding it."
        % (name, " (" + purpose + ")" if purpose else "", ", ".join(_FALLBACK_DIRS), package))


def _python_has_platformio(python):
    try:
        result = subprocess.run([python, "-c", "import platformio"], capture_output=True,
                                timeout=60, check=False)
    except (OSError, subprocess.SubprocessError):
        return False
    return result.returncode == 0


def _executable(path):
    return bool(path) and os.path.isfile(path) and os.access(path, os.X_OK)


def pio_command(python=None):
    """The command prefix that runs PlatformIO Core, as a list.

    Order: $UTENSOR_PIO; `pio` beside the running interpreter (a venv's bin/ or Scripts/,
    whether activated or not); `pio` on PATH; PlatformIO IDE's own core
    (~/.platformio/penv); `python -m platformio` when the interpreter has it.
    Raises ToolNotFound with the pip command that installs it.
    """
    python = python or sys.executable
    explicit = os.environ.get("UTENSOR_PIO")
    if explicit:
        if _executable(explicit):
            return [explicit]
        raise ToolNotFound("UTENSOR_PIO is %r, which is not an executable file." % explicit)
    bindir = os.path.dirname(os.path.abspath(python))
    names = ("pio", "platformio", "pio.exe", "platformio.exe")
    for name in names:
        if _executable(os.path.join(bindir, name)):
            return [os.path.join(bindir, name)]
    for name in ("pio", "platformio"):
        path = shutil.which(name)
        if path:
            return [os.path.abspath(path)]
    ide_core = os.path.join(os.path.expanduser("~"), ".platformio", "penv")
    for sub in ("bin", "Scripts"):
        for name in names:
            if _executable(os.path.join(ide_core, sub, name)):
                return [os.path.join(ide_core, sub, name)]
    if _python_has_platformio(python):
        return [python, "-m", "platformio"]
    raise ToolNotFound(
        "PlatformIO Core was not found: not beside %s, not on PATH, not in "
        "~/.platformio/penv. Install it into this Python with `%s -m pip install %s` "
        "(or run `bash scripts/setup.sh`), or set UTENSOR_PIO to a `pio` executable."
        % (python, python, PLATFORMIO_REQUIREMENT))


def tool_environment(base=None, pio=None):
    """An environment for PlatformIO and the programs it starts: PlatformIO's own folder
    and the Arm toolchain's and QEMU's folders put in front of PATH (the dev-platform's
    builder calls them by plain name), no PYTHONPATH of ours leaking into its Python."""
    env = dict(os.environ if base is None else base)
    env.pop("PYTHONPATH", None)
    env["PLATFORMIO_NO_ANSI"] = "1"
    front = []
    if pio and os.path.isabs(pio[0]):
        front.append(os.path.dirname(pio[0]))
    for name in ("arm-none-eabi-gcc", "qemu-system-arm", "timeout"):
        path = find_tool(name, required=False)
        if path:
            front.append(os.path.dirname(path))
    path_dirs = env.get("PATH", "").split(os.pathsep) if env.get("PATH") else []
    merged = []
    for d in front + path_dirs:
        if d and d not in merged:
            merged.append(d)
    env["PATH"] = os.pathsep.join(merged)
    return env
