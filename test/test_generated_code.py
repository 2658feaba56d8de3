"""Generated code as real projects use it (issue 16, items 3-9): separately converted
models linked together, several instances of one model each over its own arena, every
generated constant ODR-used from C++11 to C++20, const models, checked indices, declared
input/output aliasing (--keep-inputs), per-model placement, framework-global class names,
model paths with spaces. Host builds compare with tflite_micro; one firmware does the same
on the emulated Cortex-M4F.
"""

import os
import re
import shutil
import subprocess

import numpy as np
import pytest

import piohelp
from conftest import MODELS_DIR, REPO
from utensor import convert, hostbuild, project_options
from utensor.errors import UtensorError
from utensor.reference import reference_outputs

SINE = os.path.join(REPO, "examples", "hello_world", "models", "sine_int8.tflite")
AD01 = os.path.join(MODELS_DIR, "ad01_int8.tflite")
needs_ad01 = pytest.mark.skipif(not os.path.isfile(AD01), reason="needs ../shared/models")


def tflm(model_path, x):
    """tflite_micro's output 0 for input x."""
    return reference_outputs(model_path, [x])[0]


def ad01_inputs(n, seed):
    rng = np.random.default_rng(seed)
    return [rng.integers(-128, 128, size=(1, 640), dtype=np.int8) for _ in range(n)]


# ---- the user's translation unit (host) ---------------------------------------------

