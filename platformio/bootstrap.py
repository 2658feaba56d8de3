#!/usr/bin/env python3
"""Make PlatformIO Core usable offline for utensor's QEMU dev-platform.

PlatformIO downloads its core package `tool-scons` from its registry on first use. The
registry may be unreachable, so this script installs that package from the PyPI `scons`
package already installed in some Python (pip install scons==4.11.1), then checks the
tools the dev-platform runs by plain name. Stdlib only, no network, idempotent:

    python platformio/bootstrap.py [--core-dir DIR] [--scons-dir DIR] [--check-only]

The core dir is $PLATFORMIO_CORE_DIR, else ~/.platformio. Exit 0 when everything is in
place, 1 with one message per problem otherwise.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

# utensor.tools (stdlib only) knows where PlatformIO, the Arm toolchain and QEMU live.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "scripts"))
from utensor import tools  # noqa: E402  pylint: disable=wrong-import-position

PACKAGE_NAME = "tool-scons"
# PlatformIO 6.2.0 requires tool-scons ~4.41101.0, i.e. SCons 4.11.1 in its numbering.
PACKAGE_VERSION = "4.41101.0"
SCONS_VERSION = "4.11.1"
REQUIRED_TOOLS = ("arm-none-eabi-gcc", "arm-none-eabi-g++", "qemu-system-arm")

SCONS_LAUNCHER = '''\
"""SCons launcher written by utensor's platformio/bootstrap.py (tool-scons package)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import SCons.Script  # noqa: E402

if __name__ == "__main__":
    SCons.Script.main()
