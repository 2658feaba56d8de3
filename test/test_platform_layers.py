"""`pio test` with `custom_utensor_layers = yes` (issue 7): every layer of every model checked
on the board against TensorFlow Lite Micro, one test case per layer, the first differing
layer named, a non-zero exit on a mismatch.

The QEMU tests run `pio test` on copies of examples/hello_world (with the digits_cnn model
added, so two models share the debug firmware) on mps2_an386; about 40 s on two cores.
The host tests check the runner's command for a real board and the debug firmware's
sources for several models.
"""

import os
import re
import shutil
import sys
import types

import pytest

import piohelp

sys.path.insert(0, os.path.join(piohelp.ROOT, "scripts"))
from utensor.harness import layer_firmware  # noqa: E402

SINE = os.path.join(piohelp.ROOT, "examples", "hello_world", "models", "sine_int8.tflite")
DIGITS = os.path.join(piohelp.ROOT, "examples", "digits_cnn", "models", "digits_cnn.tflite")
ENV = "mps2_an386"

# Fault injection (harness/layer_check.py): digits_cnn's operator #2, a CONV_2D, gets a
# bias far too large, so its output and everything after it differ; layers 0 and 1 and
# the sine model stay right.
BREAK_DIGITS = """
import numpy as np

def transform(graph):
    if graph.name != "digits_cnn":
        return
    op = next(o for o in graph.operators if o.index == 2)
    bias = graph.tensor(op.inputs[2])
    bias.data = (bias.data.astype(np.int64) + 100000).astype(bias.data.dtype)
"""

CASE = re.compile(r"^(?P<model>\w+): (?:sample (?P<sample>\d+), )?layer (?P<layer>\d+) \(operator #(?P<op>\d+) (?P<type>\w+), "
                  r"output '(?P<tensor>[^']*)', (?P<shape>[0-9x]+)\): (?P<result>.*)\t\[(?P<status>\w+)\]$")


@pytest.fixture(scope="module")
def pio_env(tmp_path_factory):
    return piohelp.bootstrap_core(tmp_path_factory.mktemp("pio_core"))


def _project(tmp_path, layers="yes", suites=("test_sine",)):
    """hello_world with both models and the option in its mps2_an386 env."""
    project = piohelp.copy_example("hello_world", str(tmp_path / "hello_world"))
    shutil.copy(DIGITS, os.path.join(project, "models"))
    ini = os.path.join(project, "platformio.ini")
    with open(ini) as f:
        text = f.read()
    text = text.replace("custom_utensor_models = models/sine_int8.tflite",
                        "custom_utensor_models = models/sine_int8.tflite models/digits_cnn.tflite")
    text = text.replace("[env:%s]\n" % ENV, "[env:%s]\ncustom_utensor_layers = %s\n" % (ENV, layers))
    with open(ini, "w") as f:
        f.write(text)
    test_dir = os.path.join(project, "test")
    for name in suites:
        if name != "test_sine":
            shutil.copytree(os.path.join(test_dir, "test_sine"), os.path.join(test_dir, name))
    if "test_sine" not in suites:
        shutil.rmtree(os.path.join(test_dir, "test_sine"))
    return project


def _pio_test(project, env):
    return piohelp.run(["pio", "test", "-e", ENV], project, env, timeout=600)


def _cases(stdout):
    return [m.groupdict() for m in map(CASE.match, stdout.splitlines()) if m]