USER_TU = r"""
#include <stdio.h>
#include <string.h>
#include <algorithm>

#include "gen_a/sine.hpp"      // converted on its own, --no-registry
#include "gen_b/ad01.hpp"      // converted on its own, with the registry
#include "gen_c/Serial.hpp"    // a model named like Arduino's global Serial object
#include "utensor/lib/simple_error_handler.hpp"

int Serial = 7;  // what an Arduino core declares (an object named Serial)

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "FAILED line %d: %s\n", __LINE__, #c); return 1; } } while (0)

// ODR uses of every generated constant: bound to references, passed by reference.
static size_t odr_uses() {
  const size_t& a = Ad01::kArenaBytes;
  const size_t* w = &Ad01::kWeightBytes;
  const bool& kept = Ad01::kInputsKept;
  return std::max(a, Sine::kArenaBytes) + *w + std::min(Ad01::kNumInputs, Ad01::kNumOutputs) +
         std::max(Sine::kArenaAlignment, Ad01::kArenaAlignment) + (kept ? 1 : 0) +
         std::max(Sine::kNumInputs, Sine::kNumOutputs) + (std::max(Sine::kInputsKept, false) ? 1 : 0);
}

// Reads through a const model: inputs, outputs, by name, position and type.
static int sum_outputs(const utensor_models::Ad01& m) {
  int s = 0;
  const int8_t* y = m.output_0_data();
  for (size_t i = 0; i < m.output(0).num_elements(); ++i) s += y[i];
  return s + (m.input_0_data() == m.input_data<int8_t>(0) ? 0 : 1000000) +
         (m.output_data<int8_t>(0) == y ? 0 : 1000000) + (&m.output<0>() == &m.output_0() ? 0 : 1000000);
}

alignas(16) static uint8_t second_arena[Ad01::kArenaBytes];
alignas(16) static uint8_t spare[Ad01::kArenaBytes + 16];

int main() {
  utensor::SimpleErrorHandler events;
  utensor::Context::get_default_context()->set_ErrorHandler(&events);
  CHECK(odr_uses() > Ad01::kWeightBytes);

  // Two instances of one model, each over its own arena: both keep their results.
  Ad01 first;                   // the model's static arena
  Ad01 second(second_arena);    // a buffer of ours (size checked at compile time)
  CHECK(first.arena() != second.arena() && second.arena() == second_arena);
  CHECK(fread(first.input_0_data(), 1, 640, stdin) == 640);
  CHECK(fread(second.input_0_data(), 1, 640, stdin) == 640);
  CHECK(first.invoke() == utensor::Status::ok);
  CHECK(second.invoke() == utensor::Status::ok);
  fwrite(first.output_0_data(), 1, 640, stdout);   // after second.invoke(): still first's
  fwrite(second.output_0_data(), 1, 640, stdout);
  CHECK(sum_outputs(first) < 1000000 && sum_outputs(second) < 1000000);

  // The separately converted model and the one named Serial run beside it.
  Sine sine;
  utensor_models::Serial serial_model;
  CHECK(Serial == 7);
  CHECK(fread(sine.input_x_data(), 1, 1, stdin) == 1);
  serial_model.input_x_data()[0] = sine.input_x_data()[0];
  CHECK(sine.invoke() == utensor::Status::ok && serial_model.invoke() == utensor::Status::ok);
  fwrite(sine.output_0_data(), 1, 1, stdout);
  fwrite(serial_model.output_0_data(), 1, 1, stdout);

  // Indices out of range: an event and an empty tensor, never tensor 0.
  const size_t before = events.count(utensor::EventId::model_error);
  utensor::BufferTensor& none = first.input(1);
  CHECK(none.num_elements() == 0 && none.data() == nullptr && &none != &first.input(0));
  CHECK(first.output(3).num_elements() == 0);
  const utensor_models::Ad01& cfirst = first;
  CHECK(cfirst.input(9).data() == nullptr);
  CHECK(events.count(utensor::EventId::model_error) == before + 3);
  CHECK(events.at(events.size() - 1).status == utensor::Status::out_of_bounds);
  CHECK(first.input_data<int8_t>(1) == nullptr && first.output_data<int8_t>(2) == nullptr);

  // Arenas that cannot hold the model: refused with an event, invoke() says so.
  Ad01 misaligned(spare + 1, sizeof(spare) - 1);
  Ad01 small(spare, Ad01::kArenaBytes - 1);
  Ad01 null_arena(nullptr, 4096);
  CHECK(misaligned.arena() == nullptr && misaligned.input_0_data() == nullptr);
  CHECK(misaligned.invoke() == utensor::Status::invalid_argument);
  CHECK(small.invoke() == utensor::Status::invalid_argument);
  CHECK(null_arena.invoke() == utensor::Status::invalid_argument);
  CHECK(events.count(utensor::EventId::model_error) == before + 6);
  return 0;
}
"""


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """sine and ad01 converted separately into two folders; a copy of sine at a path with
    spaces named Serial in a third."""
    root = tmp_path_factory.mktemp("separate")
    spaced = root / "my models"
    spaced.mkdir()
    shutil.copy(SINE, spaced / "Serial.tflite")
    convert.convert_to_directory([SINE], str(root / "gen_a"), name="sine", registry=False)
    convert.convert_to_directory([AD01], str(root / "gen_b"), name="ad01")
    convert.convert_to_directory([str(spaced / "Serial.tflite")], str(root / "gen_c"), registry=False)
    return root


def compile_user_tu(root, std, source=USER_TU, sanitize=True, out="user"):
    (root / (out + ".cpp")).write_text(source)
    exe = root / out
    flags = [f for f in hostbuild._flags(sanitize) if not f.startswith("-std=")]  # pylint: disable=protected-access
    cmd = [hostbuild.CXX, "-std=" + std, *flags, "-I", hostbuild.RUNTIME_INCLUDE, "-I", str(root),
           str(root / (out + ".cpp")), str(root / "gen_a" / "sine.cpp"), str(root / "gen_b" / "ad01.cpp"),
           str(root / "gen_b" / "utensor_models.cpp"), str(root / "gen_c" / "Serial.cpp"),
           hostbuild.runtime_library(sanitize), "-o", str(exe)]
    return subprocess.run(cmd, capture_output=True, text=True), exe


