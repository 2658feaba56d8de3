"""Generation is atomic and stays inside its output directory.

A converter killed while writing leaves the previously generated files whole (each file
is the old or the new version, never a mix of bytes) and the next run regenerates
everything and removes the temporary files the killed run left. Model, file and tensor
names (`../`, absolute paths, quotes, newlines, trigraphs, non-ASCII, very long) never
make it write elsewhere or emit C++ that breaks.
"""

import os
import random
import signal
import subprocess
import sys
import textwrap
import time

import pytest

import conftest
import model_mutator
from utensor import convert, hostbuild
from utensor.errors import UtensorError

KWS = os.path.join(conftest.MODELS_DIR, "kws_ref_model.tflite")
AD01 = os.path.join(conftest.MODELS_DIR, "ad01_int8.tflite")
AD01_FP32 = os.path.join(conftest.MODELS_DIR, "ad01_fp32.tflite")
FILES = ("net.hpp", "net.cpp", *convert.SHARED_FILES)
ENV = dict(os.environ, PYTHONPATH=os.path.join(conftest.REPO, "scripts"))


def read_dir(directory):
    return {name: open(os.path.join(directory, name), "rb").read() for name in sorted(os.listdir(directory))}


def temps(directory):
    return [n for n in os.listdir(directory) if n.startswith(convert.TEMP_PREFIX)]


def tree(root):
    """Every file under `root` (to see that nothing appears outside the output folder)."""
    return sorted(os.path.relpath(os.path.join(d, f), root) for d, _, fs in os.walk(root) for f in fs)


@pytest.fixture(scope="module")
def versions(tmp_path_factory):
    """The files of two different models, both generated under the name `net`."""
    root = tmp_path_factory.mktemp("versions")
    old, new = str(root / "old"), str(root / "new")
    convert.convert_to_directory([KWS], old, name="net")
    convert.convert_to_directory([AD01], new, name="net")
    return read_dir(old), read_dir(new)


def previous(tmp_path, versions):
    out = str(tmp_path / "out")
    os.makedirs(out)
    for name, data in versions[0].items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    return out


# Runs the real CLI with a sabotaged file system layer: `die_at` names the step at which
# the process SIGKILLs itself (no cleanup handler can run, as with a power cut or kill -9).
DYING_CLI = textwrap.dedent("""
    import os, signal, sys
    from utensor import cli, convert
    mode, n = sys.argv[1], int(sys.argv[2])
    count = {"write": 0, "replace": 0}
    real_fdopen, real_replace = os.fdopen, os.replace

    class HalfWriter:
        def __init__(self, f): self.f = f
        def __enter__(self): return self
        def __exit__(self, *a): return self.f.__exit__(*a)
        def write(self, data):
            if count["write"] == n:
                self.f.write(data[: len(data) // 2]); self.f.flush()
                os.kill(os.getpid(), signal.SIGKILL)
            count["write"] += 1
            return self.f.write(data)
        def __getattr__(self, name): return getattr(self.f, name)

    def fdopen(*a, **k):
        return HalfWriter(real_fdopen(*a, **k))

    def replace(src, dst):
        if mode == "replace" and count["replace"] == n:
            os.kill(os.getpid(), signal.SIGKILL)
        count["replace"] += 1
        return real_replace(src, dst)

    if mode == "write":
        os.fdopen = fdopen
    os.replace = replace
    sys.exit(cli.main(sys.argv[3:]))
""")


