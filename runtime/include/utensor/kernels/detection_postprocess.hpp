#ifndef UTENSOR_KERNELS_DETECTION_POSTPROCESS_HPP
#define UTENSOR_KERNELS_DETECTION_POSTPROCESS_HPP

// TFLite_Detection_PostProcess, the custom operator that ends SSD-style detectors: box
// encodings (centre y, x, log h, log w, each scaled) are decoded against the anchors into
// corners, then non-max suppression keeps the best non-overlapping boxes. The arithmetic,
// the order of ties (higher score first, then the lower index) and both NMS variants
// (fast: one class per box ranks the boxes; regular: NMS per class, then the best overall)
// follow TensorFlow Lite Micro's kernel, so the outputs are the same numbers.

#include <stddef.h>
#include <stdint.h>

#include "utensor/core/status.hpp"
#include "utensor/kernels/params/detection_postprocess.hpp"

namespace utensor {
namespace kernels {

/// Bytes of scratch detection_postprocess_f32 needs for these parameters (planned offline).
size_t detection_postprocess_scratch_bytes(const DetectionPostprocessParams& p);

/// Decode and suppress: boxes [num_boxes, box_stride], scores [num_boxes,
/// num_classes_with_background], anchors [num_boxes, 4] (y, x, h, w) in; out_boxes
/// [output_slots, 4] (ymin, xmin, ymax, xmax), out_classes / out_scores [output_slots],
/// out_count [1] out; slots past the detections are zero. Returns invalid_argument, as
/// TFLite Micro fails, when a decoded box is empty (ymin >= ymax or xmin >= xmax).
Status detection_postprocess_f32(const DetectionPostprocessParams& p, const float* boxes,
                                 const float* scores, const float* anchors, float* out_boxes,
                                 float* out_classes, float* out_scores, float* out_count,
                                 uint8_t* scratch);

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_DETECTION_POSTPROCESS_HPP
