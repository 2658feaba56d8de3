"""The FlexBuffer reader (scripts/utensor/tflite/flexbuffers.py) against buffers written by
the flatbuffers package's independent writer, and its errors on damaged buffers."""

import pytest

from utensor.tflite import flexbuffers

fb = pytest.importorskip("flatbuffers.flexbuffers")

VALUES = [
    {"max_detections": 10, "max_classes_per_detection": 1, "detections_per_class": 100,
     "use_regular_nms": False, "nms_score_threshold": 0.3, "nms_iou_threshold": 0.6,
     "num_classes": 90, "y_scale": 10.0, "x_scale": 10.0, "h_scale": 5.0, "w_scale": 5.0},
    {"a": -1, "b": 2 ** 40, "c": "str", "d": [1, 2, 3], "e": [1.5, 2.5], "f": {"g": True, "h": None},
     "i": 0.1, "j": [1, "x", 2.0], "k": b"\x01\x02", "l": -(2 ** 62)},
    [1, 2, -300000, 0.25],
    7,
    "text",
]


@pytest.mark.parametrize("value", VALUES, ids=range(len(VALUES)))
def test_reads_what_the_reference_writer_wrote(value):
    assert flexbuffers.loads(fb.Dumps(value)) == value


@pytest.mark.parametrize("damage", [
    lambda b: b"",
    lambda b: b[:2],
    lambda b: b[:-20] + b"\x24\x01",
    lambda b: b[:-1] + b"\x03",
    lambda b: b[len(b) // 2:],
])
def test_damaged_buffers_raise_flexbuffer_error(damage):
    data = damage(fb.Dumps(VALUES[0]))
    with pytest.raises(flexbuffers.FlexBufferError):
        flexbuffers.loads(data)
