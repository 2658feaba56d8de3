"""Keras (.keras, .h5) and SavedModel input (scripts/utensor/keras_reader.py).

A small CNN saved in the three formats is converted by utensor (float32, and int8 with
representative data), compiled for the host and run on seeded inputs; its outputs are
compared with TensorFlow Lite Micro's interpreter running the very .tflite TensorFlow's
converter produced: int8 bit-exact, float32 within 1e-5. Also: the message when TensorFlow
is missing, bad representative data, and a PlatformIO project with a .keras model.
"""

import os
import re
import shutil
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import piohelp
from opcheck import compare, random_input
from utensor import convert, hostbuild, keras_reader
from utensor.errors import UtensorError
from utensor.ir import numpy_dtype
from utensor.reference import Reference

tf = pytest.importorskip("tensorflow")
keras = pytest.importorskip("keras")

ROOT = piohelp.ROOT
INPUT_SHAPE = (8, 8, 2)
SAMPLES = 4


def _build_model():
    keras.utils.set_random_seed(7)
    return keras.Sequential([
        keras.Input(INPUT_SHAPE),
        keras.layers.Conv2D(6, 3, padding="same", activation="relu"),
        keras.layers.DepthwiseConv2D(3, strides=2, padding="same", activation="relu6"),
        keras.layers.AveragePooling2D(2),
        keras.layers.Flatten(),
        keras.layers.Dense(16, activation="relu"),
        keras.layers.Dense(5),
        keras.layers.Softmax(),
    ])


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """The same model as .keras, .h5 and a SavedModel folder, plus calibration data."""
    d = tmp_path_factory.mktemp("keras")
    model = _build_model()
    paths = {"keras": str(d / "small_cnn.keras"), "h5": str(d / "small_cnn.h5"),
             "savedmodel": str(d / "small_cnn_saved")}
    model.save(paths["keras"])
    model.save(paths["h5"])
    model.export(paths["savedmodel"], verbose=False)
    data = str(d / "calibration.npy")
    np.save(data, np.random.RandomState(1).uniform(-1, 1, (64,) + INPUT_SHAPE).astype(np.float32))
    return paths, data


def _convert_and_compare(path, data, tmp_path, monkeypatch):
    """Convert with utensor, run on the host, compare with tflite_micro; returns the graph."""
    produced = []
    real = keras_reader.keras_to_tflite

    def recording(*args, **kwargs):
        produced.append(real(*args, **kwargs))
        return produced[-1]

    monkeypatch.setattr(keras_reader, "keras_to_tflite", recording)
    gen = str(tmp_path / "gen")
    conversion = convert.convert_to_directory([path], gen, representative_data=data)[0]
    assert len(produced) == 1
    graph = conversion.graph
    exe = hostbuild.build_runner(gen, str(tmp_path / "runner"))
    inputs = [graph.tensor(i) for i in graph.inputs]
    outputs = [graph.tensor(i) for i in graph.outputs]
    rng = np.random.RandomState(3)
    samples = [[random_input(t, rng) for t in inputs] for _ in range(SAMPLES)]
    payload = b"".join(np.ascontiguousarray(x, dtype=numpy_dtype(t.dtype)).tobytes()
                       for s in samples for t, x in zip(inputs, s))
    proc = subprocess.run([exe], input=payload, capture_output=True, check=True)
    ref = Reference(produced[0])
    problems, pos = [], 0
    for k, sample in enumerate(samples):
        expected = ref.invoke(sample)
        for j, t in enumerate(outputs):
            ours = np.frombuffer(proc.stdout[pos:pos + t.nbytes], dtype=numpy_dtype(t.dtype))
            pos += t.nbytes
            problems += compare(ours, expected[j], "sample %d output %d" % (k, j))
    assert pos == len(proc.stdout)
    assert not problems, "\n".join(problems)
    return graph


