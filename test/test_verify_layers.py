"""`utensor verify --layers` (issue 7): per-layer outputs captured on the board and compared
with TFLite Micro's intermediates, so a mismatch names the first layer that differs.

The QEMU tests need pio, arm-none-eabi-gcc and qemu-system-arm (skipped otherwise); about a
minute. The others check the protocol codecs and that the default generated code is
unchanged by the option.
"""

import json
import os
import shutil

import numpy as np
import pytest

from utensor import convert, emitter
from utensor.cli import main as cli_main
from utensor.errors import HarnessError
from utensor.harness import layer_firmware, layers
from utensor.harness import protocol as p
from utensor.harness.inputs import random_samples
from utensor.harness.session import open_board

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SINE = os.path.join(ROOT, "examples", "hello_world", "models", "sine_int8.tflite")
KWS = "/work/shared/models/mlperf_tiny/kws_ref_model.tflite"
TOOLS = ("pio", "arm-none-eabi-gcc", "qemu-system-arm")
BOARD = "mps2_an386"

needs_qemu = pytest.mark.skipif(
    any(shutil.which(t) is None for t in TOOLS) or not os.path.isfile(KWS),
    reason="needs %s and the MLPerf Tiny models" % ", ".join(TOOLS),
)


def shift_bias(op_index, delta):
    """A graph transform that adds `delta` to the bias of operator #op_index: that layer
    computes wrongly, every layer before it stays right."""
    def transform(graph):
        op = next(o for o in graph.operators if o.index == op_index)
        bias = graph.tensor(op.inputs[2])
        bias.data = (bias.data.astype(np.int64) + delta).astype(bias.data.dtype)
    return transform


# ---- host only ----------------------------------------------------------------------

def test_layer_info_round_trip():
    out = p.TensorInfo(0, (1, 25, 5, 64), 0.5, -128, 8000, "conv")
    info = p.LayerInfo(3, 4, 26, "CONV_2D", out)
    assert p.decode_layer_info(p.encode_layer_info(12, info)) == (12, info)
    assert p.decode_layer_info(p.encode_layer_info(12, None)) == (12, None)
    assert p.decode_invoke_layer(bytes([0]) + (123).to_bytes(4, "little") + (8000).to_bytes(4, "little")) \
        == (0, 123, 8000)


def test_default_generated_code_has_no_layer_table():
    c = convert.convert_file(KWS if os.path.isfile(KWS) else SINE)
    assert "layer" not in c.emitted.source.lower()
    hooked = emitter.emit_model(c.graph, c.calls, c.plan, layer_hooks=True)
    assert "LayerDescriptor" not in hooked.source
    table = emitter.emit_model(c.graph, c.calls, c.plan, layer_table=True)
    assert table.header == c.emitted.header  # the header (and its id) does not change
    n_out = sum(len(op.outputs) for op in c.graph.operators)
    assert f"utensor_layers_{c.graph.name} = {{{n_out}, kLayers}};" in table.source
    assert table.source.count("\n  UTENSOR_LAYER_DONE(") == len(c.graph.operators)
    # Each entry points at the planned offset of its operator's output.
    last = c.graph.operators[-1]
    off = c.plan.tensor_offset[last.outputs[0]]
    assert f"{{{len(c.graph.operators) - 1}, {last.index}, {last.outputs[0]}, \"{last.op_type}\"" in table.source
    assert f"arena + {off}}}}}," in table.source


def _layer():
    from utensor.harness.client import LayerDesc, TensorDesc
    return LayerDesc(0, 0, 0, 7, "CONV_2D", TensorDesc(0, "t", "float32", "<f4", (4,), 0.0, 0, 16))


def test_float_layers_are_judged_against_the_layer_range():
    ref = np.array([4.0, -2.0, 1e-4, 0.5], np.float32)
    ulp = ref.copy()
    ulp[2] = np.nextafter(ulp[2], np.float32(1))  # per element 1e-7 relative ...
    ulp[2] += np.float32(3e-7)  # ... plus 3e-7 absolute: 7.5e-8 of the range 4.0
    r = layers.judge(_layer(), ulp, ref)
    assert r.ok and not r.comparison.exact and r.range_error < 1e-7
    assert not r.comparison.ok  # the per-element rule of the model outputs would flag it
    assert "of the layer's range" in layers.describe(r)
    off = ref.copy()
    off[1] += np.float32(1e-4)  # 2.5e-5 of the range: beyond 1e-5
    r = layers.judge(_layer(), off, ref)
    assert not r.ok and abs(r.range_error - 2.5e-5) < 1e-6
    assert "ERROR at pos 1: Act: " in layers.describe(r)
    nan = ref.copy()
    nan[0] = np.nan
    assert not layers.judge(_layer(), nan, ref).ok
    assert layers.describe(layers.judge(_layer(), ref.copy(), ref)) == "match (bit-exact)"


def test_integer_layers_must_be_bit_exact():
    ref = np.array([-128, 0, 5, 127], np.int8)
    b = ref.copy()
    b[2] = 6
    r = layers.judge(_layer(), b, ref)
    assert not r.ok
    assert layers.describe(r) == "DIFFERS: 1 of 4 elements, max abs error 1; ERROR at pos 2: Act: 6 Ref: 5"
    assert layers.judge(_layer(), ref.copy(), ref).ok


