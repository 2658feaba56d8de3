// Written by `python -m utensor.kernel_params --write` from the table in
// scripts/utensor/kernel_params.py. Do not edit: change the table and regenerate. Generated
// models check at compile time that these structs are laid out as the table says.
#ifndef UTENSOR_KERNELS_PARAMS_DETECTION_POSTPROCESS_HPP
#define UTENSOR_KERNELS_PARAMS_DETECTION_POSTPROCESS_HPP

// The object-detection post-processing custom operator's parameters
// (kernels/detection_postprocess.hpp).

#include <stdint.h>

namespace utensor {
namespace kernels {

/// TFLite_Detection_PostProcess (float32): decode centre-size boxes against the anchors, then
/// non-max suppression, as TFLite Micro.
struct DetectionPostprocessParams {
  int32_t num_boxes;                    // anchors (input dimension 1)
  int32_t box_stride;                   // floats per box encoding (>= 4; the first 4 are used)
  int32_t num_classes;                  // classes scored, background excluded
  int32_t num_classes_with_background;  // class predictions per box (num_classes or one more)
  int32_t max_detections;               // detections reported
  int32_t max_classes_per_detection;    // fast NMS: classes reported per box
  int32_t detections_per_class;         // regular NMS: boxes kept per class
  int32_t use_regular_nms;              // 1: regular (per class) NMS; 0: fast NMS
  float score_threshold;                // boxes scoring below are dropped
  float iou_threshold;                  // a box overlapping a kept one by more is suppressed (0, 1]
  float y_scale;                        // divides the encoded y centre
  float x_scale;                        // divides the encoded x centre
  float h_scale;                        // divides the encoded log height
  float w_scale;                        // divides the encoded log width
  int32_t output_slots;                 // entries the detection outputs hold
};

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_PARAMS_DETECTION_POSTPROCESS_HPP
