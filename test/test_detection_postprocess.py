"""TFLite_Detection_PostProcess (ops/detection_postprocess.py) against tflite_micro: SSD-style
detector heads built with TensorFlow in the test, float32 and int8 (DEQUANTIZE before the
post-processing, as Object Detection API exports are), over seeded options (fast and regular
NMS, background class or not, thresholds, one or several classes per detection), on the host
under ASan/UBSan and on two emulated boards.

TensorFlow's converter emits the operator only from the Object Detection API's export graph;
the tests append it to a converted head instead (`with_postprocess`): the anchors become a
constant tensor, the operator takes the head's two outputs, and its four outputs become the
model's. The FlexBuffer options are written by the flatbuffers package, which our reader
does not use, so the options are read by independent code.
"""

import os
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("tensorflow")

from opcheck import REPO, compare, have_qemu_tools, quantize_int8  # noqa: E402

CUSTOM = 32  # BuiltinOperator.CUSTOM


def head(seed: int, dtype: str, grid: int, anchors_per_cell: int, classes_out: int) -> bytes:
    """A tiny SSD head: image -> (box encodings [1, N, 4], class scores [1, N, classes_out])."""
    import tensorflow as tf  # pylint: disable=import-outside-toplevel

    tf.keras.utils.set_random_seed(seed)
    layers = tf.keras.layers
    n = grid * grid * anchors_per_cell
    x = tf.keras.Input((2 * grid, 2 * grid, 3), batch_size=1, name="image")
    f = layers.Conv2D(8, 3, strides=2, padding="same", activation="relu")(x)
    enc = layers.Reshape((n, 4))(layers.Conv2D(4 * anchors_per_cell, 1)(f))
    cls = layers.Activation("sigmoid")(layers.Reshape((n, classes_out))(
        layers.Conv2D(classes_out * anchors_per_cell, 1)(f)))
    model = tf.keras.Model(x, [enc, cls])
    conv = tf.lite.TFLiteConverter.from_keras_model(model)
    if dtype == "int8":
        def representative():
            rng = np.random.RandomState(seed)
            for _ in range(16):
                yield [rng.uniform(-1, 1, (1, 2 * grid, 2 * grid, 3)).astype(np.float32)]
        quantize_int8(conv, representative)
        conv.inference_output_type = tf.float32  # DEQUANTIZE before the post-processing
    return conv.convert()


def anchors_for(grid: int, per_cell: int, rng) -> np.ndarray:
    rows = []
    for i in range(grid):
        for j in range(grid):
            for _ in range(per_cell):
                rows.append([(i + 0.5) / grid, (j + 0.5) / grid, rng.uniform(0.1, 0.6), rng.uniform(0.1, 0.6)])
    return np.array(rows, np.float32)


def with_postprocess(tflite: bytes, anchors: np.ndarray, options: dict, slots: int, classes_out: int) -> bytes:
    """`tflite` with TFLite_Detection_PostProcess appended to its two outputs."""
    import flatbuffers  # pylint: disable=import-outside-toplevel
    from flatbuffers import flexbuffers  # pylint: disable=import-outside-toplevel
    from tensorflow.lite.python import schema_py_generated as fb  # pylint: disable=import-outside-toplevel

    model = fb.ModelT.InitFromPackedBuf(bytearray(tflite), 0)
    sg = model.subgraphs[0]
    shapes = {i: list(sg.tensors[i].shape) for i in sg.outputs}
    enc = next(i for i, s in shapes.items() if s[-1] == 4)
    cls = next(i for i, s in shapes.items() if s[-1] == classes_out and i != enc)

    def tensor(name, shape, buffer=0):
        t = fb.TensorT()
        t.name, t.shape, t.type, t.buffer = name.encode(), list(shape), 0, buffer  # FLOAT32
        sg.tensors.append(t)
        return len(sg.tensors) - 1

    buf = fb.BufferT()
    buf.data = list(anchors.astype("<f4").tobytes())
    model.buffers.append(buf)
    anchor_t = tensor("anchors", anchors.shape, len(model.buffers) - 1)
    outs = [tensor("detection_boxes", [1, slots, 4]), tensor("detection_classes", [1, slots]),
            tensor("detection_scores", [1, slots]), tensor("num_detections", [1])]
    code = fb.OperatorCodeT()
    code.builtinCode, code.deprecatedBuiltinCode, code.version = CUSTOM, CUSTOM, 1
    code.customCode = b"TFLite_Detection_PostProcess"
    model.operatorCodes.append(code)
    op = fb.OperatorT()
    op.opcodeIndex = len(model.operatorCodes) - 1
    op.inputs, op.outputs = [enc, cls, anchor_t], outs
    op.customOptions = list(flexbuffers.Dumps(options))
    op.customOptionsFormat = 0  # FLEXBUFFERS
    sg.operators.append(op)
    sg.outputs = outs
    model.signatureDefs = []
    b = flatbuffers.Builder(1024)
    b.Finish(model.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())


