"""--shared-arena (custom_utensor_shared_arena, CMake SHARED_ARENA): models of one firmware
that never run at the same time share one arena sized for the largest scratch. Checked on
the MLPerf Tiny keyword spotter and anomaly detector: the folder's arena is the larger of
the two plans, each model's default arena is it, and invoking them alternately (kws, ad01,
kws, ...) stays bit-exact with tflite_micro, on the host under ASan/UBSan and on the
emulated M4 through the serial harness.

Stateful models (SVDF keyword spotters, int8 and float32, test/svdf_models.py) keep their
state in a buffer of their own: with kws in the same folder, the shared arena is the largest
scratch, each state is apart (the symbols' sizes in the M4 ELF say so, and equal what we
report), and invoked alternately over a sequence, reset, and the sequence again, every model
equals tflite_micro run the same way (the state carried across the other models' invokes).
A buffer handed in holds the whole model (state first): such an instance keeps its own
state, apart from the default one's. Also: --guard (state canaries), every kind of state
(LSTM, resource variables with CALL_ONCE, SVDF) taking turns with kws through the
registry's descriptors, CMake SHARED_ARENA with the state in a section of its own, and the
RAM that convert, inspect, bench and the PlatformIO budget check report."""

import json
import os
import re
import shutil
import subprocess

import numpy as np
import pytest

from conftest import REPO
from utensor import convert
from utensor.reference import Reference

MODELS = os.path.join(os.path.dirname(REPO), "shared", "models", "mlperf_tiny")
KWS = os.path.join(MODELS, "kws_ref_model.tflite")
AD01 = os.path.join(MODELS, "ad01_int8.tflite")

pytestmark = pytest.mark.skipif(not (os.path.isfile(KWS) and os.path.isfile(AD01)),
                                reason="needs ../shared/models/mlperf_tiny")


def _inputs(path, seed, count):
    """Seeded int8 inputs for each sample of `path`'s model."""
    g = convert.read_model(path)
    rng = np.random.RandomState(seed)
    return [[rng.randint(-128, 128, size=g.tensor(i).shape).astype(np.int8) for i in g.inputs]
            for _ in range(count)]


def test_the_folder_arena_is_the_largest_plan(tmp_path):
    out = tmp_path / "gen"
    cs = convert.convert_to_directory([KWS, AD01], str(out), shared_arena=True)
    sizes = {c.graph.name: c.emitted.arena_bytes for c in cs}
    assert sizes["kws_ref_model"] > sizes["ad01_int8"] > 0
    shared = (out / convert.SHARED_ARENA_FILE).read_text()
    assert f"uint8_t utensor_shared_arena[{max(sizes.values())}]" in shared
    assert shared.count("static_assert(sizeof(utensor_shared_arena) >=") == 2
    for name in sizes:
        src = (out / f"{name}.cpp").read_text()
        assert "constexpr uint8_t* default_arena = utensor_shared_arena;" in src
        assert re.search(r"uint8_t default_arena\[\d+\]", src) is None
    manifest = json.loads((out / convert.MANIFEST_FILE).read_text())
    assert all(m["shared_arena"] for m in manifest["models"])
    # Converted again without the option, the folder has no shared arena left.
    convert.convert_to_directory([KWS, AD01], str(out), exclusive=True)
    assert not (out / convert.SHARED_ARENA_FILE).exists()
    assert "uint8_t default_arena[" in (out / "ad01_int8.cpp").read_text()


DRIVER = r"""
#include <stdio.h>
#include <string.h>
#include "kws_ref_model.hpp"
#include "ad01_int8.hpp"
%(data)s
template <class M>
static int run(M& m, const int8_t* in, size_t n) {
  memcpy(m.template input_data<int8_t>(0), in, n);
  if (m.invoke() != utensor::Status::ok) return 1;
  const int8_t* out = m.template output_data<int8_t>(0);
  for (size_t i = 0; i < m.output(0).num_bytes(); ++i) printf("%%d ", out[i]);
  printf("\n");
  return 0;
}
int main() {
  KwsRefModel kws;
  Ad01Int8 ad;
  if (kws.arena() != ad.arena()) return 2;  // one arena for both
  int bad = 0;
%(calls)s
  return bad;
}
"""


def _carray(name, a):
    return f"static const int8_t {name}[{a.size}] = {{{', '.join(str(int(v)) for v in a.reshape(-1))}}};"