@needs_ad01
@pytest.mark.parametrize("std", ["c++11", "gnu++14", "c++17", "c++20"])
def test_user_code_links_and_runs_bit_exact(generated, std):
    build, exe = compile_user_tu(generated, std, out="user_" + std.replace("+", "p"))
    assert build.returncode == 0, build.stdout + build.stderr
    xa, xb = ad01_inputs(2, seed=16)
    x_sine = np.array([[-40]], dtype=np.int8)
    run = subprocess.run([str(exe)], input=xa.tobytes() + xb.tobytes() + x_sine.tobytes(),
                         capture_output=True)
    assert run.returncode == 0, run.stderr.decode()
    out = np.frombuffer(run.stdout, dtype=np.int8)
    assert out.size == 640 * 2 + 2
    np.testing.assert_array_equal(out[:640], tflm(AD01, xa).reshape(-1))
    np.testing.assert_array_equal(out[640:1280], tflm(AD01, xb).reshape(-1))
    sine_ref = tflm(SINE, x_sine).reshape(-1)
    np.testing.assert_array_equal(out[1280:], np.concatenate([sine_ref, sine_ref]))


@needs_ad01
@pytest.mark.parametrize("misuse,message", [
    ("first.input<1>();", "Ad01 has fewer inputs"),
    ("first.output<1>();", "Ad01 has fewer outputs"),
    ("alignas(16) static uint8_t tiny[64]; Ad01 third(tiny); (void)third;",
     "the arena handed to Ad01 is smaller than Ad01::kArenaBytes"),
    ("first.output_0_data()[0] = 1;", "read-only"),
    ("utensor::BufferTensor& y = first.output(0); (void)y;", "discards qualifiers"),
    ("Serial s;", "expected"),  # Serial is the int here: the class is utensor_models::Serial
])
def test_misuse_is_refused_at_compile_time(generated, misuse, message):
    source = USER_TU.replace("  return 0;\n}\n", "  %s\n  return 0;\n}\n" % misuse)
    build, _ = compile_user_tu(generated, "c++17", source, sanitize=False, out="misuse")
    assert build.returncode != 0
    assert message in build.stderr, build.stderr[-3000:]


def test_the_class_of_a_framework_global_has_no_global_alias(generated):
    header = (generated / "gen_c" / "Serial.hpp").read_text()
    assert "class Serial {" in header and "using Serial =" not in header
    assert "use\n// utensor_models::Serial" in header or "utensor_models::Serial" in header
    assert "using Sine = utensor_models::Sine;" in (generated / "gen_a" / "sine.hpp").read_text()


# ---- conversions that compose, names that collide, paths with spaces -----------------

def test_conversions_into_one_folder_compose(tmp_path):
    gen = tmp_path / "gen"
    convert.convert_to_directory([SINE], str(gen), name="first")
    convert.convert_to_directory([SINE], str(gen), name="second")
    registry = (gen / "utensor_models.cpp").read_text()
    assert "&utensor_model_first," in registry and "&utensor_model_second," in registry
    assert "utensor_model_registry_size = 2;" in registry
    import json
    manifest = json.loads((gen / "utensor_models.json").read_text())
    assert [m["name"] for m in manifest["models"]] == ["first", "second"]
    # Converting one again replaces its entry, it does not add another.
    convert.convert_to_directory([SINE], str(gen), name="first")
    assert "utensor_model_registry_size = 2;" in (gen / "utensor_models.cpp").read_text()
    # A build integration owns its folder: the others' files go.
    convert.convert_to_directory([SINE], str(gen), name="third", exclusive=True)
    assert sorted(os.listdir(gen)) == ["third.cpp", "third.hpp", "utensor_models.cpp", "utensor_models.json"]
    convert.convert_to_directory([SINE], str(gen), name="fourth", registry=False)
    assert "utensor_models.cpp" not in os.listdir(gen)


def test_models_whose_classes_collide_are_refused(tmp_path):
    a, b = tmp_path / "fooBar.tflite", tmp_path / "foo_bar.tflite"
    shutil.copy(SINE, a)
    shutil.copy(SINE, b)
    with pytest.raises(UtensorError, match=r"fooBar.tflite and foo_bar.tflite would both become the C\+\+ class FooBar"):
        convert.convert_to_directory([str(a), str(b)], str(tmp_path / "gen"))
    convert.convert_to_directory([str(a)], str(tmp_path / "gen2"))
    with pytest.raises(UtensorError, match=r"would both become the C\+\+ class FooBar.*--name"):
        convert.convert_to_directory([str(b)], str(tmp_path / "gen2"))
    assert sorted(os.listdir(tmp_path / "gen2"))[:2] == ["fooBar.cpp", "fooBar.hpp"]


