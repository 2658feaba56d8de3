"""Lowering of the custom operator TFLite_Detection_PostProcess (kernels/detection_postprocess.hpp),
the end of SSD-style detectors as TensorFlow's Object Detection API exports them.

Like TFLite Micro: float32 box encodings [1, boxes, >= 4], class predictions [1, boxes,
classes (+1 background)] and anchors [boxes, 4]; four float32 outputs (boxes, classes,
scores, count). Its options are a FlexBuffer map (max_detections, max_classes_per_detection,
detections_per_class (default 100), use_regular_nms (default false), nms_score_threshold,
nms_iou_threshold, num_classes, y/x/h/w_scale). What TFLite Micro only finds out when
invoked (an IoU threshold outside (0, 1], no class, no detections per class) is refused
here; empty decoded boxes depend on the data, and fail the inference as in TFLM. With fast
NMS and more than one class per detection, TFLM writes past its outputs (it advances its
output position per class, not per box); we fill the slots as TensorFlow Lite does.
Models quantized to int8 reach it through DEQUANTIZE, as they do in TFLM.
"""

import math

from ..ir import Graph, Operator
from ..tflite import flexbuffers
from . import KernelCall, kernel_call, register
from ._common import describe_dtypes, malformed, unsupported

OP_TYPE = "CUSTOM:TFLite_Detection_PostProcess"
DEFAULT_DETECTIONS_PER_CLASS = 100


def options(op: Operator, graph: Graph) -> dict:
    raw = op.options.get("custom_options") or b""
    if op.options.get("custom_options_format", "FLEXBUFFERS") not in ("FLEXBUFFERS", 0):
        raise malformed(op, graph, f"custom options format {op.options.get('custom_options_format')} "
                        "is not FLEXBUFFERS.")
    try:
        opts = flexbuffers.loads(raw)
    except flexbuffers.FlexBufferError as e:
        raise malformed(op, graph, f"its custom options are not a valid FlexBuffer ({e}).") from None
    if not isinstance(opts, dict):
        raise malformed(op, graph, "its custom options are not a FlexBuffer map.")
    required = ("max_detections", "max_classes_per_detection", "nms_score_threshold",
                "nms_iou_threshold", "num_classes", "y_scale", "x_scale", "h_scale", "w_scale")
    missing = [k for k in required if opts.get(k) is None]
    if missing:
        raise malformed(op, graph, f"its options lack {', '.join(missing)}.")
    return opts


def scratch_bytes(boxes: int, max_detections: int, categories: int, num_classes: int) -> int:
    """detection_postprocess_scratch_bytes() of the kernel, for the planner."""
    s = boxes + max_detections
    words = 4 * boxes + 3 * boxes + 2 * s + boxes + 3 * s + boxes * categories + 2 * num_classes
    return words * 4 + boxes


def lower(op: Operator, graph: Graph) -> KernelCall:
    if len(op.inputs) != 3 or len(op.outputs) != 4:
        raise malformed(op, graph, f"has {len(op.inputs)} inputs and {len(op.outputs)} outputs; "
                        "expected 3 (box encodings, class predictions, anchors) and 4.")
    enc, cls, anchors = (graph.tensor(i) for i in op.inputs)
    outs = [graph.tensor(i) for i in op.outputs]
    if any(t.dtype != "float32" for t in [enc, cls, anchors] + outs):
        raise unsupported(op, graph, f"dtypes {describe_dtypes([enc, cls, anchors] + outs)} are not "
                          "supported; like TFLite Micro it takes float32 only (dequantize int8 "
                          "box encodings and scores first, as the Object Detection API export does).")
    if len(enc.shape) != 3 or len(cls.shape) != 3 or len(anchors.shape) != 2:
        raise malformed(op, graph, f"input shapes {list(enc.shape)}, {list(cls.shape)}, "
                        f"{list(anchors.shape)}: expected [1, boxes, 4+], [1, boxes, classes], [boxes, 4].")
    if enc.shape[0] != 1 or cls.shape[0] != 1:
        raise unsupported(op, graph, f"batch {enc.shape[0]} is not supported (batch 1, as TFLite Micro).")
    boxes = int(enc.shape[1])
    if enc.shape[2] < 4 or cls.shape[1] != boxes or list(anchors.shape) != [boxes, 4]:
        raise malformed(op, graph, f"input shapes {list(enc.shape)}, {list(cls.shape)}, "
                        f"{list(anchors.shape)} disagree on the number of boxes ({boxes}).")
    o = options(op, graph)
    num_classes = int(o["num_classes"])
    with_background = int(cls.shape[2])
    max_det = int(o["max_detections"])
    per_box = int(o["max_classes_per_detection"])
    per_class = o.get("detections_per_class")
    per_class = DEFAULT_DETECTIONS_PER_CLASS if per_class is None else int(per_class)
    regular = bool(o.get("use_regular_nms") or False)
    iou = float(o["nms_iou_threshold"])
    if num_classes < 1 or with_background - num_classes not in (0, 1):
        raise unsupported(op, graph, f"num_classes {num_classes} with {with_background} class "
                          "predictions per box: the predictions must be num_classes or one more "
                          "(background), num_classes >= 1.")
    if max_det < 0 or not (0.0 < iou <= 1.0) or (regular and per_class <= 0) or (not regular and per_box <= 0):
        raise unsupported(op, graph, f"max_detections {max_det}, nms_iou_threshold {iou}, "
                          f"detections_per_class {per_class}, max_classes_per_detection {per_box}: "
                          "TFLite Micro fails on these at run time (it needs max_detections >= 0, "
                          "an IoU threshold in (0, 1] and at least one class per detection).")
    scales = [float(o[k]) for k in ("y_scale", "x_scale", "h_scale", "w_scale")]
    if not all(math.isfinite(v) and v != 0.0 for v in scales):
        raise unsupported(op, graph, f"box scales {scales} must be finite and non-zero.")
    categories = min(per_box, num_classes)
    slots = max_det if regular else max_det * per_box
    expect = [[1, slots, 4], [1, slots], [1, slots]]
    for t, shape, role in zip(outs[:3], expect, ("boxes", "classes", "scores")):
        if math.prod(t.shape) < math.prod(shape):
            raise malformed(op, graph, f"detection {role} output {list(t.shape)} holds fewer than "
                            f"the {slots} detections it reports (expected {shape}).")
    if math.prod(outs[3].shape) != 1:
        raise malformed(op, graph, f"the detection count output has shape {list(outs[3].shape)}; expected [1].")
    fields = dict(num_boxes=boxes, box_stride=int(enc.shape[2]), num_classes=num_classes,
                  num_classes_with_background=with_background, max_detections=max_det,
                  max_classes_per_detection=per_box, detections_per_class=per_class,
                  use_regular_nms=int(regular), score_threshold=float(o["nms_score_threshold"]),
                  iou_threshold=iou, y_scale=scales[0], x_scale=scales[1], h_scale=scales[2],
                  w_scale=scales[3], output_slots=slots)
    return kernel_call("detection_postprocess_f32", "DetectionPostprocessParams", fields,
                       inputs=(0, 1, 2), scratch_type="uint8_t", returns_status=True,
                       scratch_bytes=scratch_bytes(boxes, max_det, categories, num_classes))


register(OP_TYPE, lower, dtypes=("float32",))