@piohelp.needs_tools
def test_every_layer_of_every_model_passes(tmp_path, pio_env):
    """Two test suites: the check runs once, after the first, and adds 3 + 6 cases."""
    project = _project(tmp_path, suites=("test_sine", "test_sine_again"))
    result = _pio_test(project, pio_env)
    out = result.stdout
    assert result.returncode == 0, piohelp.tail(result)
    assert out.count("Per-layer check (custom_utensor_layers)...") == 1
    cases = _cases(out)
    assert [(c["model"], c["layer"], c["op"], c["type"], c["shape"], c["status"]) for c in cases] == [
        ("sine_int8", "0", "0", "FULLY_CONNECTED", "1x16", "PASSED"),
        ("sine_int8", "1", "1", "FULLY_CONNECTED", "1x16", "PASSED"),
        ("sine_int8", "2", "2", "FULLY_CONNECTED", "1x1", "PASSED"),
        ("digits_cnn", "0", "0", "CONV_2D", "1x8x8x8", "PASSED"),
        ("digits_cnn", "1", "1", "MAX_POOL_2D", "1x4x4x8", "PASSED"),
        ("digits_cnn", "2", "2", "CONV_2D", "1x4x4x16", "PASSED"),
        ("digits_cnn", "3", "3", "MAX_POOL_2D", "1x2x2x16", "PASSED"),
        ("digits_cnn", "4", "8", "FULLY_CONNECTED", "1x10", "PASSED"),  # RESHAPE & co. are aliases
        ("digits_cnn", "5", "9", "SOFTMAX", "1x10", "PASSED"),
    ]
    assert all(c["result"] == "match (bit-exact)" for c in cases)
    assert cases[3]["tensor"] == "sequential_1/conv2d_1/Relu;..."  # the model's name, in full
    for model, n in (("sine_int8", 3), ("digits_cnn", 6)):
        assert ("PASS: %s on %s: all %d layers match TensorFlow Lite Micro (bit-exact; 1 random "
                "input, seed 0)" % (model, ENV, n)) in out
    # The suites' own tests ran too: 2 x 3 of them, plus the 9 layers.
    assert out.count("test_every_input_matches_tflite_micro\t[PASSED]") == 2
    assert "15 test cases: 15 succeeded" in out


@piohelp.needs_tools
def test_a_broken_layer_fails_and_is_named(tmp_path, pio_env):
    project = _project(tmp_path)
    transform = tmp_path / "break_digits.py"
    transform.write_text(BREAK_DIGITS)
    env = dict(pio_env, UTENSOR_LAYER_CHECK_TRANSFORM="%s:transform" % transform)
    result = _pio_test(project, env)
    out = result.stdout
    assert result.returncode == 1, piohelp.tail(result)
    digits = [c for c in _cases(out) if c["model"] == "digits_cnn"]
    assert [(c["layer"], c["status"]) for c in digits] == [
        ("0", "PASSED"), ("1", "PASSED"), ("2", "FAILED"), ("3", "SKIPPED"), ("4", "SKIPPED"), ("5", "SKIPPED")]
    failed = digits[2]
    assert failed["type"] == "CONV_2D" and failed["tensor"] == "sequential_1/conv2d_1_2/Relu;..."
    m = re.match(r"DIFFERS: (\d+) of 256 elements, max abs error (\d+); ERROR at pos \d+: Act: -?\d+ Ref: -?\d+$", failed["result"])
    assert m and int(m.group(1)) > 0 and int(m.group(2)) > 0, failed["result"]
    assert digits[3]["result"].startswith("not judged, computed from a differing layer (")
    assert all(c["status"] == "PASSED" for c in _cases(out) if c["model"] == "sine_int8")
    verdict = ("FAIL: digits_cnn on mps2_an386: first differing layer is layer 2, operator #2 CONV_2D, "
               "output tensor 'sequential_1/conv2d_1_2/Relu;...' (1x4x4x16, sample 0); the 2 layers "
               "before it match. " + failed["result"])
    assert verdict in out
    # PlatformIO's summary lists the failed case with that verdict, and counts the cases.
    assert out.count(verdict) + result.stderr.count(verdict) == 2
    assert "12 test cases: 1 failed, 3 skipped, 8 succeeded" in result.stderr  # errors go there
    # The suite's own tests (the default firmware, not broken) still pass.
    assert "test_every_input_matches_tflite_micro\t[PASSED]" in out


