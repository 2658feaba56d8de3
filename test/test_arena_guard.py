"""The arena guard (`utensor convert --guard`, -DUTENSOR_ARENA_GUARD, utensor/guard.hpp).

A guarded KWS model (conv, depthwise, pool, reshape, FC, softmax) is compiled for the host
under ASan/UBSan with test/guard/guard_probe.cpp, which can flip one arena byte after a
chosen layer through the emitter's layer hook, as a kernel writing past its buffer would:
- untouched, the guarded model's outputs equal tflite_micro's;
- a flipped canary byte is reported by an error event naming that layer (index and type)
  and the canary's offset, and invoke() returns Status::arena_corrupted;
- a flipped byte inside a live buffer's data is not a canary: no event (no false alarm);
- guarded sources built without -DUTENSOR_ARENA_GUARD stop the compiler with the fix.
"""

import os
import re
import shutil
import subprocess

import numpy as np
import pytest

from utensor import convert, emitter, hostbuild, planner
from utensor.harness.client import status_name

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KWS = "/work/shared/models/mlperf_tiny/kws_ref_model.tflite"
if not os.path.exists(KWS):
    KWS = os.path.join(ROOT, "..", "shared", "models", "mlperf_tiny", "kws_ref_model.tflite")
PROBE = os.path.join(ROOT, "test", "guard", "guard_probe.cpp")


def _guarded(model_path, out_dir):
    """Convert with the guard and the layer hook (the probe damages memory from it)."""
    graph = convert.passes.run_all(convert.read_model(model_path))
    calls = convert.lower_graph(graph)
    plan = planner.plan_memory(graph, [c.scratch_bytes for c in calls], [c.inplace for c in calls],
                               [c.row_streaming for c in calls], guard_bytes=convert.GUARD_BYTES)
    em = emitter.emit_model(graph, calls, plan, layer_hooks=True)
    os.makedirs(out_dir, exist_ok=True)
    for name, text in ((em.header_name, em.header), (em.source_name, em.source),
                       (convert.REGISTRY_FILE, emitter.emit_registry([graph.name]))):
        with open(os.path.join(out_dir, name), "w", encoding="utf-8") as f:
            f.write(text)
    return graph, plan, em


def _compile(gen, exe, defines):
    sources = sorted(os.path.join(gen, f) for f in os.listdir(gen) if f.endswith(".cpp"))
    cmd = [hostbuild.CXX, *hostbuild.BASE_FLAGS, *hostbuild.SANITIZE_FLAGS, *defines,
           "-I", hostbuild.RUNTIME_INCLUDE, "-I", gen, PROBE, *sources,
           hostbuild.runtime_library(True), "-o", exe]
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


@pytest.fixture(scope="module")
def probe(tmp_path_factory):
    if shutil.which(hostbuild.CXX) is None or not os.path.exists(KWS):
        pytest.skip("needs a host C++ compiler and the MLPerf Tiny KWS model")
    work = tmp_path_factory.mktemp("guard")
    gen = str(work / "gen")
    graph, plan, em = _guarded(KWS, gen)
    exe = str(work / "probe")
    r = _compile(gen, exe, ["-DUTENSOR_ARENA_GUARD", "-DUTENSOR_LAYER_HOOK=guard_probe_hook"])
    assert r.returncode == 0, r.stdout[-3000:]
    return graph, plan, em, exe, gen


def _run(probe, x, corrupt_after=-1, offset=0):
    graph, plan, _, exe, _ = probe
    in_offset = plan.tensor_offset[graph.inputs[0]]
    r = subprocess.run([exe, str(corrupt_after), str(offset), str(in_offset)], input=x.tobytes(),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, check=True)
    head, *outs = r.stdout.decode().split("\n")
    m = re.fullmatch(r"status (\d+) events (\d+) detail (-?\d+) op (\S+) offset (-?\d+)", head)
    assert m, head
    status, events, detail, op, off = m.groups()
    out = np.frombuffer(bytes.fromhex(outs[0]), np.int8)
    return status_name(int(status)), int(events), int(detail), op, int(off), out


def _buffer_of(plan, tensor):
    return next(b for b in plan.buffers if tensor in b.tensors)


def test_guarded_plan_keeps_canaries_apart(probe):
    graph, plan, em, _, _ = probe
    assert plan.guard_bytes == 16 and all(b.guard == 16 for b in plan.buffers)
    assert plan.overlapping_pairs() == []
    plain = convert.convert_file(KWS).plan
    print(f"[guard] kws_ref_model arena: {plain.arena_bytes} B plain, {plan.arena_bytes} B guarded")
    assert plan.arena_bytes > plain.arena_bytes
    assert "#error" in em.source and "utensor::guard::check" in em.source


def test_guarded_model_matches_tflite_micro(probe):
    from utensor.reference import Reference

    graph = probe[0]
    with open(KWS, "rb") as f:
        ref = Reference(f.read())
    shape = tuple(graph.tensor(graph.inputs[0]).shape)
    rng = np.random.default_rng(8)
    for _ in range(3):
        x = rng.integers(-128, 128, size=shape, dtype=np.int8)
        status, events, *_, out = _run(probe, x)
        assert (status, events) == ("ok", 0)
        np.testing.assert_array_equal(out, ref.invoke([x])[0].reshape(-1))


