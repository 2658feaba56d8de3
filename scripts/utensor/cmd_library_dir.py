"""`utensor library-dir`: where the library PlatformIO and CMake use is, for this utensor.

In a checkout that is the checkout; in an installed package, the copy bundled with it
(paths.py). Paste the output into platformio.ini (`lib_deps = symlink://<dir>`, and
`platform = symlink://<dir>/platformio/platform` for the emulated boards) or CMake
(`add_subdirectory(<dir> utensor)`).
"""

import os

from .paths import library_root


def add_arguments(p):
    p.add_argument("--platform", action="store_true",
                   help="print the emulated-board dev-platform folder instead")
    p.add_argument("--ini", action="store_true",
                   help="print the platformio.ini lines that use this library and its emulated boards")


def main(args) -> int:
    root = library_root()
    platform = os.path.join(root, "platformio", "platform")
    if args.ini:
        print(f"platform = symlink://{platform}\nlib_deps = symlink://{root}")
    else:
        print(platform if args.platform else root)
    return 0