@pytest.mark.parametrize("value,expected", [
    ("models/a b.tflite", ["models/a b.tflite"]),
    ('"models/a b.tflite"', ["models/a b.tflite"]),
    ("models/a b.tflite, models/c.tflite", ["models/a b.tflite", "models/c.tflite"]),
    ("\n  models/a b.tflite\n  models/c.tflite ; the second\n", ["models/a b.tflite", "models/c.tflite"]),
    ("models/c.tflite models/d.tflite", ["models/c.tflite", "models/d.tflite"]),  # the old form
])
def test_model_paths_follow_platformio_list_rules(tmp_path, value, expected):
    (tmp_path / "models").mkdir()
    for name in ("a b.tflite", "c.tflite", "d.tflite"):
        (tmp_path / "models" / name).write_bytes(b"x")
    got = project_options.model_paths(value, str(tmp_path))
    assert got == [os.path.normpath(os.path.join(str(tmp_path), e)) for e in expected]


# ---- inputs kept or consumed ----------------------------------------------------------

@needs_ad01
def test_inputs_overwritten_by_invoke_are_declared_and_can_be_kept(tmp_path):
    consumed = convert.convert_to_directory([AD01], str(tmp_path / "a"), name="ad01")[0]
    kept = convert.convert_to_directory([AD01], str(tmp_path / "b"), name="ad01", keep_inputs=True)[0]
    assert "static constexpr bool kInputsKept = false;" in consumed.emitted.header
    assert "invoke() overwrites it" in consumed.emitted.header
    assert "shares bytes with input_0" in consumed.emitted.header
    assert "static constexpr bool kInputsKept = true;" in kept.emitted.header
    assert "overwrites" not in kept.emitted.header
    assert kept.plan.arena_bytes >= consumed.plan.arena_bytes + 640
    # Kept for real: the input bytes are the same after invoke(), outputs still bit-exact.
    main = tmp_path / "keep.cpp"
    main.write_text(r"""
#include <stdio.h>
#include <string.h>
#include "ad01.hpp"
int main() {
  Ad01 m;
  int8_t x[640];
  if (fread(x, 1, 640, stdin) != 640) return 2;
  memcpy(m.input_0_data(), x, 640);
  if (m.invoke() != utensor::Status::ok) return 3;
  if (memcmp(m.input_0_data(), x, 640) != 0) return 4;
  fwrite(m.output_0_data(), 1, 640, stdout);
  return 0;
}
""")
    exe = tmp_path / "keep"
    build = subprocess.run([hostbuild.CXX, *hostbuild.BASE_FLAGS, "-I", hostbuild.RUNTIME_INCLUDE,
                            "-I", str(tmp_path / "b"), str(main), str(tmp_path / "b" / "ad01.cpp"),
                            hostbuild.runtime_library(), "-o", str(exe)], capture_output=True, text=True)
    assert build.returncode == 0, build.stderr
    (x,) = ad01_inputs(1, seed=3)
    run = subprocess.run([str(exe)], input=x.tobytes(), capture_output=True)
    assert run.returncode == 0, run.returncode
    np.testing.assert_array_equal(np.frombuffer(run.stdout, np.int8), tflm(AD01, x).reshape(-1))


def test_per_model_placement_attributes(tmp_path):
    c = convert.convert_to_directory([SINE], str(tmp_path), name="sine")[0]
    assert "alignas(16) uint8_t default_arena[32] UTENSOR_MODEL_SINE_ARENA_ATTRIBUTE;" in c.emitted.source
    assert re.search(r"const int8_t kT\d+\[\d+\] UTENSOR_MODEL_SINE_WEIGHTS_ATTRIBUTE = ", c.emitted.source)
    # Placed where the project says, per model: the symbols land in the named sections.
    obj = tmp_path / "sine.o"
    build = subprocess.run([hostbuild.CXX, *hostbuild.BASE_FLAGS, "-I", hostbuild.RUNTIME_INCLUDE,
                            "-DUTENSOR_MODEL_SINE_ARENA_ATTRIBUTE=__attribute__((section(\".fast_ram\")))",
                            "-DUTENSOR_WEIGHTS_ATTRIBUTE=__attribute__((section(\".qspi_weights\")))",
                            "-c", str(tmp_path / "sine.cpp"), "-o", str(obj)], capture_output=True, text=True)
    assert build.returncode == 0, build.stderr
    sections = subprocess.run(["objdump", "-h", str(obj)], capture_output=True, text=True).stdout
    assert ".fast_ram" in sections and ".qspi_weights" in sections


