#!/usr/bin/env bash
# Builds and runs the C++ checks of the runtime, exiting non-zero on the first failure:
#   host   GoogleTest suites + tutorials, -Wall -Wextra -Werror
#   asan   the same under AddressSanitizer + UndefinedBehaviorSanitizer, with log strings
#          stripped (UTENSOR_NO_LOG_STRINGS) so both variants are tested
#   cross  the runtime for Cortex-M0/M3/M4/M7/M33/M55 with arm-none-eabi-gcc, each with the
#          no-heap link check, the size report, and the seed snippets run under QEMU
#          (every core QEMU has a board for here: all but M33)
# Usage: test/cpp/run_host_tests.sh [host] [asan] [cross]   (default: all three)
# Build trees go to $UTENSOR_BUILD_DIR (default: <repo>/build/cpp), reused across runs.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="${UTENSOR_BUILD_DIR:-$repo/build/cpp}"
jobs="${UTENSOR_JOBS:-2}"
stages=("$@")
[ ${#stages[@]} -eq 0 ] && stages=(host asan cross)

step() { printf '\n=== %s\n' "$*"; }

run_config() {  # name, cmake args...
  local name="$1"
  shift
  step "$name: configure"
  cmake -S "$repo" -B "$out/$name" "$@" >"$out/$name.configure.log" 2>&1 ||
    { cat "$out/$name.configure.log"; return 1; }
  step "$name: build"
  cmake --build "$out/$name" -j "$jobs"
  step "$name: test"
  ctest --test-dir "$out/$name" --output-on-failure -j "$jobs"
}

mkdir -p "$out"
for stage in "${stages[@]}"; do
  case "$stage" in
    host) run_config host -DPACKAGE_TESTS=ON ;;
    asan) run_config host-sanitized -DPACKAGE_TESTS=ON -DUTENSOR_SANITIZE=ON -DUTENSOR_NO_LOG_STRINGS=ON ;;
    cross)
      for cpu in cortex-m0 cortex-m3 cortex-m4 cortex-m7 cortex-m33 cortex-m55; do
        run_config "$cpu" -DCMAKE_TOOLCHAIN_FILE="$repo/runtime/cmake/arm-none-eabi.cmake" \
          -DUTENSOR_CPU="$cpu" -DCMAKE_BUILD_TYPE=MinSizeRel
      done
      ;;
    *) echo "unknown stage '$stage' (host, asan, cross)" >&2; exit 2 ;;
  esac
done
step "all C++ checks passed (${stages[*]})"
