"""Fuzz the converter with seeded mutants of the MLPerf Tiny models.

Every mutant (test/model_mutator.py: flipped bytes, truncation, out-of-range indices and
buffer offsets, absurd dimensions, cycles, wrong quantization arrays, wrong dtypes,
missing options, ...) must either convert, or raise a `UtensorError` whose message names
the file. Never another exception, a hang or a memory blow-up, and never a partial output:
after a failure the output directory is exactly as before, and no file appears anywhere
else. A deterministic sample of the mutants that convert is compiled with the host
compiler, to prove the generated code compiles.

The converter runs in-process (no interpreter start per mutant) in two forked workers,
each under an address-space limit (RLIMIT_AS) and a per-mutant alarm; the parent kills a
worker that stays silent past a hard limit and records the mutant as a hang.

UTENSOR_FUZZ_MUTANTS=N runs N mutants (default 2000); UTENSOR_FUZZ_SEED=S shifts the seeds.
"""

import collections
import faulthandler
import glob
import multiprocessing
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback

import numpy as np
import pytest

import conftest
import model_mutator
from utensor import convert, hostbuild
from utensor.errors import UtensorError

N_MUTANTS = int(os.environ.get("UTENSOR_FUZZ_MUTANTS", "2000"))
SEED = int(os.environ.get("UTENSOR_FUZZ_SEED", "0"))
WORKERS = 2
SOFT_LIMIT_S = 20.0  # per mutant, raised inside the worker
HARD_LIMIT_S = 60.0  # per mutant, the parent kills the worker
MEMORY_LIMIT = 3 << 30  # bytes of address space a worker may add on top of what it has
COMPILE_EVERY = 25
COMPILE_AT_LEAST = 20

# Models and their share of the mutants. Converting a float model that survives its
# mutation takes ~1.5 s (its weights print as text), an int8 one ~0.1 s, so the int8 and
# small models take most of the budget; every model is covered.
MODELS = {
    "kws_ref_model.tflite": 8,
    "pretrainedResnet_quant.tflite": 8,
    "vww_96_int8.tflite": 4,
    "ad01_int8.tflite": 3,
    "kws_ref_model_float32.tflite": 4,
    "pretrainedResnet.tflite": 1,
    "vww_96_float.tflite": 1,
    "ad01_fp32.tflite": 1,
}


class Hang(BaseException):
    """Raised by the alarm in a worker; BaseException so no `except Exception` hides it."""


def plan(n: int, seed: int):
    """(mutant id, model file, seed) for n mutants: deterministic, models interleaved."""
    wheel = [m for m, w in MODELS.items() for _ in range(w)]
    return [(i, wheel[i % len(wheel)], seed * 1_000_003 + i) for i in range(n)]


def load_models():
    models = {}
    for name in MODELS:
        with open(os.path.join(conftest.MODELS_DIR, name), "rb") as f:
            data = f.read()
        models[name] = (data, model_mutator.build_map(data))
    return models


def snapshot(directory: str):
    """Names, sizes, inodes and times of the files in `directory` (cheap, exact enough:
    any write replaces a file and changes its inode)."""
    state = {}
    for entry in os.scandir(directory):
        st = entry.stat(follow_symlinks=False)
        # A directory's own times change when its files do; those are checked separately.
        state[entry.name] = "dir" if entry.is_dir(follow_symlinks=False) else (st.st_size, st.st_ino, st.st_mtime_ns)
    return state


