#!/usr/bin/env bash
# Runs the whole test suite: set-up check, C++ host tests (plain and ASan/UBSan) and
# Cortex-M cross builds, then every Python test (converter, conformance against
# tflite_micro, PlatformIO builds, emulated boards). Exits non-zero on any failure.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${UTENSOR_VENV:-$REPO/.venv}"

bash "$REPO/scripts/setup.sh" --no-demo
export PATH="$VENV/bin:$PATH"
cd "$REPO"

echo "== C++ runtime: host tests (plain, sanitizers) and Cortex-M builds"
bash "$REPO/test/cpp/run_host_tests.sh"

echo "== Python and on-board tests"
# Two workers (pytest-xdist), one test file each at a time (module fixtures build once);
# test/conftest.py gives each worker its own PlatformIO core and build cache.
exec "$VENV/bin/python" -m pytest -q -p no:cacheprovider -n "${UTENSOR_TEST_JOBS:-2}" --durations=20 \
    --dist loadfile "$@" test