# The registry is the same for both versions (one model named `net`); the header, the
# source and the manifest change.
@pytest.mark.parametrize("mode,n", [("write", 0), ("write", 1), ("replace", 0), ("replace", 1)])
def test_killed_mid_write_keeps_whole_files_and_next_run_regenerates(tmp_path, versions, mode, n):
    old, new = versions
    out = previous(tmp_path, versions)
    before = tree(str(tmp_path))
    proc = subprocess.run([sys.executable, "-c", DYING_CLI, mode, str(n), "convert", AD01, "-o", out, "--name", "net"],
                          env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()
    after = read_dir(out)
    finals = {k: v for k, v in after.items() if not k.startswith(convert.TEMP_PREFIX)}
    assert sorted(finals) == sorted(FILES)
    for name, data in finals.items():
        assert data in (old[name], new[name]), f"{name} is neither the old nor the new version"
    if mode == "write":
        # Killed before any rename: nothing the build uses has changed.
        assert finals == old
        assert len(temps(out)) == n + 1  # the files staged so far, the last one half written
    else:
        # Killed between renames: the first n files are new, the others old, all whole.
        changed = [name for name in FILES if finals[name] != old[name]]
        assert len(changed) == n
        assert len(temps(out)) == sum(old[f] != new[f] for f in FILES) - n
    # Nothing was written outside the output folder.
    assert [p for p in tree(str(tmp_path)) if not p.startswith("out")] == [p for p in before if not p.startswith("out")]

    # The next run (the build reruns the converter: its stamp was not updated) regenerates
    # every file and removes the dead run's temporary files.
    proc = subprocess.run([sys.executable, "-m", "utensor", "convert", AD01, "-o", out, "--name", "net"],
                          env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.returncode == 0, proc.stderr
    assert read_dir(out) == new


def test_killed_from_outside_at_random_times(tmp_path, versions):
    """SIGKILL from another process at random moments of a conversion whose output takes
    a while to write (ad01_fp32: 4 MB of C++): files stay whole, the rerun repairs."""
    _, _ = versions
    rng = random.Random(8)
    ref = str(tmp_path / "ref")
    convert.convert_to_directory([AD01_FP32], ref, name="net")
    fp32 = read_dir(ref)
    out = previous(tmp_path, versions)
    old = read_dir(out)
    caught_writing, attempt = 0, 0
    while caught_writing < 2 and attempt < 8:
        attempt += 1
        proc = subprocess.Popen([sys.executable, "-m", "utensor", "convert", AD01_FP32, "-o", out, "--name", "net"],
                                env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # Wait until it starts writing (a temporary file appears), then kill after a random delay.
        deadline = time.monotonic() + 60
        while not temps(out) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.0005)
        time.sleep(rng.uniform(0, 0.01))
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        state = read_dir(out)
        caught_writing += proc.returncode == -signal.SIGKILL and bool(temps(out))
        for name in FILES:
            assert state[name] in (old[name], fp32[name]), f"attempt {attempt}: {name} is partial"
        # Restore the old version for the next attempt (and let the converter clean up).
        convert.convert_to_directory([KWS], out, name="net")
        assert read_dir(out) == old
    assert caught_writing >= 1, "never killed the converter while it was writing; the test proves nothing"


def test_rerun_cleans_only_dead_processes_temps(tmp_path):
    out = str(tmp_path / "out")
    os.makedirs(out)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    stale = f"{convert.TEMP_PREFIX}{dead.pid}-abc{convert.TEMP_SUFFIX}"
    live = f"{convert.TEMP_PREFIX}1-abc{convert.TEMP_SUFFIX}"  # pid 1 is alive: another build's file
    for name in (stale, live):
        open(os.path.join(out, name), "w").close()
    convert.convert_to_directory([KWS], out, name="net")
    assert sorted(os.listdir(out)) == sorted(FILES + (live,))


def test_unchanged_output_is_not_rewritten(tmp_path):
    out = str(tmp_path / "out")
    convert.convert_to_directory([KWS], out, name="net")
    stats = {n: os.stat(os.path.join(out, n)) for n in FILES}
    convert.convert_to_directory([KWS], out, name="net")
    for n in FILES:
        st = os.stat(os.path.join(out, n))
        assert (st.st_ino, st.st_mtime_ns) == (stats[n].st_ino, stats[n].st_mtime_ns)


def test_unwritable_output_is_a_clean_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(UtensorError, match=r"cannot write the generated sources to .*file.*output folder"):
        convert.convert_to_directory([KWS], str(blocker / "out"))


# ---- names ---------------------------------------------------------------------------------

HOSTILE = ["../../../../tmp/evil", "/etc/passwd", 'quote " and \\ backslash', "new\nline */ /* x",
           "trigraph ??/", "tab\there", "é ü 模型 \u2028", "x" * 3000, "", "a\"); int evil = (\"", "nul\0byte"]


@pytest.mark.parametrize("name", ["../evil", "/abs/evil", "../../" + "x" * 40, "modèle", "a/b\\c"])
def test_model_name_never_leaves_the_output_dir(tmp_path, name):
    out = tmp_path / "a" / "out"
    try:
        [c] = convert.convert_to_directory([KWS], str(out), name=name)
    except UtensorError as e:
        assert "model name" in str(e)
        assert not out.exists()
        return
    assert tree(str(tmp_path)) == sorted([f"a/out/{f}" for f in (
        c.emitted.header_name, c.emitted.source_name, *convert.SHARED_FILES)])


def test_long_model_file_name_is_a_clean_error(tmp_path):
    path = tmp_path / ("m" * 240 + ".tflite")
    path.write_bytes(open(KWS, "rb").read())
    with pytest.raises(UtensorError, match="characters long"):
        convert.convert_to_directory([str(path)], str(tmp_path / "out"))
    assert not (tmp_path / "out").exists()


def test_hostile_tensor_and_file_names_compile(tmp_path):
    """Tensor names become C++ comments and string literals; file names comments."""
    data = open(KWS, "rb").read()
    graph_in, graph_out, weight = 0, 34, 1  # kws: input, output, a constant
    renamed = model_mutator.rename_tensors(data, {graph_in: HOSTILE[3], graph_out: HOSTILE[9], weight: HOSTILE[5]})
    src = tmp_path / "models" / 'we"ird ??= mo\ndel\\é.tflite'
    src.parent.mkdir()
    src.write_bytes(renamed)
    out = tmp_path / "out"
    before = tree(str(tmp_path))
    [c] = convert.convert_to_directory([str(src)], str(out))
    assert sorted(p for p in tree(str(tmp_path)) if p not in before) == sorted(
        [f"out/{f}" for f in (c.emitted.header_name, c.emitted.source_name, *convert.SHARED_FILES)])
    # The names reach the descriptor byte for byte: compile, run, print them back.
    main = tmp_path / "names.cpp"
    main.write_text(textwrap.dedent(f"""
        #include <cstdio>
        #include "{c.emitted.header_name}"
        extern const utensor::ModelDescriptor utensor_model_{c.graph.name};
        int main() {{
          const utensor::ModelDescriptor& d = utensor_model_{c.graph.name};
          std::printf("%s|%s", d.inputs[0].name, d.outputs[0].name);
          return 0;
        }}
    """))
    exe = str(tmp_path / "names")
    cmd = [hostbuild.CXX, *hostbuild.BASE_FLAGS, "-trigraphs", "-I", hostbuild.RUNTIME_INCLUDE, "-I", str(out),
           str(main), str(out / c.emitted.source_name), hostbuild.runtime_library(), "-o", exe]
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.returncode == 0, proc.stdout[-3000:]
    printed = subprocess.run([exe], stdout=subprocess.PIPE).stdout.decode("utf-8")
    assert printed == f"{HOSTILE[3]}|{HOSTILE[9]}"


@pytest.mark.parametrize("name", HOSTILE)
def test_every_hostile_name_compiles(tmp_path, name):
    data = model_mutator.rename_tensors(open(KWS, "rb").read(), {0: name, 34: name, 1: name})
    src = tmp_path / "m.tflite"
    src.write_bytes(data)
    out = tmp_path / "out"
    convert.convert_to_directory([str(src)], str(out))
    for f in ("m.cpp", convert.REGISTRY_FILE):
        cmd = [hostbuild.CXX, *hostbuild.BASE_FLAGS, "-trigraphs", "-fsyntax-only", "-I", hostbuild.RUNTIME_INCLUDE,
               "-I", str(out), str(out / f)]
        proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        assert proc.returncode == 0, proc.stdout[-3000:]