'''


def default_core_dir():
    return os.environ.get("PLATFORMIO_CORE_DIR") or os.path.join(
        os.path.expanduser("~"), ".platformio"
    )


def find_scons_dir(explicit=None):
    """Return the directory of the `SCons` Python package, or None.

    Looks in this interpreter first, then in the interpreter that runs `pio`, since the
    setup may have pip-installed scons into either one.
    """
    if explicit:
        return explicit if os.path.isfile(os.path.join(explicit, "__init__.py")) else None
    try:
        import SCons  # pylint: disable=import-outside-toplevel

        return os.path.dirname(os.path.abspath(SCons.__file__))
    except ImportError:
        pass
    try:
        pio = tools.pio_command()
    except tools.ToolNotFound:
        return None
    for python in _pio_pythons(pio):
        try:
            out = subprocess.run(
                [python, "-c", "import SCons, os; print(os.path.dirname(SCons.__file__))"],
                capture_output=True, text=True, timeout=60, check=False,
            )
        except OSError:
            continue
        path = out.stdout.strip()
        if out.returncode == 0 and os.path.isdir(path):
            return path
    return None


def _pio_pythons(pio):
    """Interpreters that may run PlatformIO (a command prefix): its own interpreter when
    run as `python -m platformio`, the script's shebang, then pio's own view."""
    candidates = []
    if len(pio) > 1:
        candidates.append(pio[0])
    else:
        try:
            with open(os.path.realpath(pio[0]), "rb") as fp:
                first = fp.readline().decode("utf8", "replace").strip()
            if first.startswith("#!") and "python" in first:
                candidates.append(first[2:].split()[0])
        except OSError:
            pass
    try:
        out = subprocess.run(
            pio + ["system", "info", "--json-output"],
            capture_output=True, text=True, timeout=120, check=False,
        )
        info = json.loads(out.stdout or "{}")
        exe = info.get("python_exe", {}).get("value")
        if exe:
            candidates.append(exe)
    except (OSError, ValueError, subprocess.SubprocessError):
        pass
    return [c for c in candidates if os.path.isfile(c)]


def scons_version(scons_dir):
    """Read __version__ from SCons/__init__.py without importing it."""
    with open(os.path.join(scons_dir, "__init__.py"), encoding="utf8") as fp:
        for line in fp:
            if line.startswith("__version__"):
                return line.split("=", 1)[1].strip().strip("\"'")
    return None


def expected_files():
    package_json = {
        "name": PACKAGE_NAME,
        "version": PACKAGE_VERSION,
        "description": "SCons software construction tool (installed offline by utensor)",
        "keywords": ["build tool"],
        "homepage": "https://scons.org",
        "license": "MIT",
    }
    piopm = {
        "type": "tool",
        "name": PACKAGE_NAME,
        "version": PACKAGE_VERSION,
        "spec": {
            "owner": "platformio",
            "id": None,
            "name": PACKAGE_NAME,
            "requirements": None,
            "uri": None,
        },
    }
    return {
        "package.json": json.dumps(package_json, indent=2) + "\n",
        ".piopm": json.dumps(piopm) + "\n",
        "scons.py": SCONS_LAUNCHER,
    }


def is_installed(package_dir):
    """True when package_dir holds exactly what install_tool_scons would write."""
    if not os.path.isfile(os.path.join(package_dir, "SCons", "__init__.py")):
        return False
    if scons_version(os.path.join(package_dir, "SCons")) != SCONS_VERSION:
        return False
    for name, text in expected_files().items():
        try:
            with open(os.path.join(package_dir, name), encoding="utf8") as fp:
                if fp.read() != text:
                    return False
        except OSError:
            return False
    return True


def install_tool_scons(core_dir, scons_dir):
    """Install (or repair) tool-scons under core_dir; return (package_dir, changed)."""
    package_dir = os.path.join(core_dir, "packages", PACKAGE_NAME)
    if is_installed(package_dir):
        return package_dir, False
    os.makedirs(os.path.dirname(package_dir), exist_ok=True)
    # Build beside the target and swap in, so an interrupted run leaves no half package.
    staging = tempfile.mkdtemp(prefix=".tool-scons-", dir=os.path.dirname(package_dir))
    try:
        shutil.copytree(
            scons_dir, os.path.join(staging, "SCons"),
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
        )
        for name, text in expected_files().items():
            with open(os.path.join(staging, name), "w", encoding="utf8") as fp:
                fp.write(text)
        if os.path.lexists(package_dir):
            if os.path.isdir(package_dir) and not os.path.islink(package_dir):
                shutil.rmtree(package_dir)
            else:
                os.remove(package_dir)
        os.chmod(staging, 0o755)
        os.rename(staging, package_dir)
    finally:
        if os.path.isdir(staging):
            shutil.rmtree(staging, ignore_errors=True)
    return package_dir, True


def check_tools():
    """Return a list of problems with the external tools (empty when all is well)."""
    problems = []
    try:
        pio = tools.pio_command()
    except tools.ToolNotFound as exc:
        problems.append(str(exc))
    else:
        try:
            out = subprocess.run(
                pio + ["--version"], capture_output=True, text=True, timeout=120, check=False,
                env=tools.tool_environment(pio=pio),
            )
            if out.returncode != 0:
                problems.append("`%s --version` failed: %s"
                                % (" ".join(pio), (out.stderr or out.stdout).strip()))
            else:
                print("[bootstrap] %s (%s)" % (out.stdout.strip(), " ".join(pio)))
        except (OSError, subprocess.SubprocessError) as exc:
            problems.append("`%s --version` could not run: %s" % (" ".join(pio), exc))
    for tool in REQUIRED_TOOLS:
        try:
            print("[bootstrap] found %s" % tools.find_tool(tool, "utensor's QEMU dev-platform runs it"))
        except tools.ToolNotFound as exc:
            problems.append(str(exc))
    return problems


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--core-dir", default=None, help="PlatformIO core dir")
    parser.add_argument("--scons-dir", default=None, help="path of an SCons/ package tree")
    parser.add_argument("--check-only", action="store_true", help="install nothing")
    parser.add_argument("--skip-tools", action="store_true", help="do not check pio/gcc/qemu")
    args = parser.parse_args(argv)

    core_dir = os.path.abspath(args.core_dir or default_core_dir())
    problems = []
    package_dir = os.path.join(core_dir, "packages", PACKAGE_NAME)
    if is_installed(package_dir):
        print("[bootstrap] %s %s already installed in %s" % (PACKAGE_NAME, PACKAGE_VERSION, package_dir))
    elif args.check_only:
        problems.append("%s is not installed in %s." % (PACKAGE_NAME, package_dir))
    else:
        scons_dir = find_scons_dir(args.scons_dir)
        if not scons_dir:
            problems.append(
                "Cannot find the SCons Python package to install as %s. Run "
                "`pip install scons==%s` (in this Python or PlatformIO's), or pass "
                "--scons-dir /path/to/site-packages/SCons." % (PACKAGE_NAME, SCONS_VERSION)
            )
        elif scons_version(scons_dir) != SCONS_VERSION:
            problems.append(
                "SCons in %s is version %s, but PlatformIO 6.2.0 needs %s. Run "
                "`pip install scons==%s`." % (scons_dir, scons_version(scons_dir),
                                                SCONS_VERSION, SCONS_VERSION)
            )
        else:
            package_dir, _ = install_tool_scons(core_dir, scons_dir)
            print("[bootstrap] installed %s %s from %s into %s"
                  % (PACKAGE_NAME, PACKAGE_VERSION, scons_dir, package_dir))
    if not args.skip_tools:
        problems.extend(check_tools())
    for problem in problems:
        print("[bootstrap] error: %s" % problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
