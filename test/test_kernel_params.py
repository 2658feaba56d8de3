"""The kernel parameter table (scripts/utensor/kernel_params.py): the checked-in headers are
what it generates, initializers are rendered by field name and refuse anything else, a
struct that disagrees with the table fails the build of a generated model, and a new
operator needs only a table entry, a lowering and a kernel."""

import os
import re
import shutil
import subprocess
import sys

import pytest

from conftest import REPO
from utensor import cmd_ops, convert, hostbuild, kernel_params, ops
from utensor.cstruct import F32, I32, Family, Field, Nested, ParamsError, Struct
from utensor.ir import Graph, Operator, Tensor
from utensor.ops import kernel_call
from utensor.ops._dense import io_tensors

CHECK_MESSAGE = "is not laid out as the converter's parameter table says"


# ---- the headers ----

def test_checked_in_headers_are_what_the_table_generates():
    stale = kernel_params.stale_headers()
    assert not stale, (f"stale kernel parameter headers {stale}: run `python -m utensor.kernel_params "
                       "--write` and commit them")


def test_check_command_exits_nonzero_on_a_stale_header(tmp_path):
    env = dict(os.environ, PYTHONPATH=os.path.join(REPO, "scripts"))
    ok = subprocess.run([sys.executable, "-m", "utensor.kernel_params", "--check"], env=env,
                        capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    # The same check against a copy of the headers with one field edited by hand.
    include = tmp_path / "include"
    shutil.copytree(hostbuild.RUNTIME_INCLUDE, include)
    header = include / "utensor" / "kernels" / "params" / "softmax.hpp"
    header.write_text(header.read_text().replace("int32_t diff_min;", "int32_t diff_minimum;"))
    assert kernel_params.stale_headers(str(include)) == [str(header)]
    (include / "utensor" / "kernels" / "params" / "gone.hpp").write_text("// removed from the table\n")
    assert len(kernel_params.stale_headers(str(include))) == 2
    kernel_params.write_headers(str(include))
    assert kernel_params.stale_headers(str(include)) == []


def test_every_family_header_is_included_by_its_kernel_header():
    for fam in kernel_params.TABLE.families:
        path = os.path.join(hostbuild.RUNTIME_INCLUDE, fam.kernel_header)
        with open(path, encoding="utf-8") as f:
            assert f'#include "{fam.header}"' in f.read(), (fam.kernel_header, fam.header)


def test_no_kernel_header_defines_a_table_struct_by_hand():
    table = set(kernel_params.TABLE.structs)
    kernels = os.path.join(hostbuild.RUNTIME_INCLUDE, "utensor", "kernels")
    for folder, _, names in os.walk(kernels):
        if os.path.basename(folder) == "params":
            continue
        for name in names:
            with open(os.path.join(folder, name), encoding="utf-8") as f:
                defined = set(re.findall(r"^\s*struct (\w+) \{", f.read(), re.M))
            assert not defined & table, (name, defined & table)


@pytest.mark.parametrize("fields, message", [
    ([Field("default", I32, "d")], r"'default' is not a new, unreserved C\+\+ identifier"),
    ([Field("a", I32, "a"), Field("a", I32, "again")], r"'a' is not a new"),
    ([Field("a", I32, " ")], r"X::a has no doc"),
    ([Field("shape", Nested("LaterShape"), "s")], r"refers to LaterShape, which is neither"),
    ([], r"at least one field"),
])
def test_the_table_refuses_malformed_entries(fields, message):
    with pytest.raises(ParamsError, match=message):
        kernel_params.TABLE.copy().add(Family("x/params.hpp", "x/x.hpp", "X.", structs=[Struct("X", "X.", fields)]))
    with pytest.raises(ParamsError, match="declared twice"):
        kernel_params.TABLE.copy().add(Family("x/params.hpp", "x/x.hpp", "X.", structs=[
            Struct("SoftmaxS8Params", "again", [Field("a", I32, "a")])]))


# ---- initializers ----

def _softmax_fields(**changes):
    fields = dict(outer_size=1, depth=10, input_multiplier=1 << 30, input_left_shift=20,
                  diff_min=-248, exp_table=None)
    fields.update(changes)
    return fields


def test_initializer_follows_the_table_order_not_the_dict_order():
    fields = dict(reversed(list(_softmax_fields().items())))
    init = kernel_params.TABLE.initializer("SoftmaxS8Params", fields)
    assert [f.name for f in init.fields] == ["outer_size", "depth", "input_multiplier",
                                             "input_left_shift", "diff_min", "exp_table"]
    assert [f.text for f in init.fields] == ["1", "10", "1073741824", "20", "-248", "nullptr"]


@pytest.mark.parametrize("fields, message", [
    ({k: v for k, v in _softmax_fields().items() if k != "depth"},
     r"SoftmaxS8Params: .* missing depth\. Its fields: outer_size, depth,"),
    (_softmax_fields(beta=1.0), r"SoftmaxS8Params: .* unknown beta\."),
    (_softmax_fields(depth=2.5), r"SoftmaxS8Params\.depth: expected an integer for an int32_t"),
    (_softmax_fields(diff_min=2**31), r"SoftmaxS8Params\.diff_min: 2147483648 does not fit an int32_t"),
])
def test_initializer_refuses_missing_unknown_and_ill_typed_fields(fields, message):
    with pytest.raises(ParamsError, match=message):
        kernel_params.TABLE.initializer("SoftmaxS8Params", fields)


def test_nested_arrays_and_pointer_fields_are_checked_too():
    shape = dict(input_dims=[1, 1, 1, 2, 3], before=[0] * 5, after=[0] * 4)
    with pytest.raises(ParamsError, match=r"PadS8Params\.shape\.after: expected 5 int32_t values"):
        kernel_params.TABLE.initializer("PadS8Params", dict(shape=shape, pad_value=0))
    with pytest.raises(ParamsError, match=r"PadS8Params\.pad_value: 200 does not fit an int8_t"):
        kernel_params.TABLE.initializer("PadS8Params", dict(shape=dict(shape, after=[0] * 5), pad_value=200))
    with pytest.raises(ParamsError, match=r"a int32_t pointer cannot point at an array of float"):
        kernel_params.TABLE.initializer("ConcatenationParams", dict(
            num_inputs=1, outer_size=1, row_sizes=kernel_params.ConstArray("float", [1.0])))


def test_a_lowering_with_a_wrong_field_fails_in_python_naming_it(monkeypatch):
    with pytest.raises(ParamsError, match=r"SoftmaxS8Params: .* unknown diff_minimum"):
        kernel_call("softmax_s8", "SoftmaxS8Params",
                    dict({k: v for k, v in _softmax_fields().items() if k != "diff_min"}, diff_minimum=0))

    def misspelled(op, graph):  # a lowering with a typo in a field name
        return kernel_call("softmax_f32", "SoftmaxF32Params", dict(outer_size=1, depth=3, betta=1.0))

    monkeypatch.setitem(ops.LOWERINGS, "SOFTMAX", misspelled)
    with pytest.raises(ParamsError, match=r"operator #1 SOFTMAX: SoftmaxF32Params: .* missing beta; "
                                          r"unknown betta\."):
        convert.convert_graph(_two_op_graph())


# ---- the compile-time layout check on the runtime's own structs ----

def _two_op_graph():
    ts = [Tensor(0, "a", "float32", (1, 3)), Tensor(1, "b", "float32", (1, 3)),
          Tensor(2, "sum", "float32", (1, 3)), Tensor(3, "prob", "float32", (1, 3))]
    ops_ = [Operator(0, "ADD", [0, 1], [2], {"fused_activation_function": "NONE"}),
            Operator(1, "SOFTMAX", [2], [3], {"beta": 1.0})]
    return Graph("two_op", ts, ops_, [0, 1], [3], source_path="two_op.tflite")


def _write(emitted, gen):
    os.makedirs(gen, exist_ok=True)
    with open(os.path.join(gen, emitted.header_name), "w", encoding="utf-8") as f:
        f.write(emitted.header)
    with open(os.path.join(gen, emitted.source_name), "w", encoding="utf-8") as f:
        f.write(emitted.source)
    return os.path.join(gen, emitted.source_name)


def _syntax(source, *includes):
    cmd = [hostbuild.CXX, *hostbuild.BASE_FLAGS, "-fsyntax-only"]
    for inc in includes:
        cmd += ["-I", str(inc)]
    return subprocess.run(cmd + [source], capture_output=True, text=True)


def _struct_block(text, name):
    m = re.search(r"struct %s \{\n(.*?)\n\};" % name, text, re.S)
    assert m, name
    return m


def _edit_struct(header, name, edit):
    text = header.read_text()
    m = _struct_block(text, name)
    lines = m.group(1).split("\n")
    header.write_text(text[:m.start(1)] + "\n".join(edit(lines)) + text[m.end(1):])


def _swap(lines, a, b):
    i = next(k for k, ln in enumerate(lines) if re.search(r"\b%s;" % a, ln))
    j = next(k for k, ln in enumerate(lines) if re.search(r"\b%s;" % b, ln))
    lines[i], lines[j] = lines[j], lines[i]
    return lines


@pytest.mark.parametrize("what, header, struct, edit, field", [
    # Two int32_t fields swapped: an initializer by position would silently exchange them.
    ("swapped", "softmax.hpp", "SoftmaxS8Params", lambda ls: _swap(ls, "input_multiplier", "input_left_shift"),
     "input_multiplier"),
    ("swapped", "elementwise.hpp", "ElementwiseF32Params",
     lambda ls: _swap(ls, "activation_min", "activation_max"), "activation_min"),
    # A field inserted in the middle: every later value would land one field off.
    ("inserted", "softmax.hpp", "SoftmaxS8Params",
     lambda ls: ls[:2] + ["  int32_t depth_pad;"] + ls[2:], "input_multiplier"),
    # Same size, another type.
    ("retyped", "softmax.hpp", "SoftmaxS8Params",
     lambda ls: [ln.replace("int32_t diff_min;", "float diff_min;") for ln in ls], "diff_min"),
    # A field appended at the end.
    ("appended", "softmax.hpp", "SoftmaxS8Params", lambda ls: ls + ["  int32_t extra;"], "exp_table"),
])
def test_a_hand_edited_runtime_struct_fails_the_models_build(tmp_path, what, header, struct, edit, field):
    source = _write(convert.convert_graph(_two_op_graph()).emitted, tmp_path / "gen")
    assert "UTENSOR_PARAMS_FIRST(utensor::kernels::SoftmaxF32Params, outer_size, int32_t);" in open(source).read()
    include = tmp_path / "include"
    shutil.copytree(hostbuild.RUNTIME_INCLUDE, include)
    assert _syntax(source, include, tmp_path / "gen").returncode == 0
    # The model uses the float32 structs; check the int8 one with a model that has it.
    if struct == "SoftmaxS8Params":
        source = _write(_int8_softmax_emitted(), tmp_path / "gen8")
        assert _syntax(source, include, tmp_path / "gen8").returncode == 0
    _edit_struct(include / "utensor" / "kernels" / "params" / header, struct, edit)
    broken = _syntax(source, include, os.path.dirname(source))
    assert broken.returncode != 0, what
    assert f"utensor::kernels::{struct}::{field} {CHECK_MESSAGE}" in broken.stderr, broken.stderr
    assert "python -m utensor.kernel_params --write" in broken.stderr


def _int8_softmax_emitted():
    from utensor.ir import Quantization  # pylint: disable=import-outside-toplevel

    x = Tensor(0, "x", "int8", (1, 10), quant=Quantization([0.1], [0]))
    y = Tensor(1, "y", "int8", (1, 10), quant=Quantization([1.0 / 256], [-128]))
    g = Graph("soft8", [x, y], [Operator(0, "SOFTMAX", [0], [1], {"beta": 1.0})], [0], [1],
              source_path="soft8.tflite")
    return convert.convert_graph(g).emitted


# ---- a new operator: a table entry, a lowering and a kernel ----

# 1. The table entry, as it would sit in kernel_params.py.
TOY = Family(
    "toy/params/scale_offset.hpp", "toy/scale_offset.hpp",
    "The toy operator's parameters.",
    namespace="toy",
    structs=[Struct("ScaleOffsetParams", "y = x * scale + offset, elementwise.", [
        Field("size", I32, "elements"),
        Field("scale", F32, "the factor"),
        Field("offset", F32, "the addend"),
    ])],
)


# 2. The lowering, as it would sit in ops/.
def lower_scale_offset(op, graph):
    (x,), (_,) = io_tensors(op, graph, 1, 1)
    return kernel_call("scale_offset_f32", "ScaleOffsetParams",
                       dict(size=x.num_elements, scale=op.options["scale"], offset=op.options["offset"]),
                       inplace=(0, 0))


# 3. The kernel (header-only here; in the runtime, a header and a reference .cpp).
KERNEL = """#ifndef TOY_SCALE_OFFSET_HPP
#define TOY_SCALE_OFFSET_HPP

#include "toy/params/scale_offset.hpp"

namespace toy {

inline void scale_offset_f32(const ScaleOffsetParams& p, const float* input, float* output) {
  for (int32_t i = 0; i < p.size; ++i) output[i] = input[i] * p.scale + p.offset;
}

}  // namespace toy

#endif  // TOY_SCALE_OFFSET_HPP
"""

MAIN = r"""
#include <stdio.h>
#include "toy.hpp"

int main() {
  Toy m;
  for (int i = 0; i < 8; ++i) m.input_0_data()[i] = 0.5f * i - 1.5f;
  if (m.invoke() != utensor::Status::ok) return 2;
  for (int i = 0; i < 8; ++i) printf("%.9g\n", m.output_0_data()[i]);
  return 0;
}
"""


def test_a_toy_operator_needs_only_its_table_entry_lowering_and_kernel(tmp_path, monkeypatch):
    table = kernel_params.TABLE.copy()
    table.add(TOY)
    monkeypatch.setattr(kernel_params, "TABLE", table)
    monkeypatch.setitem(ops.LOWERINGS, "TOY_SCALE_OFFSET", lower_scale_offset)
    monkeypatch.setitem(ops.DTYPES, "TOY_SCALE_OFFSET", ("float32",))

    # The struct's C++ definition comes from the table, like the runtime's.
    include = tmp_path / "include"
    kernel_params.write_headers(str(include), table, headers=[TOY.header])
    generated = (include / TOY.header).read_text()
    assert re.search(r"struct ScaleOffsetParams \{\n  int32_t size; +// elements\n  float scale; +"
                     r"// the factor\n  float offset; +// the addend\n\};", generated), generated
    (include / TOY.kernel_header).write_text(KERNEL)

    g = Graph("toy", [Tensor(0, "x", "float32", (1, 8)), Tensor(1, "y", "float32", (1, 8))],
              [Operator(0, "TOY_SCALE_OFFSET", [0], [1], {"scale": 2.5, "offset": -1.0})],
              [0], [1], source_path="toy.tflite")
    emitted = convert.convert_graph(g).emitted
    assert '#include "toy/scale_offset.hpp"' in emitted.source
    assert "toy::scale_offset_f32(op0_params, " in emitted.source
    assert "/* scale */ 2.5f,\n    /* offset */ -1.0f," in emitted.source
    assert "UTENSOR_PARAMS_NEXT(toy::ScaleOffsetParams, size, scale, float);" in emitted.source
    source = _write(emitted, tmp_path / "gen")
    (tmp_path / "main.cpp").write_text(MAIN)
    exe = str(tmp_path / "toy")
    cmd = [hostbuild.CXX, *hostbuild.BASE_FLAGS, "-I", hostbuild.RUNTIME_INCLUDE, "-I", str(include),
           "-I", str(tmp_path / "gen"), str(tmp_path / "main.cpp"), source, hostbuild.runtime_library(),
           "-o", exe]
    build = subprocess.run(cmd, capture_output=True, text=True)
    assert build.returncode == 0, build.stdout + build.stderr
    run = subprocess.run([exe], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert [float(v) for v in run.stdout.split()] == [(0.5 * i - 1.5) * 2.5 - 1.0 for i in range(8)]
    # `utensor ops` lists it like any other operator.
    assert ("TOY_SCALE_OFFSET", "float32", "reference") in cmd_ops.matrix()

    # Someone swaps two fields of the C++ struct by hand: the initializer would now put the
    # offset into `scale` and the scale into `offset`. The build stops instead.
    _edit_struct(include / TOY.header, "ScaleOffsetParams", lambda ls: _swap(ls, "scale", "offset"))
    broken = subprocess.run(cmd, capture_output=True, text=True)
    assert broken.returncode != 0
    assert f"toy::ScaleOffsetParams::scale {CHECK_MESSAGE}" in broken.stderr, broken.stderr
    assert "python -m utensor.kernel_params --write" in broken.stderr
    assert "static assertion failed" in broken.stderr or "static_assert" in broken.stderr
