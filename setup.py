"""Build hook: an installed utensor (wheel, sdist) carries the whole library.

pyproject.toml holds the package metadata; library.json, the one version number (also
read by utensor/version.py and the runtime header). This file makes `build_py` copy the
library folder PlatformIO and CMake use (library.json, runtime/, platformio/, and the
converter's own sources under scripts/) into the package as `utensor/_library`, chosen by
library.json's `export` rules, the same ones `pio pkg pack` applies. So `pip install
utensor` gives a working `utensor run/verify/bench` and a library for `lib_deps`
(`utensor library-dir` prints its path), and the runtime always matches the converter.
An editable install (`pip install -e .`) copies nothing: it uses the checkout.
"""

import fnmatch
import json
import os
import shutil

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = os.path.dirname(os.path.abspath(__file__))
BUNDLE = os.path.join("utensor", "_library")


def _excluded(relpath, patterns):
    parts = relpath.replace(os.sep, "/").split("/")
    for pattern in patterns:
        bare = pattern[3:] if pattern.startswith("**/") else None
        if fnmatch.fnmatch("/".join(parts), pattern):
            return True
        if bare is not None and any(fnmatch.fnmatch(p, bare) for p in parts):
            return True
        if any(fnmatch.fnmatch("/".join(parts[:i]), pattern) for i in range(1, len(parts))):
            return True
    return False


def library_files(root):
    """Relative paths of the files library.json's export rules put in the library."""
    with open(os.path.join(root, "library.json"), encoding="utf-8") as f:
        export = json.load(f)["export"]
    exclude = list(export.get("exclude", [])) + ["scripts/utensor/_library"]
    files = []
    for entry in export["include"]:
        path = os.path.join(root, entry)
        if os.path.isfile(path):
            candidates = [entry]
        elif os.path.isdir(path):
            candidates = []
            for folder, dirs, names in os.walk(path):
                dirs.sort()
                for name in sorted(names):
                    candidates.append(os.path.relpath(os.path.join(folder, name), root))
        else:
            continue  # an optional entry (e.g. LICENSE) this tree does not have
        files.extend(c for c in candidates if not _excluded(c, exclude))
    return files


class BuildPyWithLibrary(build_py):
    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = os.path.join(self.build_lib, BUNDLE)
        if os.path.isdir(target):
            shutil.rmtree(target)
        for rel in library_files(HERE):
            dest = os.path.join(target, rel)
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            shutil.copy2(os.path.join(HERE, rel), dest)


def library_version():
    with open(os.path.join(HERE, "library.json"), encoding="utf-8") as f:
        return json.load(f)["version"]


setup(version=library_version(), cmdclass={"build_py": BuildPyWithLibrary})
