"""The example projects a user copies (examples/*), built and tested as a user would:
`pio run -t upload` (runs in QEMU) and `pio test -e mps2_an386`, on a copy of each
example outside the repository. About a minute and a half on two cores, plus about two
minutes for keyword_svdf (two builds, and its training script run once from scratch).
"""

import importlib.util
import os
import re

import pytest

import piohelp

EXAMPLES = os.path.join(piohelp.ROOT, "examples")


@pytest.fixture(scope="module")
def pio_env(tmp_path_factory):
    return piohelp.bootstrap_core(tmp_path_factory.mktemp("pio_core"))


def _project(tmp_path, name):
    return piohelp.copy_example(name, str(tmp_path / name))


def _pio(args, project, env):
    return piohelp.run(["pio"] + args, project, env, timeout=900)


@piohelp.needs_tools
def test_hello_world(tmp_path, pio_env):
    project = _project(tmp_path, "hello_world")
    run = _pio(["run", "-e", "mps2_an386", "-t", "upload"], project, pio_env)
    assert run.returncode == 0, piohelp.tail(run)
    lines = [ln for ln in run.stdout.splitlines() if ln.startswith("x = ")]
    assert len(lines) == 9
    # y approximates sin(x) to a few hundredths (the model is a 16-unit regression).
    for line in lines:
        y, sin = re.search(r"y = +(-?\d+)/1000  sin\(x\) = +(-?\d+)/1000", line).groups()
        assert abs(int(y) - int(sin)) < 150, line
    test = _pio(["test", "-e", "mps2_an386"], project, pio_env)
    assert test.returncode == 0, piohelp.tail(test)
    assert "3 test cases: 3 succeeded" in test.stdout


@piohelp.needs_tools
def test_digits_cnn(tmp_path, pio_env):
    project = _project(tmp_path, "digits_cnn")
    with open(os.path.join(project, "include", "heldout.h")) as f:
        header = f.read()
    n = int(re.search(r"kNumHeldOut = (\d+);", header).group(1))
    ref = int(re.search(r"kReferenceCorrect = (\d+);", header).group(1))
    assert n == 360 and ref > 0.9 * n

    run = _pio(["run", "-e", "mps2_an386", "-t", "upload"], project, pio_env)
    assert run.returncode == 0, piohelp.tail(run)
    predictions = re.findall(r"^image +\d+: label (\d) predicted (\d)", run.stdout, re.M)
    assert len(predictions) == n
    correct = sum(a == b for a, b in predictions)
    assert "accuracy: %d/%d = " % (correct, n) in run.stdout
    assert correct == ref  # the same predictions as TFLite Micro give the same accuracy

    test = _pio(["test", "-e", "mps2_an386", "-v"], project, pio_env)
    assert test.returncode == 0, piohelp.tail(test)
    assert "test_predictions_equal_tflite_micro:PASS" in test.stdout
    assert "digits accuracy on the board: %d/%d" % (ref, n) in test.stdout