def draw(seed: int, dtype: str, **overrides):
    """A seeded head and options (`overrides` replace drawn options; max_detections may be
    "all": as many as the boxes, at most 8); returns (tflite bytes, options, regular)."""
    rng = np.random.RandomState(seed)
    grid, per_cell = int(rng.randint(2, 5)), int(rng.randint(1, 4))
    num_classes = int(rng.choice([1, 2, 3, 5, 6]))
    background = bool(rng.rand() < 0.7)
    classes_out = num_classes + background
    if classes_out == 4:  # keep the two head outputs apart by their last dimension
        num_classes, classes_out = 5, 5 + background
    regular = bool(rng.rand() < 0.5)
    n = grid * grid * per_cell
    opts = {
        "max_detections": int(rng.randint(1, min(n, 12) + 1)),
        # one class per box: with more, TFLite Micro is no oracle (test_fast_nms_with_several...)
        "max_classes_per_detection": 1,
        "detections_per_class": int(rng.randint(1, 8)),
        "use_regular_nms": regular,
        "nms_score_threshold": float(rng.choice([0.0, 0.3, 0.5])),
        "nms_iou_threshold": float(rng.choice([0.3, 0.5, 0.6, 1.0])),
        "num_classes": num_classes,
        "y_scale": 10.0, "x_scale": 10.0, "h_scale": 5.0, "w_scale": 5.0,
    }
    anchors = anchors_for(grid, per_cell, rng)
    opts.update(overrides)
    if opts["max_detections"] == "all":
        opts["max_detections"] = min(n, 8)
    per_box = min(opts["max_classes_per_detection"], num_classes)
    slots = opts["max_detections"] * (1 if regular else per_box)
    model = with_postprocess(head(seed, dtype, grid, per_cell, classes_out), anchors, opts, slots, classes_out)
    return model, opts, regular


def _valid(outputs, regular):
    """What TFLite Micro defines: every slot under regular NMS (the rest are zeroed); under
    fast NMS only the slots it wrote (count of them), the others keep old memory there."""
    count = int(outputs[3].reshape(-1)[0])
    if regular:
        return outputs
    return [outputs[0].reshape(-1, 4)[:count], outputs[1].reshape(-1)[:count],
            outputs[2].reshape(-1)[:count], outputs[3]]


@pytest.mark.parametrize("dtype", ["float32", "int8"])
def test_detection_postprocess_matches_tflite_micro_on_the_host(tmp_path, dtype):
    from utensor.hostbuild import HostBatch
    from utensor.reference import Reference

    draws = [draw(seed, dtype) for seed in range(6)]
    paths = []
    for k, (model, _, _) in enumerate(draws):
        paths.append(str(tmp_path / f"det{k}.tflite"))
        with open(paths[-1], "wb") as f:
            f.write(model)
    batch = HostBatch(paths, work_dir=str(tmp_path), sanitize=True)
    problems, detections = [], 0
    for k, (model, opts, regular) in enumerate(draws):
        rng = np.random.RandomState(100 + k)
        shape = batch.conversions[k].graph.tensor(batch.conversions[k].graph.inputs[0]).shape
        samples = [[(rng.uniform(-1, 1, shape) * (127 if dtype == "int8" else 1)).astype(
            np.int8 if dtype == "int8" else np.float32)] for _ in range(3)]
        ours = batch.run(k, samples)
        ref = Reference(model)
        for s, sample in enumerate(samples):
            theirs = ref.invoke(sample)
            detections += int(theirs[3].reshape(-1)[0])
            for j, (a, r) in enumerate(zip(_valid(ours[s], regular), _valid(theirs, regular))):
                problems += [f"draw {k} {opts}: {line}" for line in compare(a, r, f"sample {s} output {j}")[:3]]
    assert not problems, "\n".join(problems)
    assert detections > 0, "no draw detected anything: the test would not see a wrong NMS"


