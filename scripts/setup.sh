#!/usr/bin/env bash
# Sets up everything utensor needs on a Debian machine, idempotently:
#   - the Arm GNU toolchain, QEMU, GoogleTest and CMake from Debian (when missing; needs root),
#   - a virtual environment .venv with utensor (editable), TensorFlow, tflite-micro,
#     PlatformIO 6.2.0 and SCons 4.11.1 from PyPI,
#   - PlatformIO made to work without its registry (platformio/bootstrap.py).
# Nothing needs to be on PATH or activated: every command finds PlatformIO beside the
# venv's Python and the toolchain where Debian put it (scripts/utensor/tools.py).
# Then, unless --no-demo is given, runs the main job: convert the hello_world model, build
# the firmware, run it on the emulated mps2_an386 (Cortex-M4F) and print its output next
# to the TensorFlow Lite Micro reference.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="${UTENSOR_VENV:-$REPO/.venv}"
PYTHON="${PYTHON:-python3}"
DEMO=1
[ "${1:-}" = "--no-demo" ] && DEMO=0

say() { printf '[setup] %s\n' "$*"; }

# --- Debian packages --------------------------------------------------------------------
APT_PACKAGES="gcc-arm-none-eabi libnewlib-arm-none-eabi libstdc++-arm-none-eabi-newlib qemu-system-arm googletest cmake g++"
missing=""
for p in $APT_PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  if [ "$(id -u)" = 0 ]; then
    say "installing Debian packages:$missing"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
  else
    echo "[setup] missing Debian packages:$missing" >&2
    echo "[setup] install them with: sudo apt-get install$missing" >&2
    exit 1
  fi
else
  say "Debian packages present"
fi

# --- Python environment -------------------------------------------------------------------
if [ ! -x "$VENV/bin/python" ]; then
  say "creating $VENV"
  "$PYTHON" -m venv "$VENV"
fi
STAMP="$VENV/.utensor-deps"
WANT="$(cat "$REPO/pyproject.toml" "$REPO/scripts/setup.sh" | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$STAMP" 2>/dev/null)" != "$WANT" ]; then
  say "installing Python packages into $VENV (log: $VENV/pip.log)"
  if ! { "$VENV/bin/python" -m pip install --upgrade pip &&
         "$VENV/bin/python" -m pip install -e "$REPO[reference,tensorflow,dev]" flatbuffers &&
         # Keras 2 (tf-keras) for the tests: Keras 3 turns an LSTM into a WHILE loop, Keras 2
         # gives the fused UNIDIRECTIONAL_SEQUENCE_LSTM. Its release matches TensorFlow's; it
         # is installed without dependencies because it requires "tensorflow", which would
         # put the full package beside tensorflow-cpu (the same module, twice).
         TF_MINOR="$("$VENV/bin/python" -c 'import tensorflow as tf; print(".".join(tf.__version__.split(".")[:2]))')" &&
         "$VENV/bin/python" -m pip install --no-deps "tf-keras==$TF_MINOR.*"
       } > "$VENV/pip.log" 2>&1; then
    grep -v "^WARNING: Location" "$VENV/pip.log" | tail -n 20 >&2
    echo "[setup] pip failed (full log: $VENV/pip.log)" >&2
    exit 1
  fi
  echo "$WANT" > "$STAMP"
else
  say "Python packages present"
fi

# --- PlatformIO without its registry --------------------------------------------------------
"$VENV/bin/python" "$REPO/platformio/bootstrap.py"

if [ "$DEMO" = 1 ]; then
  say "main job: hello_world on the emulated mps2_an386"
  exec "$VENV/bin/utensor" run "$REPO/examples/hello_world/models/sine_int8.tflite" \
      --board mps2_an386 --input "$REPO/examples/hello_world/models/sample_input.npy"
fi
