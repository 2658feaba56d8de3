#!/usr/bin/env python3
"""Pack utensor as PlatformIO users receive it (`pio pkg pack`), without network.

`pio pkg pack` checks library.json's `license` against the SPDX license list, which it
downloads from GitHub every time; offline the pack fails ("Could not load SPDX licenses
for validation"). This runs PlatformIO's own `pkg pack` with that list taken from a local
file instead: `--spdx-json` (licenses.json of github.com/spdx/license-list-data), else a
short built-in list of common SPDX identifiers. The license is still validated; every
other check and the `export` rules of library.json are PlatformIO's own.

    python scripts/pack.py [LIBRARY_DIR] [-o OUTPUT_DIR] [--spdx-json FILE]

Run it with the Python that has PlatformIO (e.g. ~/.platformio/penv/bin/python). Prints
the tarball's path.
"""

import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
# Common SPDX license identifiers (spdx.org/licenses), enough for the usual manifests.
BUILTIN_SPDX_IDS = (
    "0BSD", "Apache-2.0", "BSD-2-Clause", "BSD-3-Clause", "BSL-1.0", "GPL-2.0-only",
    "GPL-2.0-or-later", "GPL-3.0-only", "GPL-3.0-or-later", "ISC", "LGPL-2.1-only",
    "LGPL-2.1-or-later", "LGPL-3.0-only", "LGPL-3.0-or-later", "MIT", "MPL-2.0", "Unlicense",
    "Zlib",
)


def spdx_list(path=None):
    """The SPDX list in the shape PlatformIO reads: {"licenses": [{"licenseId": ...}]}."""
    if path:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    return {"licenses": [{"licenseId": i} for i in BUILTIN_SPDX_IDS]}


def pack(library_dir, output_dir, spdx_json=None):
    """Run `pio pkg pack` offline; returns its exit code (0 on success)."""
    try:
        from platformio import __main__ as pio_main
        from platformio.package.manifest.schema import ManifestSchema
    except ImportError:
        sys.stderr.write("pack.py: PlatformIO is not importable from %s; run this script with "
                         "the Python PlatformIO is installed in (e.g. "
                         "~/.platformio/penv/bin/python).\n" % sys.executable)
        return 2
    licenses = spdx_list(spdx_json)
    ManifestSchema.load_spdx_licenses = staticmethod(lambda: licenses)
    os.makedirs(output_dir, exist_ok=True)
    return pio_main.main(["pio", "pkg", "pack", library_dir, "--output", output_dir]) or 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("library_dir", nargs="?", default=os.path.dirname(HERE))
    parser.add_argument("-o", "--output", default=os.getcwd(), metavar="DIR")
    parser.add_argument("--spdx-json", metavar="FILE",
                        help="licenses.json from github.com/spdx/license-list-data")
    args = parser.parse_args(argv)
    return pack(os.path.abspath(args.library_dir), os.path.abspath(args.output), args.spdx_json)


if __name__ == "__main__":
    sys.exit(main())