def test_fast_nms_with_several_classes_per_box(tmp_path):
    """max_classes_per_detection > 1 under fast NMS. TFLite Micro writes past its outputs
    there (its output position advances per class, not per box), so it is no oracle: the
    slots are TensorFlow Lite's, checked against tf.lite's interpreter (float, 1e-5)."""
    import tensorflow as tf
    from utensor.hostbuild import HostModel

    rng = np.random.RandomState(7)
    opts = {"max_detections": 3, "max_classes_per_detection": 2, "use_regular_nms": False,
            "nms_score_threshold": 0.0, "nms_iou_threshold": 0.5, "num_classes": 3,
            "y_scale": 10.0, "x_scale": 10.0, "h_scale": 5.0, "w_scale": 5.0}
    model = with_postprocess(head(7, "float32", 3, 2, 3), anchors_for(3, 2, rng), opts, 6, 3)
    path = tmp_path / "fast2.tflite"
    path.write_bytes(model)
    ours = HostModel(str(path), work_dir=str(tmp_path), sanitize=True)
    sample = rng.uniform(-1, 1, (1, 6, 6, 3)).astype(np.float32)
    a = ours.run([[sample]])[0]
    interp = tf.lite.Interpreter(model_content=model)
    interp.allocate_tensors()
    interp.set_tensor(interp.get_input_details()[0]["index"], sample)
    interp.invoke()
    r = {d["name"]: interp.get_tensor(d["index"]) for d in interp.get_output_details()}
    assert int(r["num_detections"].reshape(-1)[0]) == 3 == int(a[3].reshape(-1)[0])
    assert a[0].size == 24  # 3 detections x 2 classes x 4 coordinates
    problems = (compare(a[0], r["detection_boxes"], "boxes") + compare(a[1], r["detection_classes"], "classes")
                + compare(a[2], r["detection_scores"], "scores"))
    assert not problems, "\n".join(problems)


def test_refusals_name_the_option(tmp_path):
    from utensor import convert
    from utensor.errors import UtensorError

    rng = np.random.RandomState(3)
    base = {"max_detections": 2, "max_classes_per_detection": 1, "nms_score_threshold": 0.0,
            "nms_iou_threshold": 0.5, "num_classes": 2, "y_scale": 10.0, "x_scale": 10.0,
            "h_scale": 5.0, "w_scale": 5.0}
    cases = [({"nms_iou_threshold": 1.5}, "nms_iou_threshold 1.5"),
             ({"num_classes": 7}, "num_classes 7"),
             ({"max_detections": None}, "lack max_detections")]
    h = head(3, "float32", 2, 1, 3)
    for change, message in cases:
        opts = {k: v for k, v in dict(base, **change).items() if v is not None}
        path = tmp_path / "bad.tflite"
        path.write_bytes(with_postprocess(h, anchors_for(2, 1, rng), opts, 2, 3))
        with pytest.raises(UtensorError) as e:
            convert.convert_file(str(path))
        assert message in str(e.value) and "TFLite_Detection_PostProcess" in str(e.value), str(e.value)


@pytest.mark.skipif(not have_qemu_tools(), reason="needs pio, arm-none-eabi-gcc and qemu-system-arm")
@pytest.mark.parametrize("board", ["mps2_an386", "mps3_an547"])
def test_ssd_head_on_boards(tmp_path, board):
    """An int8 (regular NMS) and a float32 (fast NMS) head through `utensor verify`."""
    for dtype, seed in (("int8", 14), ("float32", 11)):
        # Every slot written (threshold 0, no suppression), so fast NMS is compared whole
        # too; one class per box, where TFLite Micro is an oracle (see the test above).
        model, _, _ = draw(seed, dtype, nms_score_threshold=0.0, nms_iou_threshold=1.0,
                           max_detections="all", max_classes_per_detection=1)
        path = tmp_path / f"ssd_{dtype}.tflite"
        path.write_bytes(model)
        env = dict(os.environ, PYTHONPATH=os.path.join(REPO, "scripts"))
        r = subprocess.run([sys.executable, "-m", "utensor", "verify", str(path), "--board", board,
                            "--samples", "3", "--seed", "1", "--build-dir", str(tmp_path / f"b_{dtype}")],
                           env=env, text=True, capture_output=True, timeout=900)
        assert r.returncode == 0 and f"PASS: ssd_{dtype} on {board}: 3/3 samples match" in r.stdout, \
            r.stdout + r.stderr