def test_digits_heldout_header_is_current(tmp_path, monkeypatch):
    """include/heldout.h is what make_heldout.py writes for the checked-in model."""
    pytest.importorskip("sklearn")
    pytest.importorskip("tflite_micro")
    folder = os.path.join(EXAMPLES, "digits_cnn")
    monkeypatch.syspath_prepend(folder)
    spec = importlib.util.spec_from_file_location("make_heldout", os.path.join(folder, "make_heldout.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "HEADER", str(tmp_path / "heldout.h"))
    module.main()
    with open(os.path.join(folder, "include", "heldout.h")) as f:
        checked_in = f.read()
    assert (tmp_path / "heldout.h").read_text() == checked_in, "rerun make_heldout.py"


@piohelp.needs_tools
def test_custom_operator(tmp_path, pio_env):
    project = _project(tmp_path, "custom_operator")
    run = _pio(["run", "-e", "mps2_an386", "-t", "upload"], project, pio_env)
    assert run.returncode == 0, piohelp.tail(run)
    assert "[utensor] dense_atan: 3 ops (CUSTOM:Atan, FULLY_CONNECTED x2)" in run.stdout
    assert len(re.findall(r"^x = .* ->  y = ", run.stdout, re.M)) == 4
    test = _pio(["test", "-e", "mps2_an386"], project, pio_env)
    assert test.returncode == 0, piohelp.tail(test)
    assert "2 test cases: 2 succeeded" in test.stdout


@piohelp.needs_tools
def test_custom_operator_without_the_option_names_it(tmp_path, pio_env):
    project = _project(tmp_path, "custom_operator")
    ini = os.path.join(project, "platformio.ini")
    with open(ini) as f:
        text = f.read()
    with open(ini, "w") as f:
        f.write(text.replace("custom_utensor_user_ops = Atan\n", ""))
    run = _pio(["run", "-e", "mps2_an386"], project, pio_env)
    assert run.returncode != 0
    out = run.stdout + run.stderr
    assert "operator CUSTOM:Atan (operator #1) is not supported by utensor" in out
    assert "`custom_utensor_user_ops = Atan` in platformio.ini" in out
    assert "utensor_user_op_Atan(const utensor::UserOpContext&)" in out
    assert "Traceback" not in out


@piohelp.needs_tools
def test_keyword_svdf(tmp_path, pio_env):
    """The streaming spotter: one frame per invoke with the SVDF state carried; `pio test`
    checks every frame's scores against tflite_micro's (reset() at the start and mid-way)."""
    project = _project(tmp_path, "keyword_svdf")
    with open(os.path.join(project, "include", "stream.h")) as f:
        header = f.read()
    frames = int(re.search(r"kNumFrames = (\d+);", header).group(1))
    words = re.findall(r"\{(\d+), (\d)\}", re.search(r"kWordEnds\[\d+\]\[2\] = \{(.*)\};", header).group(1))
    assert frames >= 10 and len(words) >= 3

    run = _pio(["run", "-e", "mps2_an386", "-t", "upload"], project, pio_env)
    assert run.returncode == 0, piohelp.tail(run)
    assert "[utensor] keyword_svdf: 3 ops (SVDF x3)" in run.stdout
    heard = re.findall(r"^frame +(\d+): (\S+)", run.stdout, re.M)
    assert len(heard) == frames
    names = ["silence", "up", "down", "go"]
    for end, label in words:  # each word is heard within three frames of its end
        near = [h for t, h in heard if 0 <= int(t) - int(end) + 1 <= 3]
        assert names[int(label)] in near, (end, label, heard)

    test = _pio(["test", "-e", "mps2_an386", "-v"], project, pio_env)
    assert test.returncode == 0, piohelp.tail(test)
    for name in ("test_stream_matches_tflite_micro", "test_reset_mid_stream_matches_tflite_micro",
                 "test_state_is_carried"):
        assert name + ":PASS" in test.stdout, piohelp.tail(test)


def test_keyword_svdf_vectors_are_current(tmp_path, monkeypatch):
    """include/stream.h is what test/make_vectors.py writes for the checked-in model, and
    the checked-in model spots the held-out words as tflite_micro streams them."""
    pytest.importorskip("tflite_micro")
    folder = os.path.join(EXAMPLES, "keyword_svdf")
    monkeypatch.syspath_prepend(folder)
    spec = importlib.util.spec_from_file_location("make_vectors", os.path.join(folder, "test", "make_vectors.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "HEADER", str(tmp_path / "stream.h"))
    assert module.main() >= 0.95  # int8 accuracy on held-out windows, streamed
    with open(os.path.join(folder, "include", "stream.h")) as f:
        checked_in = f.read()
    assert (tmp_path / "stream.h").read_text() == checked_in, "rerun test/make_vectors.py"


def test_keyword_svdf_trains_in_under_two_minutes(tmp_path, monkeypatch):
    """train.py from scratch: under two minutes, the float model learns the words, and the
    int8 SVDF flatbuffer it writes spots them as tflite_micro streams them; our host build
    (ASan/UBSan) of that fresh model gives tflite_micro's scores over the example's stream
    with the state carried, reset(), and the stream again."""
    pytest.importorskip("tensorflow")
    pytest.importorskip("tflite_micro")
    import numpy as np  # pylint: disable=import-outside-toplevel

    from utensor.hostbuild import HostModel  # pylint: disable=import-outside-toplevel

    folder = os.path.join(EXAMPLES, "keyword_svdf")
    monkeypatch.syspath_prepend(folder)
    modules = {}
    for name, rel in (("train", "train.py"), ("make_vectors", os.path.join("test", "make_vectors.py"))):
        spec = importlib.util.spec_from_file_location(name, os.path.join(folder, rel))
        modules[name] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(modules[name])
    model_path = str(tmp_path / "keyword_svdf.tflite")
    accuracy, seconds = modules["train"].main(out=model_path)
    assert seconds < 120 and accuracy > 0.95, (seconds, accuracy)
    with open(model_path, "rb") as f:
        data = f.read()
    spotter = modules["make_vectors"].Spotter(data)
    assert modules["make_vectors"].accuracy(spotter, count=100) > 0.9

    import keyword_data  # pylint: disable=import-outside-toplevel

    frames = spotter.quantize(keyword_data.stream(modules["make_vectors"].STREAM_SEED)[0])
    spotter.reset()
    expected = [spotter.step(f) for f in frames]
    host = HostModel(model_path, work_dir=str(tmp_path / "host"), sanitize=True)
    steps = [[f.reshape(1, -1)] for f in frames]
    ours = host.run_sequence(steps + [None] + steps)
    assert len(ours) == 2 * len(frames)
    for k, out in enumerate(ours):
        assert np.array_equal(out[0].reshape(-1), expected[k % len(frames)]), k
