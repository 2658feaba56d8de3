"""utensor added to another CMake project with add_subdirectory changes nothing of that
project (issue 16, item 13): a tiny parent project is configured once without utensor and
once with it, for the host compiler, and its cache must keep every entry it had, with the
same value (the build type it chose, or none), gaining only utensor's own (UTENSOR_*,
utensor_*). Its targets that link utensor_runtime get no -fno-exceptions, -fno-rtti,
-Werror or language standard from it (compile_commands.json), and its program, with RTTI
and exceptions, derives from a runtime class, links and runs. utensor as the top-level
project keeps its strict settings (-Werror, -fno-rtti, C++11).
"""

import json
import os
import re
import shutil

import pytest

import piohelp

ROOT = piohelp.ROOT

needs_cmake = pytest.mark.skipif(
    any(shutil.which(t) is None for t in ("cmake", "c++")), reason="needs cmake and a host C++ compiler")

PARENT_CMAKE = """\
cmake_minimum_required(VERSION 3.19)
project(parent C CXX)
set(CMAKE_CXX_STANDARD 17)
option(WITH_UTENSOR "add utensor" ON)
add_executable(app main.cpp)
if(WITH_UTENSOR)
  add_subdirectory("{root}" utensor EXCLUDE_FROM_ALL)
  target_link_libraries(app PRIVATE utensor_runtime)
  target_compile_definitions(app PRIVATE WITH_UTENSOR=1)
endif()
"""

# An application class derived from a runtime class whose typeinfo the runtime defines
# (TensorInterface's key function is in tensor.cpp), used through RTTI, and an exception.
PARENT_MAIN = """\
#include <stdexcept>
#include <typeinfo>
#if WITH_UTENSOR
#include "utensor/utensor.hpp"

class AppTensor : public utensor::TensorInterface {
 public:
  AppTensor() : TensorInterface(utensor::TensorShape({4}), utensor::DType::i8) {}
  const void* read_ptr() const override { return data_; }
  void* write_ptr() override { return data_; }

 private:
  signed char data_[4] = {1, 2, 3, 4};
};
#endif

int main() {
  int failures = 0;
#if WITH_UTENSOR
  AppTensor tensor;
  utensor::TensorInterface* base = &tensor;
  if (dynamic_cast<AppTensor*>(base) == nullptr || typeid(*base) != typeid(AppTensor)) ++failures;
  signed char second = 0;
  if (base->read_bytes(1, &second, 1) != utensor::Status::ok || second != 2) ++failures;
#endif
  try {
    throw std::runtime_error("the application's own exceptions still work");
  } catch (const std::exception&) {
  }
  return failures;
}
"""


def _cache(build):
    """CMakeCache.txt as {name: (type, value)}, the build folder's path made neutral."""
    entries = {}
    with open(os.path.join(build, "CMakeCache.txt"), encoding="utf-8") as f:
        for line in f:
            m = re.match(r"^([^#/][^:=]*):([A-Z]+)=(.*)$", line.rstrip("\n"))
            if m:
                entries[m.group(1)] = (m.group(2), m.group(3).replace(str(build), "<build>"))
    return entries


def _configure(source, build, *args):
    result = piohelp.run(["cmake", "-S", str(source), "-B", str(build),
                          "-DCMAKE_EXPORT_COMPILE_COMMANDS=ON", *args], str(source))
    assert result.returncode == 0, piohelp.tail(result)
    return result


def _commands(build):
    with open(os.path.join(build, "compile_commands.json"), encoding="utf-8") as f:
        return {os.path.basename(c["file"]): c["command"] for c in json.load(f)}


@pytest.fixture(scope="module")
def parent(tmp_path_factory):
    source = tmp_path_factory.mktemp("parent")
    (source / "CMakeLists.txt").write_text(PARENT_CMAKE.format(root=ROOT.replace("\\", "/")))
    (source / "main.cpp").write_text(PARENT_MAIN)
    return source


@needs_cmake
@pytest.mark.parametrize("build_type", ["Debug", ""])
def test_parent_cache_unchanged(parent, tmp_path, build_type):
    """Every cache entry of the parent without utensor is there with utensor, unchanged
    (CMAKE_BUILD_TYPE: the parent's Debug, or still empty: nothing FORCEd); the new ones
    are utensor's own."""
    args = ["-DCMAKE_BUILD_TYPE=" + build_type]
    _configure(parent, tmp_path / "alone", "-DWITH_UTENSOR=OFF", *args)
    _configure(parent, tmp_path / "with", "-DWITH_UTENSOR=ON", *args)
    alone = _cache(tmp_path / "alone")
    with_utensor = _cache(tmp_path / "with")
    for bookkeeping in ("WITH_UTENSOR", "CMAKE_NUMBER_OF_MAKEFILES"):  # CMake counts dirs
        alone.pop(bookkeeping)
        with_utensor.pop(bookkeeping)
    assert with_utensor["CMAKE_BUILD_TYPE"][1] == build_type
    changed = {k: (v, with_utensor.get(k)) for k, v in alone.items() if with_utensor.get(k) != v}
    assert not changed, changed
    added = sorted(k for k in with_utensor if k not in alone)
    assert added and all(re.match(r"(?i)utensor_", k) for k in added), added


@needs_cmake
def test_parent_targets_keep_their_flags_and_link(parent, tmp_path):
    build = tmp_path / "build"
    _configure(parent, build, "-DCMAKE_BUILD_TYPE=Debug")
    commands = _commands(build)
    app = commands["main.cpp"]
    for flag in ("-fno-exceptions", "-fno-rtti", "-Werror", "-std=c++11", "-std=gnu++11"):
        assert flag not in app.split(), (flag, app)
    assert re.search(r"-std=(gnu|c)\+\+17", app), app  # the parent's standard
    # utensor's own sources: warnings shown, not errors; no RTTI flag unless asked for.
    runtime = commands["tensor.cpp"]
    assert "-Wall" in runtime.split() and "-Werror" not in runtime.split(), runtime
    assert "-fno-rtti" not in runtime.split(), runtime
    result = piohelp.run(["cmake", "--build", str(build), "-j2", "--target", "app"], str(build))
    assert result.returncode == 0, piohelp.tail(result)
    run = piohelp.run([str(build / "app")], str(build))
    assert run.returncode == 0, piohelp.tail(run)


@needs_cmake
def test_top_level_keeps_strict_flags(tmp_path):
    """Our own builds: -Werror (UTENSOR_WERROR), -fno-exceptions -fno-rtti, C++11, and
    utensor's default build type."""
    build = tmp_path / "build"
    _configure(ROOT, build)
    cache = _cache(build)
    assert cache["UTENSOR_WERROR"][1] == "ON" and cache["UTENSOR_NO_RTTI"][1] == "ON"
    assert cache["CMAKE_BUILD_TYPE"][1] == "RelWithDebInfo"
    runtime = _commands(build)["tensor.cpp"].split()
    for flag in ("-Werror", "-fno-exceptions", "-fno-rtti", "-std=c++11"):
        assert flag in runtime, (flag, runtime)