def run_mutant(models, job, work: str) -> dict:
    """Convert one mutant; returns its outcome (never raises)."""
    index, model, seed = job
    data, model_map = models[model]
    mutant, description = model_mutator.mutate(data, model_map, seed)
    in_dir = os.path.join(work, "in")
    out_dir = os.path.join(work, "out")
    path = os.path.join(in_dir, "mutant.tflite")
    with open(path, "wb") as f:
        f.write(mutant)
    before_out, before_in, before_cwd = snapshot(out_dir), snapshot(in_dir), snapshot(work)
    result = dict(index=index, model=model, seed=seed, kind=model_mutator.kind_of(description),
                  description=description)
    start = time.perf_counter()
    signal.setitimer(signal.ITIMER_REAL, SOFT_LIMIT_S)
    try:
        convert.convert_to_directory([path], out_dir)
        result["outcome"] = "converted"
    except UtensorError as e:
        result["outcome"] = "error"
        result["message"] = str(e)
        result["error_type"] = type(e).__name__
    except Hang:
        result["outcome"] = "hang"
    except MemoryError:
        result["outcome"] = "memory"
        result["trace"] = traceback.format_exc(limit=-6)
    except Exception:  # noqa: BLE001 - this is what the fuzzer looks for
        result["outcome"] = "crash"
        result["trace"] = traceback.format_exc(limit=-6)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
    result["seconds"] = time.perf_counter() - start
    problems = []
    after_out = snapshot(out_dir)
    if result["outcome"] != "converted":
        if after_out != before_out:
            problems.append(f"output directory changed after a failed conversion: {sorted(before_out)} -> {sorted(after_out)}")
    else:
        expected = {"mutant.hpp", "mutant.cpp", *convert.SHARED_FILES}
        if set(after_out) != expected:
            problems.append(f"output directory holds {sorted(after_out)}, expected {sorted(expected)}")
    if snapshot(in_dir) != before_in or snapshot(work) != before_cwd:
        problems.append("files written outside the output directory")
    if result["outcome"] == "error":
        msg = result["message"]
        if path not in msg:
            problems.append("the error message does not name the model file")
        if "Traceback" in msg or "\n\n" in msg.strip():
            problems.append("the error message is not one paragraph")
    result["problems"] = problems
    return result


def _alarm(signum, frame):
    raise Hang()


def _worker(conn, models, jobs, work):
    faulthandler.disable()  # a crash is reported by the parent, without pytest's stack dump
    signal.signal(signal.SIGALRM, _alarm)
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    with open("/proc/self/statm") as f:
        vm_bytes = int(f.read().split()[0]) * resource.getpagesize()
    resource.setrlimit(resource.RLIMIT_AS, (vm_bytes + MEMORY_LIMIT, hard))
    os.chdir(work)  # a relative write would land here, where it is noticed
    for job in jobs:
        conn.send(("start", job[0]))
        conn.send(("done", run_mutant(models, job, work)))
    conn.send(("finished", None))
    conn.close()


def run_campaign(jobs, models, root: str):
    """Run `jobs` over WORKERS forked workers; returns the list of outcomes."""
    ctx = multiprocessing.get_context("fork")
    pending = [jobs[k::WORKERS] for k in range(WORKERS)]
    results = {}
    active = []  # (process, connection, remaining jobs, work dir, current job id, started)

    def start(k, remaining):
        work = os.path.join(root, f"w{k}-{len(results)}")
        for sub in ("in", "out"):
            os.makedirs(os.path.join(work, sub), exist_ok=True)
        # Something generated before, which a failing conversion must leave alone.
        for name, text in [("mutant.hpp", "// previous\n"), ("mutant.cpp", "// previous\n")] + [
                (shared, "// previous\n") for shared in convert.SHARED_FILES]:
            with open(os.path.join(work, "out", name), "w") as f:
                f.write(text)
        parent, child = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_worker, args=(child, models, remaining, work), daemon=True)
        proc.start()
        child.close()
        active.append([proc, parent, list(remaining), work, None, time.monotonic()])

    for k, chunk in enumerate(pending):
        if chunk:
            start(k, chunk)
    while active:
        for slot in list(active):
            proc, conn, remaining, work, current, started = slot
            message = None
            if conn.poll(0.05):
                try:
                    message = conn.recv()
                except EOFError:
                    message = ("died", None)
            elif current is not None and time.monotonic() - started > HARD_LIMIT_S:
                message = ("killed", None)
            elif not proc.is_alive() and not conn.poll(0):
                message = ("died", None)
            if message is None:
                continue
            tag, payload = message
            if tag == "start":
                slot[4], slot[5] = payload, time.monotonic()
            elif tag == "done":
                results[payload["index"]] = payload
                slot[2] = [j for j in remaining if j[0] != payload["index"]]
                slot[4] = None
            elif tag == "finished":
                proc.join(5)
                active.remove(slot)
            else:  # killed (hang) or died (e.g. a segfault in numpy): record and go on
                proc.kill()
                proc.join(5)
                active.remove(slot)
                job = next((j for j in remaining if j[0] == current), remaining[0] if remaining else None)
                if job is not None:
                    outcome = "hang" if tag == "killed" else f"worker died (exit {proc.exitcode})"
                    results[job[0]] = dict(index=job[0], model=job[1], seed=job[2], kind="?",
                                           description="?", outcome=outcome, problems=[outcome], seconds=0.0)
                    rest = [j for j in remaining if j[0] != job[0]]
                    if rest:
                        start(len(results), rest)
    return [results[j[0]] for j in jobs if j[0] in results]


