"""The one version number of utensor.

`library.json` at the library's root (the checkout, or the copy bundled in an installed
package: see paths.py) is the single source. The Python package reads it from there; `runtime/include/utensor/version.hpp` is written from it by
`python -m utensor.version --write-header` and a test fails when they differ.
"""

import json
import os
import re
import sys

from .paths import library_root

_ROOT = library_root()
LIBRARY_JSON = os.path.join(_ROOT, "library.json")
VERSION_HEADER = os.path.join(_ROOT, "runtime", "include", "utensor", "version.hpp")


def _read_version():
    with open(LIBRARY_JSON, encoding="utf-8") as f:
        return json.load(f)["version"]


__version__ = _read_version()
VERSION_TUPLE = tuple(int(x) for x in re.match(r"(\d+)\.(\d+)\.(\d+)", __version__).groups())
# One integer the generated code compares at compile time (major*10000 + minor*100 + patch).
VERSION_NUMBER = VERSION_TUPLE[0] * 10000 + VERSION_TUPLE[1] * 100 + VERSION_TUPLE[2]


def header_text():
    major, minor, patch = VERSION_TUPLE
    return (
        "// Written by `python -m utensor.version --write-header` from library.json. Do not edit.\n"
        "#ifndef UTENSOR_VERSION_HPP\n"
        "#define UTENSOR_VERSION_HPP\n\n"
        f"#define UTENSOR_VERSION_MAJOR {major}\n"
        f"#define UTENSOR_VERSION_MINOR {minor}\n"
        f"#define UTENSOR_VERSION_PATCH {patch}\n"
        "// Generated models refuse to compile unless this equals the converter's number.\n"
        f"#define UTENSOR_VERSION {VERSION_NUMBER}\n"
        f'#define UTENSOR_VERSION_STRING "{__version__}"\n\n'
        "#endif  // UTENSOR_VERSION_HPP\n"
    )


if __name__ == "__main__":
    if sys.argv[1:] == ["--write-header"]:
        with open(VERSION_HEADER, "w", encoding="utf-8") as f:
            f.write(header_text())
    else:
        print(__version__)