@piohelp.needs_tools
def test_a_project_without_tests_runs_only_the_layer_check(tmp_path, pio_env):
    """Only test/test_custom_runner.py: no firmware test is built, the check still runs;
    here on two random inputs per model (custom_utensor_layers = 2)."""
    project = _project(tmp_path, layers="2", suites=())
    result = _pio_test(project, pio_env)
    assert result.returncode == 0, piohelp.tail(result)
    cases = _cases(result.stdout)
    assert [(c["model"], c["sample"], c["layer"]) for c in cases] == [
        (model, str(sample), str(layer)) for model, n in (("sine_int8", 3), ("digits_cnn", 6))
        for sample in range(2) for layer in range(n)]
    assert all(c["status"] == "PASSED" for c in cases)
    assert "PASS: digits_cnn on mps2_an386: all 6 layers match TensorFlow Lite Micro (bit-exact; 2 random inputs" in result.stdout
    assert "Building & starting QEMU" not in result.stdout
    assert "18 test cases: 18 succeeded" in result.stdout


@piohelp.needs_tools
def test_the_option_off_adds_nothing(tmp_path, pio_env):
    result = _pio_test(_project(tmp_path, layers="no"), pio_env)
    assert result.returncode == 0, piohelp.tail(result)
    assert "Per-layer check" not in result.stdout and not _cases(result.stdout)
    assert "3 test cases: 3 succeeded" in result.stdout


# ---- host only ----------------------------------------------------------------------

def _runner(tmp_path, options, qemu=False, cli_test_port=None):
    """The runner with a stand-in project config: only its command-building part."""
    from platformio.compat import load_python_module
    from platformio.test.result import TestSuite

    module = load_python_module("utensor_test_runner_under_test",
                                os.path.join(piohelp.ROOT, "platformio", "test_runner.py"))
    runner = module.CustomTestRunner.__new__(module.CustomTestRunner)
    section = dict(options)

    class Config:
        path = str(tmp_path / "platformio.ini")

        @staticmethod
        def get(sect, name, default=None):
            if sect == "platformio":
                return {"workspace_dir": str(tmp_path / ".pio")}[name]
            return section.get(name, default)

        @staticmethod
        def options(env=None):
            return list(section)

    runner.project_config = Config()
    runner.test_suite = TestSuite("nucleo", "test_x", test_dir=str(tmp_path / "test"))
    runner.options = types.SimpleNamespace(test_port=cli_test_port, upload_port=None, verbose=0)
    runner.platform = types.SimpleNamespace(name="utensor-qemu" if qemu else "ststm32")
    return module, runner


def test_real_board_command(tmp_path):
    module, runner = _runner(tmp_path, {
        "board": "nucleo_f446re", "platform": "symlink://../platforms/ststm32", "framework": ["arduino"],
        "custom_utensor_models": "models/a.tflite\nmodels/b.tflite", "custom_utensor_layers": "3",
        "build_flags": ["-Wall -DUTENSOR_ARENA_GUARD", "-DX=1"], "test_port": "/dev/ttyACM0",
        "upload_port": "/dev/ttyACM1", "board_build.f_cpu": "84000000L", "lib_deps": ["utensor"]})
    cmd = runner._layer_check_command()
    assert cmd[1:3] == ["-m", "utensor.harness.layer_check"]
    args = " ".join(cmd[3:])
    assert "--board nucleo_f446re" in args and "--samples 3" in args
    assert "--model %s --model %s" % (tmp_path / "models" / "a.tflite", tmp_path / "models" / "b.tflite") in args
    assert "--build-dir %s" % (tmp_path / ".pio" / "utensor_layers" / "nucleo") in args
    assert "--build-flags=-Wall -DX=1" in args  # no guard macro: the debug plan has no canaries
    assert "--option board_build.f_cpu=84000000L" in args and "lib_deps" not in args
    assert "--port /dev/ttyACM0 --platform symlink://%s" % os.path.normpath(tmp_path / ".." / "platforms" / "ststm32") in args
    assert "--framework arduino --upload-port /dev/ttyACM1" in args


