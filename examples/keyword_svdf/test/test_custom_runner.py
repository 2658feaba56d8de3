"""utensor's `pio test` runner (QEMU boards and real ones). Copy to test/ unchanged.

Finds the utensor library ($UTENSOR_DIR, the project's libdeps, or the QEMU dev-platform
it names) and loads platformio/test_runner.py from it.
"""
import glob
import os

from platformio.compat import load_python_module
from platformio.project.config import ProjectConfig

_project = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_roots = [os.environ.get("UTENSOR_DIR", "")]
_roots += glob.glob(os.path.join(_project, ".pio", "libdeps", "*", "utensor*"))
for _env in ProjectConfig.get_instance(os.path.join(_project, "platformio.ini")).envs():
    _platform = ProjectConfig.get_instance().get("env:" + _env, "platform", "")
    if _platform.startswith(("symlink://", "file://")):
        _roots.append(os.path.join(_platform.split("://", 1)[1], "..", ".."))
for _root in _roots:
    _path = os.path.join(_root, "platformio", "test_runner.py")
    if _root and os.path.isfile(_path):
        CustomTestRunner = load_python_module("utensor_test_runner", _path).CustomTestRunner
        break
else:
    raise ImportError("utensor's test runner not found: set UTENSOR_DIR to the library "
                      "folder, or run `pio pkg install` so .pio/libdeps holds utensor.")