# ---- the same on the emulated board ----------------------------------------------------

FIRMWARE_MAIN = r"""
#include <stdio.h>

#include "gen_b/ad01.hpp"   // converted on its own (utensor convert), --no-registry
#include "Serial.hpp"       // converted by the extra script from "models/my models/Serial.tflite"

int Serial = 1;  // an Arduino-style global of that name

alignas(16) static uint8_t second_arena[Ad01::kArenaBytes];

static void fill(int8_t* x, int seed) {
  uint32_t s = 2463534242u + static_cast<uint32_t>(seed);
  for (int i = 0; i < 640; ++i) {  // xorshift32: the test computes the same bytes
    s ^= s << 13; s ^= s >> 17; s ^= s << 5;
    x[i] = static_cast<int8_t>(s & 0xff);
  }
}

static void dump(const char* tag, const int8_t* y, int n) {
  printf("%s", tag);
  for (int i = 0; i < n; ++i) printf(" %d", y[i]);
  printf("\n");
}

int main() {
  Ad01 first;
  Ad01 second(second_arena);
  fill(first.input_0_data(), 1);
  fill(second.input_0_data(), 2);
  if (first.invoke() != utensor::Status::ok || second.invoke() != utensor::Status::ok) return 3;
  dump("first", first.output_0_data(), 640);
  dump("second", second.output_0_data(), 640);
  utensor_models::Serial s;
  s.input_x_data()[0] = -40;
  if (s.invoke() != utensor::Status::ok) return 4;
  dump("serial", s.output_0_data(), 1);
  return Serial == 1 ? 0 : 5;
}
"""


def xorshift_bytes(seed):
    s = (2463534242 + seed) & 0xFFFFFFFF
    out = []
    for _ in range(640):
        s ^= (s << 13) & 0xFFFFFFFF
        s ^= s >> 17
        s ^= (s << 5) & 0xFFFFFFFF
        out.append(s & 0xFF)
    return np.array(out, dtype=np.uint8).view(np.int8).reshape(1, 640)


@piohelp.needs_tools
@needs_ad01
def test_firmware_with_separate_conversions_and_two_instances(tmp_path):
    project = tmp_path / "app"
    (project / "src").mkdir(parents=True)
    (project / "models" / "my models").mkdir(parents=True)
    shutil.copy(SINE, project / "models" / "my models" / "Serial.tflite")
    convert.convert_to_directory([AD01], str(project / "src" / "gen_b"), name="ad01", registry=False)
    (project / "src" / "main.cpp").write_text(FIRMWARE_MAIN)
    (project / "platformio.ini").write_text(
        "[env:mps2_an386]\n"
        "platform = symlink://%s\nboard = mps2_an386\nlib_deps = symlink://%s\n"
        "custom_utensor_models = models/my models/Serial.tflite\n" % (piohelp.PLATFORM_DIR, REPO))
    env = piohelp.bootstrap_core(tmp_path / "core")
    run = piohelp.run(["pio", "run", "-t", "upload"], str(project), env, timeout=900)
    assert run.returncode == 0, piohelp.tail(run)
    lines = {ln.split(" ", 1)[0]: np.array(ln.split()[1:], dtype=np.int64)
             for ln in run.stdout.splitlines() if ln.startswith(("first ", "second ", "serial "))}
    np.testing.assert_array_equal(lines["first"], tflm(AD01, xorshift_bytes(1)).reshape(-1))
    np.testing.assert_array_equal(lines["second"], tflm(AD01, xorshift_bytes(2)).reshape(-1))
    np.testing.assert_array_equal(lines["serial"], tflm(SINE, np.array([[-40]], np.int8)).reshape(-1))