def test_real_board_needs_a_test_port(tmp_path):
    module, runner = _runner(tmp_path, {"board": "nucleo_f446re", "platform": "ststm32",
                                        "custom_utensor_models": "m.tflite", "custom_utensor_layers": "yes"})
    with pytest.raises(module.UnitTestSuiteError, match="set test_port"):
        runner._layer_check_command()
    runner.options.test_port = "COM3"
    assert "--port COM3 --platform ststm32" in " ".join(runner._layer_check_command())


def test_emulated_board_command_leaves_the_platform_to_the_harness(tmp_path):
    _, runner = _runner(tmp_path, {"board": ENV, "platform": "symlink://../platform",
                                   "custom_utensor_models": "m.tflite", "custom_utensor_layers": "on",
                                   "test_port": "socket://127.0.0.1:4444"}, qemu=True)
    cmd = runner._layer_check_command()
    assert "--port" not in cmd and "--platform" not in cmd and cmd[cmd.index("--samples") + 1] == "1"


@pytest.mark.parametrize("value, samples", [("", 0), ("no", 0), ("off", 0), ("yes", 1), ("True", 1), ("4", 4)])
def test_option_values(tmp_path, value, samples):
    _, runner = _runner(tmp_path, {"custom_utensor_layers": value})
    assert runner._layer_samples() == samples


def test_option_rejects_other_values(tmp_path):
    module, runner = _runner(tmp_path, {"custom_utensor_layers": "all"})
    with pytest.raises(module.UnitTestSuiteError, match="custom_utensor_layers = all: use yes, no"):
        runner._layer_samples()


def test_custom_operators_are_refused_with_the_reason(tmp_path):
    module, runner = _runner(tmp_path, {"board": ENV, "custom_utensor_models": "m.tflite",
                                        "custom_utensor_user_ops": "Atan", "custom_utensor_layers": "yes"},
                             qemu=True)
    with pytest.raises(module.UnitTestSuiteError, match="custom operators"):
        runner._layer_check_command()


def test_debug_sources_of_several_models(tmp_path):
    src = tmp_path / "src"
    conversions = layer_firmware.write_layer_sources(str(src), [SINE, DIGITS])
    assert [c.graph.name for c in conversions] == ["sine_int8", "digits_cnn"]
    registry = (src / layer_firmware.LAYER_REGISTRY_FILE).read_text()
    assert "&utensor_layers_sine_int8,\n" in registry and "&utensor_layers_digits_cnn,\n" in registry
    assert "utensor_layer_registry_size = 2;" in registry
    # Dropping a model deletes its generated sources; other files stay.
    (src / "main.cpp").write_text("int main() { return 0; }\n")
    layer_firmware.write_layer_sources(str(src), [SINE])
    assert sorted(os.listdir(src)) == ["main.cpp", "sine_int8.cpp", "sine_int8.hpp",
                                       "utensor_layers.cpp", "utensor_models.cpp"]


def test_keras_models_are_checked_as_the_tflite_they_convert_to(tmp_path):
    """Board and reference must run one model: a .keras file becomes <name>.tflite (the
    name the converter gives it, so the generated class is the same), .tflite stays."""
    pytest.importorskip("tensorflow")
    keras = pytest.importorskip("keras")
    from utensor.harness.layer_check import tflite_models
    from utensor.tflite import read_tflite

    keras.utils.set_random_seed(3)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="relu")])
    path = str(tmp_path / "tiny-net.keras")
    model.save(path)
    out = tmp_path / "models"
    converted, same = tflite_models([path, SINE], None, str(out))
    assert converted == str(out / "tiny_net.tflite") and same == SINE
    graph = read_tflite(converted)
    assert graph.name == "tiny_net" and [op.op_type for op in graph.operators] == ["FULLY_CONNECTED"]
