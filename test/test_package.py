"""The library as users receive it: `pio pkg pack` (offline, through scripts/pack.py),
the tarball's contents against library.json's `export` rules, then a copy of
examples/hello_world that takes utensor from the tarball (`lib_deps = file://...`, as a
registry download lands in .pio/libdeps) is built, run in QEMU and `pio test`-ed.
About 40 s on two cores.
"""

import os
import shutil
import subprocess
import sys
import tarfile

import pytest

import piohelp

ROOT = piohelp.ROOT


@pytest.fixture(scope="module")
def tarball(tmp_path_factory):
    pytest.importorskip("platformio")
    out = tmp_path_factory.mktemp("pack")
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    result = piohelp.run([sys.executable, os.path.join(ROOT, "scripts", "pack.py"), ROOT,
                          "-o", str(out)], str(out), env)
    assert result.returncode == 0, piohelp.tail(result)
    (path,) = [out / f for f in os.listdir(out) if f.endswith(".tar.gz")]
    assert path.name == "utensor-0.1.0.tar.gz"
    return path


def test_pack_needs_the_spdx_list_offline(tmp_path):
    """What scripts/pack.py works around: plain `pio pkg pack` wants the SPDX list."""
    pytest.importorskip("platformio")
    code = ("from platformio.package.manifest.schema import ManifestSchema\n"
            "from platformio.package.pack import PackagePacker\n"
            "def offline():\n"
            "    raise __import__('requests').exceptions.ConnectionError('offline')\n"
            "ManifestSchema.load_spdx_licenses = staticmethod(offline)\n"
            "try:\n"
            "    PackagePacker(%r).pack(%r)\n"
            "except Exception as e:\n"
            "    print(type(e).__name__, e)\n") % (ROOT, str(tmp_path))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "Could not load SPDX licenses for validation" in result.stdout
    assert not os.listdir(tmp_path)


def test_tarball_holds_what_users_need_and_nothing_else(tarball):
    with tarfile.open(tarball) as tar:
        names = set(tar.getnames())
    for needed in ("library.json", "README.md", "CMakeLists.txt", "mbed_lib.json5",
                   ".mbedignore", "pyproject.toml",
                   "runtime/include/utensor/utensor.hpp", "runtime/include/utensor/custom_op.hpp",
                   "runtime/cmake/utensor_add_model.cmake", "runtime/cmake/arm-none-eabi.cmake",
                   "scripts/utensor/convert.py", "scripts/utensor/keras_reader.py",
                   "scripts/utensor/templates/model.cpp.j2",
                   "scripts/utensor/templates/ops/user_op.j2",
                   "platformio/extra_script.py", "platformio/test_runner.py",
                   "platformio/platform/platform.json", "platformio/platform/boards/mps2_an386.json",
                   "platformio/platform/bsp/startup.c"):
        assert needed in names, needed
    assert any(n.startswith("runtime/src/kernels/") for n in names)
    for name in names:
        parts = name.split("/")
        assert parts[0] not in ("test", "examples", "build", ".venv", ".git"), name
        assert "__pycache__" not in parts and ".pio" not in parts, name
        assert not name.endswith(".pyc"), name
    assert "scripts/test.sh" not in names


@piohelp.needs_tools
def test_example_builds_and_passes_from_the_tarball(tarball, tmp_path):
    unpacked = tmp_path / "utensor_unpacked"
    unpacked.mkdir()
    with tarfile.open(tarball) as tar:
        tar.extractall(unpacked)
    project = tmp_path / "app"
    piohelp.copy_example("hello_world", str(project))
    ini = project / "platformio.ini"
    text = ini.read_text()
    # The user's download: the library from the tarball, the boards from inside it.
    text = text.replace("lib_deps = symlink://" + ROOT, "lib_deps = file://%s" % tarball)
    text = text.replace("symlink://" + piohelp.PLATFORM_DIR,
                        "symlink://%s" % (unpacked / "platformio" / "platform"))
    ini.write_text(text)
    assert "file://" in text and ROOT not in text

    env = piohelp.bootstrap_core(tmp_path / "core")
    env.pop("UTENSOR_DIR", None)
    run = piohelp.run(["pio", "run", "-e", "mps2_an386", "-t", "upload"], str(project), env,
                      timeout=900)
    assert run.returncode == 0, piohelp.tail(run)
    assert "[utensor] sine_int8: 3 ops" in run.stdout
    installed = project / ".pio" / "libdeps" / "mps2_an386" / "utensor"
    assert (installed / "scripts" / "utensor" / "convert.py").is_file()
    assert not (installed / "test").exists()
    assert len([ln for ln in run.stdout.splitlines() if ln.startswith("x = ")]) == 9

    test = piohelp.run(["pio", "test", "-e", "mps2_an386"], str(project), env, timeout=900)
    assert test.returncode == 0, piohelp.tail(test)
    assert "3 test cases: 3 succeeded" in test.stdout


@pytest.mark.skipif(any(shutil.which(t) is None for t in ("cmake", "arm-none-eabi-g++")),
                    reason="needs cmake and arm-none-eabi-g++")
def test_cmake_project_builds_from_the_tarball(tarball, tmp_path):
    unpacked = tmp_path / "utensor_unpacked"
    unpacked.mkdir()
    with tarfile.open(tarball) as tar:
        tar.extractall(unpacked)
    source = tmp_path / "cmake_mps2"
    shutil.copytree(os.path.join(ROOT, "examples", "cmake_mps2"), source)
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    configure = piohelp.run(
        ["cmake", "-S", str(source), "-B", str(tmp_path / "build"),
         "-DCMAKE_TOOLCHAIN_FILE=%s" % (unpacked / "runtime" / "cmake" / "arm-none-eabi.cmake"),
         "-DUTENSOR_DIR=%s" % unpacked, "-DUTENSOR_PYTHON=%s" % sys.executable],
        str(source), env)
    assert configure.returncode == 0, piohelp.tail(configure)
    build = piohelp.run(["cmake", "--build", str(tmp_path / "build"), "-j2"], str(source), env)
    assert build.returncode == 0, piohelp.tail(build)
    assert (tmp_path / "build" / "sine_app.elf").is_file()