@pytest.mark.parametrize("fmt", ["keras", "h5", "savedmodel"])
@pytest.mark.parametrize("quantized", [False, True], ids=["float32", "int8"])
def test_keras_formats_match_tflite_micro(saved, fmt, quantized, tmp_path, monkeypatch):
    paths, data = saved
    graph = _convert_and_compare(paths[fmt], data if quantized else None, tmp_path, monkeypatch)
    io_dtypes = {graph.tensor(i).dtype for i in graph.inputs + graph.outputs}
    assert io_dtypes == ({"int8"} if quantized else {"float32"})
    kinds = {op.op_type for op in graph.operators}
    assert {"CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "SOFTMAX"} <= kinds
    assert graph.name == "small_cnn" if fmt != "savedmodel" else graph.name == "small_cnn_saved"
    assert graph.source_path == paths[fmt]
    assert len(graph.source_sha256) == 64


def test_npz_with_one_array_per_input(tmp_path):
    a = keras.Input((4,), name="a")
    b = keras.Input((3,), name="b")
    merged = keras.layers.Concatenate()([keras.layers.Dense(4)(a), keras.layers.Dense(4)(b)])
    model = keras.Model([a, b], keras.layers.Dense(2)(merged))
    path = str(tmp_path / "two_inputs.keras")
    model.save(path)
    rng = np.random.RandomState(0)
    data = str(tmp_path / "two.npz")
    np.savez(data, rng.rand(20, 4).astype(np.float32), rng.rand(20, 3).astype(np.float32))
    graph = convert.read_model(path, representative_data=data)
    assert [graph.tensor(i).dtype for i in graph.inputs] == ["int8", "int8"]
    assert sorted(graph.tensor(i).shape for i in graph.inputs) == [(1, 3), (1, 4)]

    wrong = str(tmp_path / "one.npy")
    np.save(wrong, rng.rand(20, 4).astype(np.float32))
    with pytest.raises(UtensorError, match=r"holds 1 array\(s\) but .* has 2 input\(s\)"):
        convert.read_model(path, representative_data=wrong)


def test_bad_representative_data_is_explained(saved, tmp_path):
    paths, _ = saved
    wrong_shape = str(tmp_path / "wrong.npy")
    np.save(wrong_shape, np.zeros((5, 8, 8), np.float32))
    with pytest.raises(UtensorError) as info:
        convert.read_model(paths["keras"], representative_data=wrong_shape)
    # Keras numbers its default layer names per process (input_layer, input_layer_3, ...)
    assert re.search(r"samples for input 0 \(input_layer(_\d+)?\) have shape \(8, 8\), the model expects "
                     r"\(8, 8, 2\)", str(info.value)), str(info.value)
    not_numpy = str(tmp_path / "text.npy")
    with open(not_numpy, "w") as f:
        f.write("hello")
    with pytest.raises(UtensorError, match="not a readable .npy/.npz file"):
        convert.read_model(paths["keras"], representative_data=not_numpy)


def test_folder_without_saved_model_and_broken_keras_file(tmp_path):
    empty = tmp_path / "not_a_model"
    empty.mkdir()
    with pytest.raises(UtensorError, match="has no saved_model.pb"):
        convert.read_model(str(empty))
    broken = tmp_path / "broken.keras"
    broken.write_bytes(b"this is no zip file")
    with pytest.raises(UtensorError, match="Keras cannot load this model"):
        convert.read_model(str(broken))


def test_without_tensorflow_the_message_names_the_option(tmp_path):
    """An interpreter that cannot import TensorFlow: one paragraph, no traceback."""
    fake = tmp_path / "no_tf" / "tensorflow"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('No module named tensorflow')\n")
    model = tmp_path / "m.keras"
    model.write_bytes(b"unused: TensorFlow is needed before the file is read")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path / "no_tf"),
                                                       os.path.join(ROOT, "scripts")]))
    result = piohelp.run([sys.executable, "-m", "utensor", "convert", str(model), "-o",
                          str(tmp_path / "out")], str(tmp_path), env)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    message = result.stderr
    assert "m.keras: Keras (.keras/.h5) and SavedModel models are converted with TensorFlow" in message
    assert "custom_utensor_python" in message
    assert "run utensor with an interpreter that has TensorFlow" in message
    assert not (tmp_path / "out").exists()


@piohelp.needs_tools
def test_platformio_project_with_keras_model(saved, tmp_path):
    """The extra script passes custom_utensor_representative_data and
    custom_utensor_python through: the firmware gets an int8 model from a .keras file."""
    paths, data = saved
    project = tmp_path / "project"
    (project / "models").mkdir(parents=True)
    (project / "src").mkdir()
    shutil.copy(paths["keras"], project / "models" / "small_cnn.keras")
    shutil.copy(data, project / "models" / "calibration.npy")
    (project / "src" / "main.cpp").write_text(textwrap.dedent("""\
        #include <stdio.h>
        #include "small_cnn.hpp"
        #include "utensor/port.hpp"
        int main() {
          utensor_port_init();
          SmallCnn model;
          int8_t* x = static_cast<int8_t*>(model.input().data());
          for (int i = 0; i < 128; ++i) x[i] = static_cast<int8_t>(i - 64);
          if (model.invoke() != utensor::Status::ok) utensor_port_exit(1);
          const int8_t* y = static_cast<const int8_t*>(model.output().data());
          printf("y = %d %d %d %d %d\\n", y[0], y[1], y[2], y[3], y[4]);
          utensor_port_exit(0);
          return 0;
        }
        """))
    (project / "platformio.ini").write_text(textwrap.dedent("""\
        [env:mps2_an386]
        platform = symlink://%s
        board = mps2_an386
        lib_deps = symlink://%s
        custom_utensor_models = models/small_cnn.keras
        custom_utensor_representative_data = models/calibration.npy
        custom_utensor_python = %s
        """) % (piohelp.PLATFORM_DIR, ROOT, sys.executable))
    env = piohelp.bootstrap_core(tmp_path / "core")
    result = piohelp.run(["pio", "run", "-t", "upload"], str(project), env, timeout=900)
    assert result.returncode == 0, piohelp.tail(result)
    assert "[utensor] small_cnn: 6 ops (AVERAGE_POOL_2D, CONV_2D, DEPTHWISE_CONV_2D" in result.stdout
    header = (project / ".pio" / "build" / "mps2_an386" / "utensor_gen" / "src" / "small_cnn.hpp").read_text()
    assert "int8_t[1, 8, 8, 2]" in header

    # The board agrees with tflite_micro on the .tflite TensorFlow makes of the same file.
    tflite = keras_reader.keras_to_tflite(paths["keras"], data)
    x = (np.arange(128) - 64).astype(np.int8).reshape(1, 8, 8, 2)
    y = Reference(tflite).invoke([x])[0].reshape(-1)
    assert "y = %s" % " ".join(str(int(v)) for v in y) in result.stdout