def test_capture_buffer_is_sized_to_the_largest_layer(tmp_path):
    c = layer_firmware.write_layer_sources(str(tmp_path), SINE)
    text = (tmp_path / layer_firmware.LAYER_REGISTRY_FILE).read_text()
    largest = max(c.graph.tensor(t).nbytes for op in c.graph.operators for t in op.outputs)
    assert f"utensor_layer_capture[{max(largest, 16)}]" in text
    assert "&utensor_layers_sine_int8," in text


# ---- on QEMU ------------------------------------------------------------------------

@needs_qemu
def test_sine_every_layer_matches(tmp_path, capsys):
    report = tmp_path / "sine.json"
    code = cli_main(["verify", SINE, "--board", BOARD, "--layers", "--samples", "3", "--layer-samples", "2",
                     "--build-dir", str(tmp_path / "fw"), "--json", str(report)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert out.count("FULLY_CONNECTED  1x16              match (bit-exact)") == 4  # 2 layers x 2 samples
    assert out.count("FULLY_CONNECTED  1x1               match (bit-exact)") == 2
    assert "PASS: sine_int8 on mps2_an386: 3/3 samples match; bit-exact" in out
    data = json.loads(report.read_text())
    assert data["first_differing_layer"] is None
    assert [(r["sample"], r["op_index"]) for r in data["layers"]] == [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (1, 2)]
    assert all(r["bit_exact"] for r in data["layers"])


@needs_qemu
def test_kws_every_layer_matches(tmp_path, capsys):
    code = cli_main(["verify", KWS, "--board", BOARD, "--layers", "--samples", "1",
                     "--build-dir", str(tmp_path / "fw")])
    out = capsys.readouterr().out
    assert code == 0, out
    rows = [line for line in out.splitlines() if "match (bit-exact)" in line]
    assert len(rows) == 12  # RESHAPE is an alias, not a layer
    assert [line.split()[2] for line in rows] == ["CONV_2D", "DEPTHWISE_CONV_2D"] * 4 + [
        "CONV_2D", "AVERAGE_POOL_2D", "FULLY_CONNECTED", "SOFTMAX"]
    assert "DIFFERS" not in out


@needs_qemu
def test_a_wrong_layer_is_named_as_the_first_difference(tmp_path, capsys, monkeypatch):
    """Operator #4 of kws (a CONV_2D) gets a wrong bias in the debug firmware: the CLI names
    it, the four layers before it match, and the model's output differs too."""
    build = layer_firmware.build_layer_firmware

    def broken_build(*args, **kwargs):
        kwargs["graph_transform"] = shift_bias(4, 3000)
        return build(*args, **kwargs)

    monkeypatch.setattr(layer_firmware, "build_layer_firmware", broken_build)
    code = cli_main(["verify", KWS, "--board", BOARD, "--layers", "--samples", "1",
                     "--build-dir", str(tmp_path / "fw")])
    out = capsys.readouterr().out
    assert code == 1, out
    rows = [line.split() for line in out.splitlines() if line.strip().startswith(tuple("0123456789"))
            and ("match" in line or "DIFFERS" in line)]
    assert [r[1] for r in rows[:5]] == ["#0", "#1", "#2", "#3", "#4"]
    assert all("match" in " ".join(r) for r in rows[:4])
    assert "DIFFERS" in " ".join(rows[4]) and "ERROR at pos " in " ".join(rows[4])
    assert ("FAIL: kws_ref_model on mps2_an386: first differing layer is layer 4, operator #4 CONV_2D"
            in out)
    assert "the layers before it match" in out
    assert "FAIL: kws_ref_model on mps2_an386: 0/1 samples match" in out


@needs_qemu
def test_sine_broken_middle_layer_through_the_api(tmp_path):
    with open_board(SINE, BOARD, build_dir=str(tmp_path / "fw"), layers=True,
                    graph_transform=shift_bias(1, 400), log=lambda s: None) as b:
        ref = layers.LayerReference(open(SINE, "rb").read())
        results = []
        for x in random_samples(b.model.inputs, 4, 1):
            results.append(layers.check_layers(b, ref, x))
    # Layer 0 is always right; layer 1 is wrong for at least one input, and is the first.
    assert all(r[0].comparison.exact for r in results)
    failures = [layers.first_failure(r) for r in results]
    assert any(f is not None for f in failures)
    assert {f.layer.op_index for f in failures if f is not None} == {1}


@needs_qemu
def test_the_default_firmware_refuses_layer_requests(tmp_path):
    with open_board(SINE, BOARD, build_dir=str(tmp_path / "fw"), log=lambda s: None) as b:
        with pytest.raises(HarnessError, match="does not capture layers: it is the default harness firmware"):
            b.client.layers(b.model.index)
        # The ordinary exchange still works afterwards.
        outputs, _ = b.run([np.zeros((1, 1), np.int8)])
        assert outputs[0].shape == (1, 1)