def compile_sample(converted, models, root: str):
    """Regenerate a deterministic sample of converted mutants and compile each with
    `g++ -fsyntax-only` against the runtime headers; returns (sample, failures)."""
    converted = sorted(converted, key=lambda r: r["index"])
    sample = converted[::COMPILE_EVERY]
    if len(sample) < COMPILE_AT_LEAST:
        step = max(1, len(converted) // COMPILE_AT_LEAST)
        sample = converted[::step][:max(COMPILE_AT_LEAST, len(sample))]
    failures = []
    for r in sample:
        data, model_map = models[r["model"]]
        mutant, _ = model_mutator.mutate(data, model_map, r["seed"])
        gen = os.path.join(root, f"compile{r['index']}")
        os.makedirs(gen)
        path = os.path.join(gen, "mutant.tflite")
        with open(path, "wb") as f:
            f.write(mutant)
        convert.convert_to_directory([path], os.path.join(gen, "out"))
        for source in ("mutant.cpp", convert.REGISTRY_FILE):
            cmd = [hostbuild.CXX, *hostbuild.BASE_FLAGS, "-fsyntax-only", "-I", hostbuild.RUNTIME_INCLUDE,
                   "-I", os.path.join(gen, "out"), os.path.join(gen, "out", source)]
            proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            if proc.returncode != 0:
                failures.append((r, source, proc.stdout[-3000:]))
        shutil.rmtree(gen, ignore_errors=True)
    return sample, failures


def summarize(results, seconds) -> str:
    outcomes = collections.Counter(r["outcome"] for r in results)
    by_kind = collections.defaultdict(collections.Counter)
    for r in results:
        by_kind[r["kind"]][r["outcome"]] += 1
    lines = [f"{len(results)} mutants in {seconds:.1f} s: " + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items()))]
    for kind, c in sorted(by_kind.items()):
        lines.append(f"  {kind:20s} " + ", ".join(f"{k} {v}" for k, v in sorted(c.items())))
    slow = max(results, key=lambda r: r["seconds"])
    lines.append(f"  slowest: {slow['seconds']:.2f} s ({slow['model']} seed {slow['seed']}: {slow['description'][:80]})")
    return "\n".join(lines)


def describe_failure(r) -> str:
    head = f"{r['model']} seed {r['seed']} ({r['description']}): {r['outcome']}"
    detail = r.get("trace") or r.get("message") or ""
    return f"{head}; {'; '.join(r['problems'])}\n{detail}"


@pytest.fixture(scope="module")
def campaign(tmp_path_factory):
    models = load_models()
    root = str(tmp_path_factory.mktemp("fuzz"))
    start = time.perf_counter()
    results = run_campaign(plan(N_MUTANTS, SEED), models, root)
    seconds = time.perf_counter() - start
    print("\n" + summarize(results, seconds))
    return models, results, root


def test_every_mutant_converts_or_fails_cleanly(campaign):
    _, results, _ = campaign
    assert len(results) == N_MUTANTS
    bad = [r for r in results if r["outcome"] not in ("converted", "error") or r["problems"]]
    assert not bad, f"{len(bad)} of {len(results)} mutants misbehaved; first ones:\n" + \
        "\n".join(describe_failure(r) for r in bad[:5])
    # The mutants reach deep: both outcomes are common, and the errors come from several
    # stages (reader, options, lowering), not one early check.
    outcomes = collections.Counter(r["outcome"] for r in results)
    assert outcomes["converted"] >= N_MUTANTS // 20 and outcomes["error"] >= N_MUTANTS // 4, outcomes
    types = collections.Counter(r["error_type"] for r in results if r["outcome"] == "error")
    assert {"ModelFormatError", "UnsupportedError"} <= set(types), types


def test_converted_mutants_compile(campaign):
    models, results, root = campaign
    converted = [r for r in results if r["outcome"] == "converted"]
    sample, failures = compile_sample(converted, models, root)
    assert len(sample) >= min(COMPILE_AT_LEAST, len(converted))
    assert not failures, f"{len(failures)} of {len(sample)} converted mutants do not compile; first:\n" + \
        "\n".join(f"{r['model']} seed {r['seed']} ({r['description']}) {src}:\n{out}" for r, src, out in failures[:2])


# Differential check: converted mutants of the int8 models, built for the host under
# ASan/UBSan, must give the same outputs as tflite_micro on the same mutant file.
DIFF_SAMPLE = int(os.environ.get("UTENSOR_FUZZ_DIFF", "6"))
DIFF_MODELS = ("kws_ref_model.tflite", "pretrainedResnet_quant.tflite", "ad01_int8.tflite")


