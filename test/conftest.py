"""pytest setup shared by every test: import the package from scripts/ without installing."""

import os
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
for path in (os.path.join(REPO, "scripts"), os.path.join(REPO, "test")):
    if path not in sys.path:
        sys.path.insert(0, path)

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

MODELS_DIR = os.path.join(os.path.dirname(REPO), "shared", "models", "mlperf_tiny")


def pytest_configure(config):  # pylint: disable=unused-argument
    """Under pytest-xdist, each worker gets its own PlatformIO core and utensor cache, so
    parallel builds never share a build folder or register the dev-platform at once.
    The core is made usable offline once per worker (platformio/bootstrap.py)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return
    base = os.environ.get("UTENSOR_TEST_STATE") or os.path.join(
        os.path.expanduser("~"), ".cache", "utensor-tests")
    core = os.path.join(base, worker, "platformio")
    os.environ["PLATFORMIO_CORE_DIR"] = core
    os.environ["UTENSOR_CACHE"] = os.path.join(base, worker, "cache")
    import subprocess  # pylint: disable=import-outside-toplevel

    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    subprocess.run([sys.executable, os.path.join(REPO, "platformio", "bootstrap.py"),
                    "--skip-tools"], env=env, stdout=subprocess.DEVNULL, check=True)
