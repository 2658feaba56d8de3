"""Where the utensor library (library.json, runtime/, platformio/) lives.

Two layouts, one answer:
- a checkout (or `pip install -e`): this package is `<library>/scripts/utensor`;
- an installed wheel or sdist: the build copies the library into the package as
  `utensor/_library/` (see setup.py), a complete library folder PlatformIO and CMake can
  use (`utensor library-dir` prints it).
The checkout wins, so an editable install never reads a stale copy.

Stdlib only (imported by version.py, which everything imports).
"""

import os

PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
BUNDLED_DIR_NAME = "_library"


def _is_library(folder):
    return (os.path.isfile(os.path.join(folder, "library.json"))
            and os.path.isdir(os.path.join(folder, "runtime", "include", "utensor")))


def library_root():
    """The folder holding library.json, runtime/ and platformio/ for this package."""
    checkout = os.path.dirname(os.path.dirname(PACKAGE_DIR))
    if os.path.basename(os.path.dirname(PACKAGE_DIR)) == "scripts" and _is_library(checkout):
        return checkout
    bundled = os.path.join(PACKAGE_DIR, BUNDLED_DIR_NAME)
    if _is_library(bundled):
        return bundled
    # Imported here, not at the top: errors.py must stay importable without this module.
    from .errors import UtensorError  # pylint: disable=import-outside-toplevel

    raise UtensorError(
        "utensor's library files (library.json, runtime/, platformio/) are neither beside "
        "this package (%s/../..) nor bundled in it (%s): the installation is incomplete. "
        "Reinstall with `pip install --force-reinstall utensor`, or from a checkout with "
        "`pip install -e .`." % (PACKAGE_DIR, os.path.join(PACKAGE_DIR, BUNDLED_DIR_NAME)))


def library_path(*parts):
    """A path inside the library folder."""
    return os.path.join(library_root(), *parts)


def cache_root():
    """Where utensor keeps what it can rebuild (firmware projects, host runtime builds):
    $UTENSOR_CACHE, else ~/.cache/utensor."""
    return os.environ.get("UTENSOR_CACHE", os.path.join(os.path.expanduser("~"), ".cache", "utensor"))


def pio_build_cache():
    """PlatformIO's `build_cache_dir` for the projects utensor writes (harness, bench and
    batch firmware). Objects are keyed by their command line and the contents of the source
    and every header it includes, so the runtime compiles once per board and flags instead of
    once per model: ~10 CPU-s of a firmware build, ~2 left when the cache answers."""
    return os.path.join(cache_root(), "pio-build-cache")
