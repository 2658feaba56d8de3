"""The emitter: refuses what the generated C++ could not represent, pairs a header with its
source, and gives every model class the same positional accessors beside the named ones."""

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


POSITIONAL_MAIN = r"""
#include <stdio.h>
#include "two_io.hpp"

#define CHECK(c) do { if (!(c)) { printf("FAILED line %d: %s\n", __LINE__, #c); return 1; } } while (0)

int main() {
  TwoIo m;
  // Named, positional and generic accessors reach the same tensors.
  CHECK(&m.input_a() == &m.input_0() && &m.input_0() == &m.input(0) && &m.input_1() == &m.input(1));
  CHECK(&m.output_prod() == &m.output_1() && &m.output_0() == &m.output(0));
  CHECK(m.input_a_data() == m.input_0_data() && m.input_0_data() == m.input_data<float>(0));
  CHECK(m.input_1_data() == m.input_data<float>(1) && m.input_data<float>() == m.input_0_data());
  CHECK(m.output_prod_data() == m.output_1_data() && m.output_1_data() == m.output_data<float>(1));
  CHECK(m.output_0_data() == m.output_data<float>(0));
  // Another type or a position past the last gives nullptr.
  CHECK(m.input_data<int8_t>(0) == nullptr && m.input_data<float>(2) == nullptr);
  CHECK(m.output_data<int32_t>(1) == nullptr && m.output_data<float>(TwoIo::kNumOutputs) == nullptr);
  for (int i = 0; i < 3; ++i) {
    m.input_data<float>(0)[i] = 1.5f + i;
    m.input_1_data()[i] = 2.0f;
  }
  CHECK(m.invoke() == utensor::Status::ok);
  for (int i = 0; i < 3; ++i) {
    CHECK(m.output_data<float>(0)[i] == 3.5f + i);
    CHECK(m.output_1_data()[i] == 2.0f * (1.5f + i));
  }
  return 0;
}
"""


def _two_io_graph():
    ts = [Tensor(0, "serving_default_a:0", "float32", (1, 3)),
          Tensor(1, "StatefulPartitionedCall:0", "float32", (1, 3)),  # meaningless: position
          Tensor(2, "Identity:0", "float32", (1, 3)),
          Tensor(3, "prod", "float32", (1, 3))]
    ops = [Operator(0, "ADD", [0, 1], [2], {"fused_activation_function": "NONE"}),
           Operator(1, "MUL", [0, 1], [3], {"fused_activation_function": "NONE"})]
    return Graph("two_io", ts, ops, [0, 1], [2, 3], source_path="two_io.tflite")


def test_positional_and_generic_accessors_beside_the_named_ones(tmp_path):
    import subprocess

    from utensor import hostbuild

    header = convert.convert_graph(_two_io_graph()).emitted.header
    # Every position has input_<i>() / input_<i>_data(), once: a named accessor that already
    # is input_1 / output_0 (a meaningless tensor name) is not emitted twice.
    # Inputs: a mutable and a const overload each; outputs: const only (invoke() writes them).
    for name in ("input_a", "input_0", "input_1"):
        assert header.count(f" {name}() {{") == 1 and header.count(f" {name}() const {{") == 1, name
        assert header.count(f" {name}_data() {{") == 1 and header.count(f" {name}_data() const {{") == 1, name
    for name in ("output_0", "output_prod", "output_1"):
        assert header.count(f" {name}() {{") == 0 and header.count(f" {name}() const {{") == 1, name
        assert header.count(f" {name}_data() const {{") == 1, name
    assert "T* input_data(size_t index = 0)" in header
    assert "const T* output_data(size_t index = 0)" in header
    assert convert.convert_graph(_two_io_graph()).emitted.header == header  # deterministic

    gen = tmp_path / "gen"
    gen.mkdir()
    em = convert.convert_graph(_two_io_graph()).emitted
    (gen / em.header_name).write_text(em.header)
    (gen / em.source_name).write_text(em.source)
    (tmp_path / "main.cpp").write_text(POSITIONAL_MAIN)
    exe = str(tmp_path / "two_io")
    build = subprocess.run(
        [hostbuild.CXX, *hostbuild.BASE_FLAGS, "-I", hostbuild.RUNTIME_INCLUDE, "-I", str(gen),
         str(tmp_path / "main.cpp"), str(gen / em.source_name), hostbuild.runtime_library(), "-o", exe],
        capture_output=True, text=True)
    assert build.returncode == 0, build.stdout + build.stderr
    run = subprocess.run([exe], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
