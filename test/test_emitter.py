"""The emitter refuses what the generated C++ could not represent."""

import pytest

from utensor import convert
from utensor.errors import UnsupportedError
from utensor.ir import Graph, Operator, Tensor


def test_model_inputs_above_rank_4_are_refused_with_the_limit():
    x = Tensor(0, "x5d", "float32", (1, 2, 2, 2, 2))
    y = Tensor(1, "y", "float32", (1, 2, 2, 2, 2))
    g = Graph("rank5", [x, y], [Operator(0, "RELU", [0], [1])], [0], [1], source_path="rank5.tflite")
    with pytest.raises(UnsupportedError, match=r"rank5.tflite: model input 'x5d' has rank 5 .* up to 4 dimensions"):
        convert.convert_graph(g)


def test_a_source_refuses_a_header_from_another_conversion(tmp_path):
    import os
    import shutil
    import subprocess

    from conftest import REPO
    from utensor.hostbuild import RUNTIME_INCLUDE

    models = os.path.join(REPO, "examples", "hello_world", "models")
    a, b = tmp_path / "a", tmp_path / "b"
    convert.convert_to_directory([os.path.join(models, "sine_int8.tflite")], str(a), name="sine")
    convert.convert_to_directory([os.path.join(models, "sine_float.tflite")], str(b), name="sine")
    compile_cmd = ["g++", "-std=c++11", "-fsyntax-only", "-I", RUNTIME_INCLUDE, "-I", str(a), str(a / "sine.cpp")]
    assert subprocess.run(compile_cmd, capture_output=True).returncode == 0
    shutil.copy(b / "sine.hpp", a / "sine.hpp")  # a killed conversion renamed only the header
    broken = subprocess.run(compile_cmd, capture_output=True, text=True)
    assert broken.returncode != 0
    assert "sine.hpp and sine.cpp come from different conversions" in broken.stderr