def _tflm_child(model_bytes, inputs, queue):
    try:
        from utensor.reference import Reference

        queue.put(("ok", [np.asarray(o) for o in Reference(model_bytes).invoke(inputs)]))
    except Exception as e:  # noqa: BLE001 - tflite_micro refusing the model
        queue.put(("refused", repr(e)[:300]))


def tflite_micro_outputs(model_bytes, inputs):
    """("ok", outputs) or ("refused", why); in a forked child, since a hostile model may
    crash the reference interpreter itself."""
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=_tflm_child, args=(model_bytes, inputs, queue))
    proc.start()
    try:
        return queue.get(timeout=120)
    except Exception:  # noqa: BLE001 - no answer: it crashed or hung
        return ("refused", f"tflite_micro died (exit code {proc.exitcode})")
    finally:
        proc.join(5)
        if proc.is_alive():
            proc.kill()


def test_converted_mutants_match_tflite_micro(campaign):
    models, results, root = campaign
    pool = [r for r in results if r["outcome"] == "converted" and r["model"] in DIFF_MODELS and r["kind"] != "names"]
    sample = pool[:: max(1, len(pool) // max(DIFF_SAMPLE, 1))][:DIFF_SAMPLE]
    assert len(sample) == min(DIFF_SAMPLE, len(pool))
    compared, mismatches = 0, []
    for r in sample:
        data, model_map = models[r["model"]]
        mutant, _ = model_mutator.mutate(data, model_map, r["seed"])
        work = os.path.join(root, f"diff{r['index']}")
        os.makedirs(work)
        path = os.path.join(work, "mutant.tflite")
        with open(path, "wb") as f:
            f.write(mutant)
        model = hostbuild.HostModel(path, work_dir=work, sanitize=True)
        rng = np.random.default_rng(r["seed"])
        inputs = [rng.integers(-128, 128, size=t.shape, dtype=np.int8) if t.dtype == "int8"
                  else rng.standard_normal(t.shape).astype(np.float32) for t in model.inputs]
        status, reference = tflite_micro_outputs(mutant, [x.copy() for x in inputs])
        ours = model.run([inputs])[0]  # a sanitizer report fails the run (UtensorError)
        shutil.rmtree(work, ignore_errors=True)
        if status != "ok":
            continue  # tflite_micro is stricter about something utensor ignores; nothing to compare
        compared += 1
        for a, b in zip(ours, reference):
            b = b.reshape(a.shape)
            same = np.array_equal(a, b) if a.dtype != np.float32 else np.allclose(a, b, rtol=1e-5, atol=1e-6)
            if not same:
                mismatches.append(f"{r['model']} seed {r['seed']} ({r['description']})")
    print(f"\ndifferential: {len(sample)} converted mutants built under ASan/UBSan, {compared} compared "
          f"with tflite_micro, {len(mismatches)} mismatches")
    assert not mismatches, mismatches
    assert compared >= len(sample) // 2


def test_the_guards_catch_hangs_crashes_and_memory_blowups(tmp_path, monkeypatch):
    """The campaign's own alarms work: a converter that hangs, allocates without bound,
    raises something else, or leaves a file behind when it fails is reported."""
    import test_fuzz_converter as me

    monkeypatch.setattr(me, "SOFT_LIMIT_S", 1.0)
    monkeypatch.setattr(me, "MEMORY_LIMIT", 256 << 20)
    monkeypatch.setattr(me, "HARD_LIMIT_S", 3.0)

    def misbehave(paths, out_dir, **kwargs):
        behaviour = os.environ["UTENSOR_FUZZ_SELFTEST"]
        if behaviour == "hang":
            while True:
                pass
        if behaviour == "stuck":  # deaf to the alarm, like a loop inside C code
            signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGALRM])
            time.sleep(600)
        if behaviour == "segfault":
            os.kill(os.getpid(), signal.SIGSEGV)
        if behaviour == "memory":
            return bytearray(8 << 30)
        if behaviour == "partial":
            with open(os.path.join(out_dir, "mutant.cpp"), "w") as f:
                f.write("// half")
            raise UtensorError(f"{paths[0]}: refused after writing")
        raise IndexError("a bug")

    monkeypatch.setattr(convert, "convert_to_directory", misbehave)  # the forked workers inherit it
    models = load_models()
    outcomes = []
    for behaviour in ("hang", "stuck", "segfault", "memory", "partial", "bug"):
        monkeypatch.setenv("UTENSOR_FUZZ_SELFTEST", behaviour)
        root = tmp_path / behaviour
        root.mkdir()
        [result] = run_campaign(plan(1, 0), models, str(root))
        outcomes.append((behaviour, result["outcome"], bool(result["problems"])))
    assert outcomes == [("hang", "hang", False), ("stuck", "hang", True),
                        ("segfault", f"worker died (exit {-signal.SIGSEGV})", True), ("memory", "memory", False),
                        ("partial", "error", True), ("bug", "crash", False)]