@pytest.mark.parametrize("layer", [0, 2, 5])
def test_write_past_a_buffer_names_the_layer(probe, layer):
    graph, plan, *_ = probe
    op = graph.operators[layer]
    b = _buffer_of(plan, op.outputs[0])
    canary = b.offset + b.size - b.guard  # the first byte past the layer's output
    x = np.zeros(graph.tensor(graph.inputs[0]).shape, np.int8)
    status, events, detail, op_type, off, _ = _run(probe, x, layer, canary)
    print(f"[guard] byte past operator #{layer} {op.op_type}'s output: {status}, event detail "
          f"{detail} ({op_type}), canary offset {off}")
    assert status == "arena canary overwritten"
    assert (events, detail, op_type, off) == (1, layer, op.op_type, canary)


def test_write_inside_a_buffer_is_not_an_alarm(probe):
    graph, plan, *_ = probe
    b = _buffer_of(plan, graph.operators[1].outputs[0])
    x = np.zeros(graph.tensor(graph.inputs[0]).shape, np.int8)
    status, events, *_ = _run(probe, x, 1, b.offset)  # data, not a canary
    assert (status, events) == ("ok", 0)


def test_guarded_sources_need_the_macro(probe, tmp_path):
    gen = probe[4]
    r = _compile(gen, str(tmp_path / "x"), ["-DUTENSOR_LAYER_HOOK=guard_probe_hook"])
    assert r.returncode != 0
    assert "generated with the arena guard" in r.stdout and "-DUTENSOR_ARENA_GUARD" in r.stdout


def test_convert_cli_guard_option(tmp_path, capsys):
    from utensor.cli import main

    sine = os.path.join(ROOT, "examples", "hello_world", "models", "sine_int8.tflite")
    assert main(["convert", sine, "-o", str(tmp_path / "g"), "--guard"]) == 0
    assert main(["convert", sine, "-o", str(tmp_path / "p")]) == 0
    guarded = (tmp_path / "g" / "sine_int8.cpp").read_text()
    plain = (tmp_path / "p" / "sine_int8.cpp").read_text()
    assert "utensor::guard::check" in guarded and "utensor::guard" not in plain
    # the plain sources refuse a build that expects the guard
    assert "#ifdef UTENSOR_ARENA_GUARD\n#error" in plain


def test_extra_script_turns_the_guard_on():
    """custom_utensor_guard = yes, or the macro in build_flags, converts with --guard."""
    script = os.path.join(ROOT, "platformio", "extra_script.py")
    g = {"__name__": "utensor_extra_script", "Import": lambda *a: None}
    with open(script, encoding="utf-8") as f:
        source = f.read().replace("\nmain()\n", "\n")  # definitions only
    exec(compile(source, script, "exec"), g)  # noqa: S102
    on = g["guard_enabled"]
    assert on("yes", []) and on("", ["-O2 -DUTENSOR_ARENA_GUARD"]) and on("", "-DUTENSOR_ARENA_GUARD=1")
    assert not on("", ["-DUTENSOR_ARENA_GUARDIAN"]) and not on("no", [])
    cmd = g["converter_command"]("py", ["m.tflite"], "out", guard=True)
    assert cmd[-1] == "--guard"
    assert "--guard" not in g["converter_command"]("py", ["m.tflite"], "out")
    stamp = g["compute_stamp"]
    args = ([], None, "py", os.path.join(ROOT, "scripts", "utensor", "templates"), "out")
    assert stamp(*args) != stamp(*args, guard=True)


def test_guarded_model_on_qemu_through_platformio(tmp_path):
    """`custom_utensor_guard = yes` in a PlatformIO project: built for mps2_an386 (the
    generated #error proves the macro reached the model), served by the harness firmware,
    all 256 inputs of the sine model equal tflite_micro's."""
    if shutil.which("pio") is None or shutil.which("qemu-system-arm") is None:
        pytest.skip("needs pio and qemu-system-arm")
    from utensor.harness.client import HarnessClient
    from utensor.harness.firmware import PLATFORM_DIR, REPO, run_pio
    from utensor.qemu import QemuSession
    from utensor.reference import Reference

    sine = os.path.join(ROOT, "examples", "hello_world", "models", "sine_int8.tflite")
    (tmp_path / "src").mkdir()
    (tmp_path / "platformio.ini").write_text(
        "[env:harness]\n"
        f"platform = symlink://{PLATFORM_DIR}\nboard = mps2_an386\nlib_deps = symlink://{REPO}\n"
        f"custom_utensor_models = {sine}\ncustom_utensor_guard = yes\ntest_framework = custom\n")
    (tmp_path / "src" / "main.cpp").write_text(
        '#include "utensor/harness.hpp"\nint main() { return utensor::harness::serve(); }\n')
    run_pio(str(tmp_path))
    gen = tmp_path / ".pio" / "build" / "harness" / "utensor_gen" / "src" / "sine_int8.cpp"
    assert "utensor::guard::check" in gen.read_text()
    with open(sine, "rb") as f:
        ref = Reference(f.read())
    elf = str(tmp_path / ".pio" / "build" / "harness" / "firmware.elf")
    with QemuSession("mps2_an386", elf, timeout_s=300) as q:
        with HarnessClient(q.url) as c:
            (m,) = c.hello().models
            assert m.arena_bytes == 64  # 32 B unguarded: the canaries are planned
            for v in range(-128, 128):
                x = np.full(m.inputs[0].shape, v, np.int8)
                (out,), _ = c.run(0, [x])
                np.testing.assert_array_equal(out, ref.invoke([x])[0])
            c.bye()
        assert q.wait(10) == 0