def test_alternating_invocations_on_the_host(tmp_path):
    from utensor import hostbuild

    out = tmp_path / "gen"
    convert.convert_to_directory([KWS, AD01], str(out), shared_arena=True)
    kws_in, ad_in = _inputs(KWS, 1, 3), _inputs(AD01, 2, 3)
    data, calls, expect = [], [], []
    ref_k, ref_a = Reference(open(KWS, "rb").read()), Reference(open(AD01, "rb").read())
    for s in range(3):
        data += [_carray(f"kws{s}", kws_in[s][0]), _carray(f"ad{s}", ad_in[s][0])]
        calls += [f"  bad |= run(kws, kws{s}, sizeof kws{s});", f"  bad |= run(ad, ad{s}, sizeof ad{s});"]
        expect += [ref_k.invoke(kws_in[s])[0], ref_a.invoke(ad_in[s])[0]]
    (tmp_path / "main.cpp").write_text(DRIVER % {"data": "\n".join(data), "calls": "\n".join(calls)})
    lib = hostbuild.runtime_library(sanitize=True)
    exe = tmp_path / "alternate"
    subprocess.run([hostbuild.CXX, *hostbuild._flags(True), "-I", hostbuild.RUNTIME_INCLUDE,  # pylint: disable=protected-access
                    "-I", str(out), str(tmp_path / "main.cpp"), *sorted(str(p) for p in out.glob("*.cpp")),
                    lib, "-o", str(exe)], check=True, capture_output=True, text=True)
    r = subprocess.run([str(exe)], capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stdout + r.stderr
    lines = r.stdout.strip().splitlines()
    assert len(lines) == 6
    for k, (line, ref) in enumerate(zip(lines, expect)):
        assert [int(v) for v in line.split()] == ref.reshape(-1).astype(int).tolist(), f"call {k}"


@pytest.mark.skipif(any(shutil.which(t) is None for t in ("arm-none-eabi-gcc", "qemu-system-arm")),
                    reason="needs arm-none-eabi-gcc and qemu-system-arm")
def test_alternating_invocations_on_the_m4(tmp_path):
    from utensor.harness.backends import QemuBackend
    from utensor.harness.client import HarnessClient
    from utensor.harness.firmware import build_firmware

    fw = build_firmware([KWS, AD01], "mps2_an386", str(tmp_path / "fw"),
                        extra_options=[("custom_utensor_shared_arena", "yes")])
    gen = [p for p in (tmp_path / "fw").rglob(convert.SHARED_ARENA_FILE)]
    assert gen, "the firmware was not built with a shared arena"
    # RAM: one arena (kws's, the larger), not both.
    kws_arena = convert.convert_file(KWS).emitted.arena_bytes
    ad_arena = convert.convert_file(AD01).emitted.arena_bytes
    assert fw.ram_bytes < kws_arena + ad_arena
    backend = QemuBackend("mps2_an386", exact_count=False)
    url = backend.start(fw)
    try:
        client = HarnessClient(url)
        info = client.hello()
        index = {m.name: k for k, m in enumerate(info.models)}
        refs = {KWS: Reference(open(KWS, "rb").read()), AD01: Reference(open(AD01, "rb").read())}
        samples = {KWS: _inputs(KWS, 3, 3), AD01: _inputs(AD01, 4, 3)}
        for s in range(3):
            for path, name in ((KWS, "kws_ref_model"), (AD01, "ad01_int8")):
                outs, _ = client.run(index[name], samples[path][s])
                ref = refs[path].invoke(samples[path][s])
                assert all(np.array_equal(a, b) for a, b in zip(outs, ref)), f"{name} sample {s}"
        client.bye()
    finally:
        backend.close()


# ---- stateful models: their state apart, the shared arena for the largest scratch ----

STEPS = 10  # invokes per sequence, then reset() and the sequence again
SVDF = (("svdf_int8", "int8", 3), ("svdf_float32", "float32", 5))  # model name, dtype, seed


def _svdf_models(tmp_path):
    """Two stateful keyword spotters (int8 with int16 state, float32) as .tflite files."""
    from svdf_models import keyword_spotter

    paths = {}
    for name, dtype, seed in SVDF:
        path = tmp_path / f"{name}.tflite"
        path.write_bytes(keyword_spotter(dtype, seed=seed))
        paths[name] = str(path)
    return paths


def _sequence(path, seed, steps=STEPS):
    """Seeded inputs of `path`'s model for `steps` invokes (int8: the whole range; float32:
    about the range of filterbank features)."""
    g = convert.read_model(path)
    rng = np.random.RandomState(seed)
    out = []
    for _ in range(steps):
        sample = []
        for t in (g.tensor(i) for i in g.inputs):
            if t.dtype == "float32":
                sample.append(rng.uniform(-1.5, 1.5, size=t.shape).astype(np.float32))
            else:
                sample.append(rng.randint(-128, 128, size=t.shape).astype(np.int8))
        out.append(sample)
    return out


def _reference_sequence(path, xs):
    """tflite_micro over xs, reset(), xs again (a stateless model: one invoke each)."""
    ref = Reference(open(path, "rb").read())
    if convert.read_model(path).state_tensors():
        ref.reset()
        outs = [ref.step(x) for x in xs]
        ref.reset()
        return outs + [ref.step(x) for x in xs]
    return [ref.invoke(x) for x in xs] * 2


def _mismatches(name, ours, refs):
    from opcheck import compare  # integers bit-exact, float32 within 1e-5 relative

    problems = []
    for k, (a, r) in enumerate(zip(ours, refs)):
        r = np.asarray(r[0])
        problems += compare(np.asarray(a).reshape(r.shape), r, f"{name} invoke {k}")[:2]
    return problems


def test_stateful_models_keep_their_state_apart(tmp_path):
    """The folder's arena is the largest scratch; each stateful model's default state is a
    buffer of its own, reset() and the descriptor use it; RAM = largest scratch + states."""
    paths = _svdf_models(tmp_path)
    out = tmp_path / "gen"
    cs = convert.convert_to_directory([paths["svdf_int8"], paths["svdf_float32"], KWS], str(out),
                                      shared_arena=True)
    by = {c.graph.name: c for c in cs}
    scratch = {n: c.emitted.arena_bytes - c.emitted.state_bytes for n, c in by.items()}
    states = {n: c.emitted.state_bytes for n, c in by.items() if c.emitted.state_bytes}
    assert set(states) == {"svdf_int8", "svdf_float32"} and by["kws_ref_model"].emitted.state_bytes == 0
    # kws's scratch is the largest: sharing saves every byte of the spotters' scratch.
    assert scratch["kws_ref_model"] == max(scratch.values()) > by["svdf_float32"].emitted.arena_bytes
    shared = (out / convert.SHARED_ARENA_FILE).read_text()
    assert f"uint8_t utensor_shared_arena[{scratch['kws_ref_model']}]" in shared
    assert shared.count("static_assert(sizeof(utensor_shared_arena) >= utensor_models::") == 3
    assert "::kScratchBytes" in shared and "::kArenaBytes" not in shared
    for name, nbytes in states.items():
        src = (out / f"{name}.cpp").read_text()
        assert re.search(rf"alignas\(16\) uint8_t utensor_state_{name}\[{nbytes}\] "
                         rf"UTENSOR_MODEL_{name.upper()}_STATE_ATTRIBUTE;", src)
        assert "constexpr uint8_t* default_state = utensor_state_" in src
        assert "constexpr uint8_t* default_scratch = utensor_shared_arena;" in src
        assert "run(default_state, default_scratch)" in src
        hdr = (out / f"{name}.hpp").read_text()
        assert "kScratchBytes = kArenaBytes - kStateBytes;" in hdr
        assert f"+ state {nbytes:,} B of its own" in by[name].summary()
    ram = convert.folder_ram(str(out))
    assert ram.shared_scratch == scratch["kws_ref_model"] and ram.states == states and not ram.own_arenas
    assert ram.total == scratch["kws_ref_model"] + sum(states.values())
    # Without --shared-arena the same model keeps state and scratch in one arena.
    alone = convert.convert_file(paths["svdf_int8"])
    assert alone.emitted.arena_bytes == by["svdf_int8"].emitted.arena_bytes
    assert "utensor_state_" not in alone.emitted.source
    assert "constexpr uint8_t* default_scratch = default_arena + %d;" % states["svdf_int8"] in alone.emitted.source


def test_the_cli_reports_the_shared_scratch_once_and_each_state(tmp_path):
    import sys

    paths = _svdf_models(tmp_path)
    out = tmp_path / "gen"
    r = subprocess.run([sys.executable, "-m", "utensor", "convert", paths["svdf_int8"], paths["svdf_float32"],
                        AD01, "-o", str(out), "--shared-arena"], capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stdout + r.stderr
    ram = convert.folder_ram(str(out))
    line = [ln for ln in r.stdout.splitlines() if "of RAM for tensors" in ln]
    assert line and f"{ram.total:,} B of RAM for tensors: shared arena {ram.shared_scratch:,} B" in line[0]
    for name, nbytes in ram.states.items():
        assert f"{name} state {nbytes:,} B" in line[0]


STATEFUL_DRIVER = r"""
#include <stdio.h>
#include <string.h>
#include "svdf_int8.hpp"
#include "svdf_float32.hpp"
#include "kws_ref_model.hpp"
%(data)s
template <class M>
static int step(const char* tag, M& m, const uint8_t* in) {
  memcpy(m.input(0).data(), in, m.input(0).num_bytes());
  if (m.invoke() != utensor::Status::ok) {
    printf("%%s: invoke failed\n", tag);
    return 1;
  }
  const uint8_t* o = static_cast<const uint8_t*>(m.output(0).data());
  printf("%%s", tag);
  for (size_t i = 0; i < m.output(0).num_bytes(); ++i) printf(" %%02x", o[i]);
  printf("\n");
  return 0;
}

// Buffers handed in: the whole model, state first (none for kws, stateless).
alignas(16) static uint8_t own[SvdfInt8::kArenaBytes];
alignas(16) static uint8_t own_kws[KwsRefModel::kArenaBytes];
// State and scratch handed in apart: one scratch buffer of the project's for two models.
constexpr size_t kProjectScratch = SvdfInt8::kScratchBytes > SvdfFloat32::kScratchBytes
                                       ? SvdfInt8::kScratchBytes : SvdfFloat32::kScratchBytes;
alignas(16) static uint8_t project_scratch[kProjectScratch];
alignas(16) static uint8_t state_f[SvdfFloat32::kStateBytes];
alignas(16) static uint8_t state_i[SvdfInt8::kStateBytes];

int main() {
  SvdfInt8 a;
  SvdfFloat32 b;
  KwsRefModel k;
  SvdfInt8 mine(own);
  KwsRefModel kws_own(own_kws);
  SvdfFloat32 pf(state_f, project_scratch);
  SvdfInt8 pi(state_i, project_scratch);
  if (pf.state() != state_f || pi.state() != state_i || pf.arena() != project_scratch) return 6;
  // Too small a state, or a misaligned scratch: refused, invoke() says so.
  SvdfInt8 small(state_i, SvdfInt8::kStateBytes - 1, project_scratch, sizeof project_scratch);
  SvdfInt8 skew(state_i, sizeof state_i, project_scratch + 1, sizeof project_scratch - 1);
  if (small.state() != nullptr || small.arena() != nullptr || small.invoke() != utensor::Status::invalid_argument) return 7;
  if (skew.state() != nullptr || skew.invoke() != utensor::Status::invalid_argument) return 7;
  const uint8_t* shared = k.arena();
  // One scratch arena for the three default instances, each state apart from it.
  if (a.arena() != shared || b.arena() != shared) return 2;
  if (a.state() == nullptr || b.state() == nullptr || a.state() == b.state()) return 3;
  if (k.state() != nullptr || mine.state() != own || mine.arena() != own) return 4;
  if (kws_own.arena() != own_kws || kws_own.state() != nullptr) return 4;
  for (const uint8_t* s : {a.state(), b.state()}) {
    if (s + SvdfInt8::kStateBytes > shared && s < shared + %(shared)d) return 5;
  }
  int bad = 0;
  for (int round = 0; round < 2; ++round) {
    for (int s = 0; s < %(steps)d; ++s) {
      bad |= step("a", a, kA[s]);
      bad |= step("k", k, kK[s]);
      bad |= step("b", b, kB[s]);
      bad |= step("m", mine, kM[s]);
      bad |= step("n", kws_own, kN[s]);
      bad |= step("p", pf, kP[s]);
      bad |= step("q", pi, kQ[s]);
    }
    a.reset();
    b.reset();
    mine.reset();
    pf.reset();
    pi.reset();
  }
  return bad;
}
"""


def _bytes_array(name, samples):
    rows = [f"static const uint8_t {name}{k}[] = {{{', '.join(str(v) for v in x[0].tobytes())}}};"
            for k, x in enumerate(samples)]
    return "\n".join(rows + [f"static const uint8_t* const {name}[] = {{{', '.join(f'{name}{k}' for k in range(len(samples)))}}};"])


@pytest.mark.parametrize("guard", [False, True], ids=["plain", "guard"])
def test_stateful_models_alternating_on_the_host(tmp_path, guard):
    """svdf_int8, kws, svdf_float32, svdf_int8 and kws instances on buffers of their own, and
    svdf_float32 and svdf_int8 instances given their states apart and one scratch buffer, in turn,
    STEPS invokes each, reset(), again: all equal tflite_micro (ASan/UBSan build). With
    --guard too: the state's canaries (checked from the state buffer) and the scratch's
    raise no false alarm."""
    from utensor import hostbuild

    paths = _svdf_models(tmp_path)
    out = tmp_path / "gen"
    cs = convert.convert_to_directory([paths["svdf_int8"], paths["svdf_float32"], KWS], str(out),
                                      shared_arena=True, guard=guard)
    if guard:
        assert "utensor::guard::check(state, kStateCanaries" in (out / "svdf_int8.cpp").read_text()
    shared_bytes = max(c.emitted.arena_bytes - c.emitted.state_bytes for c in cs)
    xs = {"a": _sequence(paths["svdf_int8"], 11), "b": _sequence(paths["svdf_float32"], 12),
          "k": _inputs(KWS, 13, STEPS), "m": _sequence(paths["svdf_int8"], 14), "n": _inputs(KWS, 15, STEPS),
          "p": _sequence(paths["svdf_float32"], 16), "q": _sequence(paths["svdf_int8"], 17)}
    data = "\n".join(_bytes_array("k" + tag.upper(), xs[tag]) for tag in xs)
    (tmp_path / "main.cpp").write_text(STATEFUL_DRIVER % {"data": data, "steps": STEPS, "shared": shared_bytes})
    lib = hostbuild.runtime_library(sanitize=True)
    exe = tmp_path / "alternate"
    subprocess.run([hostbuild.CXX, *hostbuild._flags(True), *(["-DUTENSOR_ARENA_GUARD"] if guard else []),  # pylint: disable=protected-access
                    "-I", hostbuild.RUNTIME_INCLUDE, "-I", str(out), str(tmp_path / "main.cpp"),
                    *sorted(str(p) for p in out.glob("*.cpp")), lib, "-o", str(exe)],
                   check=True, capture_output=True, text=True)
    r = subprocess.run([str(exe)], capture_output=True, text=True, check=False)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-4000:]
    got = {tag: [] for tag in xs}
    for line in r.stdout.strip().splitlines():
        tag, *hexes = line.split()
        got[tag].append(bytes(int(h, 16) for h in hexes))
    model_of = {"a": paths["svdf_int8"], "b": paths["svdf_float32"], "k": KWS, "m": paths["svdf_int8"], "n": KWS,
                "p": paths["svdf_float32"], "q": paths["svdf_int8"]}
    problems = []
    for tag, path in model_of.items():
        refs = _reference_sequence(path, xs[tag])
        assert len(got[tag]) == 2 * STEPS
        ours = [np.frombuffer(g, dtype=np.asarray(ref[0]).dtype) for g, ref in zip(got[tag], refs)]
        problems += _mismatches(tag, ours, refs)
    assert problems == []


def _elf_symbols(elf):
    """name -> size of the ELF's sized symbols (arm-none-eabi-nm -S)."""
    out = subprocess.run(["arm-none-eabi-nm", "-S", elf], capture_output=True, text=True, check=True).stdout
    sizes = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 4:
            sizes[parts[3]] = int(parts[1], 16)
    return sizes


@pytest.mark.skipif(any(shutil.which(t) is None for t in ("arm-none-eabi-gcc", "arm-none-eabi-nm", "qemu-system-arm")),
                    reason="needs arm-none-eabi-gcc, arm-none-eabi-nm and qemu-system-arm")
def test_stateful_models_alternating_on_the_m4(tmp_path):
    """The harness firmware with both spotters and kws (custom_utensor_shared_arena = yes):
    the ELF's arena symbols are the largest scratch and each state, their sum the RAM we
    report (and the board budget check counts); driven alternately through the serial
    harness over a sequence, reset, and again, every model equals tflite_micro."""
    from test_platform_extra_script import _script_functions
    from utensor import firmware_ram
    from utensor.harness.backends import QemuBackend
    from utensor.harness.client import HarnessClient
    from utensor.harness.firmware import build_firmware

    paths = _svdf_models(tmp_path)
    order = [paths["svdf_int8"], KWS, paths["svdf_float32"]]
    fw = build_firmware(order, "mps2_an386", str(tmp_path / "fw"),
                        extra_options=[("custom_utensor_shared_arena", "yes")])
    manifests = list((tmp_path / "fw").rglob(convert.MANIFEST_FILE))
    assert len(manifests) == 1
    models = json.loads(manifests[0].read_text())["models"]
    ram = firmware_ram.firmware_ram(models)
    symbols = _elf_symbols(fw.elf)
    assert symbols["utensor_shared_arena"] == ram.shared_scratch == max(firmware_ram.scratch_bytes(m) for m in models)
    for m in models:
        if m["state_bytes"]:
            assert symbols[f"utensor_state_{m['name']}"] == m["state_bytes"] == ram.states[m["name"]]
    assert set(ram.states) == {"svdf_int8", "svdf_float32"} and not ram.own_arenas
    assert not [s for s in symbols if "default_arena" in s]  # no model has an arena of its own
    elf_ram = symbols["utensor_shared_arena"] + sum(symbols[f"utensor_state_{n}"] for n in ram.states)
    assert elf_ram == ram.total
    # The board budget check counts the same bytes: refused one byte short, accepted at it.
    check = _script_functions()["check_board_budget"]
    gen = str(manifests[0].parent)
    assert f"{ram.total:,} B of RAM" in check(gen, "tiny", 0, ram.total - 1)
    assert check(gen, "tiny", 0, ram.total) is None

    backend = QemuBackend("mps2_an386", exact_count=False)
    url = backend.start(fw)
    try:
        client = HarnessClient(url)
        info = client.hello()
        index = {m.name: k for k, m in enumerate(info.models)}
        xs = {p: (_inputs(p, 21, STEPS) if p == KWS else _sequence(p, 20 + k)) for k, p in enumerate(order)}
        got = {p: [] for p in order}
        model = {p: index[os.path.splitext(os.path.basename(p))[0]] for p in order}
        for _ in range(2):
            for s in range(STEPS):
                for p in order:
                    # step(): the state carried over; kws is stateless.
                    outs, _ = client.step(model[p], xs[p][s])
                    got[p].append(outs[0])
            for p in order:
                if p != KWS:
                    client.reset(model[p])
        client.bye()
    finally:
        backend.close()
    problems = []
    for p in order:
        problems += _mismatches(os.path.basename(p), got[p], _reference_sequence(p, xs[p]))
    assert problems == []


def test_inspect_and_bench_report_the_shared_scratch_once_and_each_state(tmp_path, capsys):
    from utensor import cli
    from utensor.bench import report

    paths = _svdf_models(tmp_path)
    assert cli.main(["inspect", paths["svdf_int8"], paths["svdf_float32"], AD01, "--shared-arena"]) == 0
    text = capsys.readouterr().out
    cs = {n: convert.convert_file(p) for n, p in (("svdf_int8", paths["svdf_int8"]),
                                                  ("svdf_float32", paths["svdf_float32"]), ("ad01_int8", AD01))}
    scratch = {n: c.emitted.arena_bytes - c.emitted.state_bytes for n, c in cs.items()}
    states = {n: c.emitted.state_bytes for n, c in cs.items() if c.emitted.state_bytes}
    total = max(scratch.values()) + sum(states.values())
    assert f"in one firmware with --shared-arena: {total:,} B of RAM for tensors: shared arena {max(scratch.values()):,} B" in text
    for n, b in states.items():
        assert f"state {b:,} B, in a buffer of its own with --shared-arena, the scratch ({scratch[n]:,} B)" in text
        assert f"{n} state {b:,} B" in text
    # bench: from each model's figures (the M4 test checks the formula against an ELF).
    results = [{"model": n, "arena_bytes": c.emitted.arena_bytes, "state_bytes": c.emitted.state_bytes}
               for n, c in cs.items()]
    ram = report.shared_arena_ram(results)
    assert ram["total"] == total and ram["states"] == states and ram["shared_scratch"] == max(scratch.values())
    assert ram["separate_arenas"] == sum(c.emitted.arena_bytes for c in cs.values())
    run = {"board": "mps2_an386", "results": [], "firmware_ram": ram}
    assert f"with `--shared-arena`: {total:,} B of RAM for tensors" in report.markdown([run])


CMAKE_MAIN = r"""
// svdf_int8 and sine_int8 with SHARED_ARENA, invoked in turn: svdf's state carries over.
#include <stdio.h>
#include <string.h>

#include "sine_int8.hpp"
#include "svdf_int8.hpp"
#include "utensor/port.hpp"

%(data)s

int main() {
  utensor_port_init();
  SvdfInt8 svdf;
  SineInt8 sine;
  if (svdf.arena() != sine.arena()) return 2;
  for (int round = 0; round < 2; ++round) {
    for (int s = 0; s < %(steps)d; ++s) {
      // Each model's input just before its invoke(): the other's invoke() reuses the bytes.
      memcpy(svdf.input_data<int8_t>(0), kX[s], sizeof kX[s]);
      if (svdf.invoke() != utensor::Status::ok) return 3;
      printf("svdf");
      for (size_t i = 0; i < svdf.output(0).num_bytes(); ++i) printf(" %%d", svdf.output_data<int8_t>(0)[i]);
      printf("\n");
      sine.input_0_data()[0] = static_cast<int8_t>(s * 9 - 40);
      if (sine.invoke() != utensor::Status::ok) return 3;
      printf("sine %%d\n", sine.output_data<int8_t>(0)[0]);
    }
    svdf.reset();
  }
  return 0;
}
"""


@pytest.mark.skipif(any(shutil.which(t) is None for t in ("cmake", "arm-none-eabi-g++", "arm-none-eabi-objdump",
                                                           "qemu-system-arm")),
                    reason="needs cmake, arm-none-eabi-g++, arm-none-eabi-objdump and qemu-system-arm")
def test_cmake_shared_arena_with_a_stateful_model(tmp_path):
    """utensor_add_model(... SHARED_ARENA) with the stateful svdf_int8 and the stateless sine
    model (examples/cmake_mps2): built for mps2_an386 with the state placed in a section of
    its own through UTENSOR_MODEL_SVDF_INT8_STATE_ATTRIBUTE, alternating in QEMU over a
    sequence, reset(), again: equal to tflite_micro."""
    import piohelp
    from test_cmake_model import EXAMPLE, _build, _configure
    from utensor import qemu

    source = tmp_path / "app"
    shutil.copytree(EXAMPLE, source, ignore=shutil.ignore_patterns("build"))
    svdf = source / "models" / "svdf_int8.tflite"
    svdf.write_bytes(open(_svdf_models(tmp_path)["svdf_int8"], "rb").read())
    xs = _sequence(str(svdf), 31)
    rows = [f"{{{', '.join(str(int(v)) for v in x[0].reshape(-1))}}}" for x in xs]
    data = f"static const int8_t kX[{STEPS}][{xs[0][0].size}] = {{\n  " + ",\n  ".join(rows) + "};"
    (source / "src" / "main.cpp").write_text(CMAKE_MAIN % {"data": data, "steps": STEPS})
    cml = source / "CMakeLists.txt"
    text = cml.read_text()
    assert "utensor_add_model(sine_app models/sine_int8.tflite)" in text
    cml.write_text(text.replace(
        "utensor_add_model(sine_app models/sine_int8.tflite)",
        "utensor_add_model(sine_app models/sine_int8.tflite models/svdf_int8.tflite SHARED_ARENA)\n"
        "target_compile_definitions(sine_app PRIVATE\n"
        "  \"UTENSOR_MODEL_SVDF_INT8_STATE_ATTRIBUTE=__attribute__((section(\\\".bss.svdf_state\\\")))\")"))
    build = tmp_path / "build"
    result = _configure(source, build)
    assert result.returncode == 0, piohelp.tail(result)
    result = _build(build)
    assert result.returncode == 0, piohelp.tail(result)
    assert "utensor_shared_arena.cpp" in "".join(os.listdir(build / "utensor_gen" / "sine_app"))
    obj = build / "CMakeFiles" / "sine_app.dir" / "utensor_gen" / "sine_app" / "svdf_int8.cpp.obj"
    headers = piohelp.run(["arm-none-eabi-objdump", "-h", str(obj)], str(build)).stdout
    assert ".bss.svdf_state" in headers, headers
    state_bytes = convert.convert_file(str(svdf)).emitted.state_bytes
    assert _elf_symbols(str(build / "sine_app.elf"))["utensor_state_svdf_int8"] == state_bytes
    cmd = qemu.qemu_command("mps2_an386", str(build / "sine_app.elf"), "stdio")
    run = piohelp.run(["timeout", "60"] + cmd, str(build), timeout=90)
    assert run.returncode == 0, run.stdout + run.stderr
    svdf_out = [[int(v) for v in ln.split()[1:]] for ln in run.stdout.splitlines() if ln.startswith("svdf")]
    sine_out = [int(ln.split()[1]) for ln in run.stdout.splitlines() if ln.startswith("sine ")]
    refs = _reference_sequence(str(svdf), xs)
    assert svdf_out == [np.asarray(r[0]).reshape(-1).astype(int).tolist() for r in refs]
    sine_ref = Reference((source / "models" / "sine_int8.tflite").read_bytes())
    assert sine_out == [int(sine_ref.invoke([np.array([[s * 9 - 40]], np.int8)])[0].reshape(-1)[0])
                        for s in range(STEPS)] * 2


# A generic interleaving runner over the registry's descriptors (each model's default
# instance): stdin is a script of 'I' <model> <input bytes...> (invoke; its outputs go to
# stdout) and 'R' <model> (reset).
INTERLEAVE_RUNNER = r"""
#include <stdio.h>
#include <string.h>
#include "utensor/model.hpp"

int main() {
  int op;
  while ((op = getchar()) != EOF) {
    const int index = getchar();
    if (index < 0 || static_cast<size_t>(index) >= utensor_model_registry_size) return 2;
    const utensor::ModelDescriptor& m = *utensor_model_registry[index];
    if (op == 'R') {
      m.reset();
      continue;
    }
    for (uint8_t i = 0; i < m.num_inputs; ++i) {
      if (fread(m.inputs[i].data, 1, m.inputs[i].bytes, stdin) != m.inputs[i].bytes) return 3;
    }
    if (m.invoke() != utensor::Status::ok) return 4;
    for (uint8_t i = 0; i < m.num_outputs; ++i) fwrite(m.outputs[i].data, 1, m.outputs[i].bytes, stdout);
  }
  return 0;
}
"""


def test_lstm_resource_variables_svdf_and_kws_take_turns_on_the_host(tmp_path):
    """Every kind of state in one shared-arena folder: a float LSTM (cell and activation
    states), resource variables with CALL_ONCE (its once-flag kept by reset()), the int8 SVDF
    spotter, and kws (stateless, the largest scratch), invoked in turn over STEPS, each
    stateful one reset, again: every output equals tflite_micro run the same way."""
    from lstm_models import build_lstm_model
    from test_stateful import _resource_variable_model
    from utensor import hostbuild
    from utensor.ir import numpy_dtype

    paths = [_svdf_models(tmp_path)["svdf_int8"], str(tmp_path / "lstm_f32.tflite"), str(tmp_path / "ema.tflite"), KWS]
    (tmp_path / "lstm_f32.tflite").write_bytes(build_lstm_model(6, [8], 5, seed=7, head=3))
    (tmp_path / "ema.tflite").write_bytes(_resource_variable_model())
    out = tmp_path / "gen"
    cs = convert.convert_to_directory(paths, str(out), shared_arena=True)
    assert all(c.emitted.state_bytes for c in cs[:3]) and cs[3].emitted.state_bytes == 0
    (tmp_path / "runner.cpp").write_text(INTERLEAVE_RUNNER)
    exe = tmp_path / "runner"
    subprocess.run([hostbuild.CXX, *hostbuild._flags(True), "-I", hostbuild.RUNTIME_INCLUDE,  # pylint: disable=protected-access
                    "-I", str(out), str(tmp_path / "runner.cpp"), *sorted(str(p) for p in out.glob("*.cpp")),
                    hostbuild.runtime_library(True), "-o", str(exe)], check=True, capture_output=True, text=True)
    xs = [(_inputs(p, 40 + k, STEPS) if p == KWS else _sequence(p, 40 + k)) for k, p in enumerate(paths)]
    script = bytearray()
    for _ in range(2):
        for s in range(STEPS):
            for k, c in enumerate(cs):
                script += b"I" + bytes([k]) + b"".join(np.ascontiguousarray(x).tobytes() for x in xs[k][s])
        for k, c in enumerate(cs[:3]):
            script += b"R" + bytes([k])
    r = subprocess.run([str(exe)], input=bytes(script), capture_output=True, check=False)
    assert r.returncode == 0, r.stderr.decode(errors="replace")[-3000:]
    got = [[] for _ in cs]
    pos = 0
    for _ in range(2 * STEPS):
        for k, c in enumerate(cs):
            outs = []
            for t in (c.graph.tensor(i) for i in c.graph.outputs):
                outs.append(np.frombuffer(r.stdout[pos:pos + t.nbytes], dtype=numpy_dtype(t.dtype)).reshape(t.shape))
                pos += t.nbytes
            got[k].append(outs[0])
    assert pos == len(r.stdout)
    problems = []
    for k, p in enumerate(paths):
        problems += _mismatches(os.path.basename(p), got[k], _reference_sequence(p, xs[k]))
    assert problems == []
    # reset() put SVDF's and LSTM's state back: their second round repeats the first. The
    # variables restart from zeros, not from the init subgraph's values (kept once-flag): as
    # tflite_micro, the round differs.
    for k in range(2):
        assert all(np.array_equal(a, b) for a, b in zip(got[k][:STEPS], got[k][STEPS:]))
    assert not np.array_equal(got[2][0], got[2][STEPS])


@pytest.mark.parametrize("buffers, message", [
    ("alignas(16) static uint8_t a[SvdfInt8::kArenaBytes - 1];\nSvdfInt8 m(a);",
     "the arena handed to SvdfInt8 is smaller than SvdfInt8::kArenaBytes"),
    ("alignas(16) static uint8_t st[SvdfInt8::kStateBytes - 1];\n"
     "alignas(16) static uint8_t sc[SvdfInt8::kScratchBytes];\nSvdfInt8 m(st, sc);",
     "the state buffer handed to SvdfInt8 is smaller than SvdfInt8::kStateBytes"),
    ("alignas(16) static uint8_t st[SvdfInt8::kStateBytes];\n"
     "alignas(16) static uint8_t sc[SvdfInt8::kScratchBytes - 1];\nSvdfInt8 m(st, sc);",
     "the scratch buffer handed to SvdfInt8 is smaller than SvdfInt8::kScratchBytes"),
], ids=["arena", "state", "scratch"])
def test_buffers_handed_in_are_checked_at_compile_time(tmp_path, buffers, message):
    """A buffer handed in holds the whole model (kArenaBytes: state and scratch); state and
    scratch handed in apart hold kStateBytes and kScratchBytes."""
    from utensor import hostbuild

    out = tmp_path / "gen"
    convert.convert_to_directory([_svdf_models(tmp_path)["svdf_int8"]], str(out), shared_arena=True)
    (tmp_path / "tu.cpp").write_text('#include "svdf_int8.hpp"\n' + buffers + "\n")
    r = subprocess.run([hostbuild.CXX, "-std=c++11", "-fsyntax-only", "-I", hostbuild.RUNTIME_INCLUDE, "-I", str(out),
                        str(tmp_path / "tu.cpp")], capture_output=True, text=True, check=False)
    assert r.returncode != 0 and message in r.stderr, r.stderr[-2000:]