# Failures the fuzzing found, rebuilt by hand so they stay pinned whatever the seeds do.
# Each: (model, edit(data bytearray, map), expected message or None for "converts").
def _set_scale(tensor, k, value):
    return lambda d, m: model_mutator.put(d, m.tensors[tensor].scale.elem_pos(k), "f32", value)


def _set_option(op, name, value):
    def edit(d, m):
        [field] = [f for f in m.operators[op].options if f.name == name]
        model_mutator.put(d, field.pos, field.kind, value)
    return edit


def _set_outputs(values):
    return lambda d, m: model_mutator.point(d, m.sg_outputs.field_pos, model_mutator.append(
        d, model_mutator.vector_bytes("i32", values)))


FOUND = [
    # planner KeyError: a RESHAPE output aliasing a tensor no live operator writes
    ("kws_ref_model.tflite", _set_outputs([22]), None),
    ("kws_ref_model.tflite", _set_outputs([]), "invalid TensorFlow Lite model: the subgraph has no outputs"),
    ("kws_ref_model.tflite", _set_outputs([17]), r"graph output tensor 17 \(.*\) is a constant"),
    # ZeroDivisionError in the conv lowering
    ("kws_ref_model.tflite", _set_scale(23, 0, 0.0), "has quantization scale 0.0"),
    # a 2^100 rescale: undefined shift in the kernel (UBSan), tflite_micro silently computed garbage
    ("vww_96_int8.tflite", _set_scale(5, 3, 1e30), "DEPTHWISE_CONV_2D: its quantization scales give a rescale "
     "factor .* at least 2\\^31, which the int8 kernels cannot represent"),
    # tflite_micro refuses; utensor used to convert
    ("ad01_int8.tflite", _set_scale(13, 0, 1e-30), "FULLY_CONNECTED: bias .* has scale .* they must agree"),
    # tflite_micro loops over the option: different outputs from the same file
    ("kws_ref_model.tflite", _set_option(1, "depth_multiplier", 4), "option depth_multiplier is 4, but 64 filter "
     "channels over 64 input channels make it 1"),
]


@pytest.mark.parametrize("model,edit,expected", FOUND, ids=[
    "dead-alias", "no-outputs", "constant-output", "zero-scale", "huge-rescale", "bias-scale", "depth-multiplier"])
def test_fuzzing_findings_stay_fixed(tmp_path, model, edit, expected):
    data = open(os.path.join(conftest.MODELS_DIR, model), "rb").read()
    d = bytearray(data)
    edit(d, model_mutator.build_map(data))
    path = str(tmp_path / "found.tflite")
    with open(path, "wb") as f:
        f.write(bytes(d))
    if expected is None:
        convert.convert_to_directory([path], str(tmp_path / "out"))
        return
    with pytest.raises(UtensorError, match=expected) as info:
        convert.convert_to_directory([path], str(tmp_path / "out"))
    assert path in str(info.value)
    assert not (tmp_path / "out").exists()


def test_mutants_are_deterministic():
    models = load_models()
    data, model_map = models["kws_ref_model.tflite"]
    first = [model_mutator.mutate(data, model_map, s) for s in range(50)]
    again = [model_mutator.mutate(data, model_map, s) for s in range(50)]
    assert first == again
    assert len({m for m, _ in first}) >= 45  # and actually different from one another
    assert sum(m != data for m, _ in first) >= 45


if __name__ == "__main__":  # a longer run: python test/test_fuzz_converter.py N [SEED]
    n = int(sys.argv[1]) if len(sys.argv) > 1 else N_MUTANTS
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else SEED
    root = tempfile.mkdtemp(prefix="utensor-fuzz-")
    t0 = time.perf_counter()
    res = run_campaign(plan(n, seed), load_models(), root)
    print(summarize(res, time.perf_counter() - t0))
    for r in [r for r in res if r["outcome"] not in ("converted", "error") or r["problems"]][:20]:
        print(describe_failure(r))
    shutil.rmtree(root, ignore_errors=True)
