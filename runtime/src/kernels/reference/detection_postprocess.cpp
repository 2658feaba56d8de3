#include "utensor/kernels/detection_postprocess.hpp"

#include <math.h>
#include <string.h>

namespace utensor {
namespace kernels {
namespace {

// The scratch, in this order (the converter sizes it with the same formula,
// scripts/utensor/ops/detection_postprocess.py): S = num_boxes + max_detections entries hold
// the regular NMS's running best list (at most max_detections) plus one class's picks.
struct Scratch {
  float* decoded;        // [num_boxes][4] corners
  float* box_scores;     // [num_boxes] one class's scores, or each box's best
  float* kept_scores;    // [num_boxes] scores at or above the threshold
  int32_t* kept_boxes;   // [num_boxes] their box indices
  int32_t* order;        // [S] a permutation being sorted
  int32_t* merge;        // [S] merge sort's other half
  int32_t* selected;     // [num_boxes] NMS picks
  int32_t* best_index;   // [S] regular NMS: box * classes_with_background + class
  float* best_score;     // [S]
  float* sorted_score;   // [S]
  int32_t* top_classes;  // [num_boxes][categories] fast NMS: each box's best classes
  int32_t* class_order;  // [num_classes]
  int32_t* class_merge;  // [num_classes]
  uint8_t* active;       // [num_boxes]
};

int32_t categories(const DetectionPostprocessParams& p) {
  return p.max_classes_per_detection < p.num_classes ? p.max_classes_per_detection : p.num_classes;
}

size_t words(const DetectionPostprocessParams& p) {
  const size_t n = static_cast<size_t>(p.num_boxes);
  const size_t s = n + static_cast<size_t>(p.max_detections);
  return 4 * n + 3 * n + 2 * s + n + 3 * s + n * static_cast<size_t>(categories(p)) +
         2 * static_cast<size_t>(p.num_classes);
}

Scratch carve(const DetectionPostprocessParams& p, uint8_t* base) {
  const int32_t n = p.num_boxes;
  const int32_t s = p.num_boxes + p.max_detections;
  // Every section is 4 bytes wide and the scratch is aligned, so each stays aligned.
  float* f = reinterpret_cast<float*>(base);
  Scratch k;
  k.decoded = f; f += 4 * n;
  k.box_scores = f; f += n;
  k.kept_scores = f; f += n;
  int32_t* i = reinterpret_cast<int32_t*>(f);
  k.kept_boxes = i; i += n;
  k.order = i; i += s;
  k.merge = i; i += s;
  k.selected = i; i += n;
  k.best_index = i; i += s;
  f = reinterpret_cast<float*>(i);
  k.best_score = f; f += s;
  k.sorted_score = f; f += s;
  i = reinterpret_cast<int32_t*>(f);
  k.top_classes = i; i += n * categories(p);
  k.class_order = i; i += p.num_classes;
  k.class_merge = i; i += p.num_classes;
  k.active = reinterpret_cast<uint8_t*>(i);
  return k;
}

// order = 0..n-1 sorted by decreasing values[], equal values keeping increasing index: the
// order TFLite Micro's stable merge sort and its tie-broken partial sort both produce.
void sort_decreasing(const float* values, int32_t n, int32_t* order, int32_t* merge) {
  for (int32_t i = 0; i < n; ++i) order[i] = i;
  int32_t* from = order;
  int32_t* to = merge;
  for (int32_t width = 1; width < n; width *= 2) {
    for (int32_t lo = 0; lo < n; lo += 2 * width) {
      const int32_t mid = lo + width < n ? lo + width : n;
      const int32_t hi = lo + 2 * width < n ? lo + 2 * width : n;
      int32_t a = lo, b = mid, out = lo;
      while (a < mid && b < hi) to[out++] = values[from[b]] > values[from[a]] ? from[b++] : from[a++];
      while (a < mid) to[out++] = from[a++];
      while (b < hi) to[out++] = from[b++];
    }
    int32_t* t = from;
    from = to;
    to = t;
  }
  if (from != order) memcpy(order, from, static_cast<size_t>(n) * sizeof(int32_t));
}

float overlap(const float* boxes, int32_t i, int32_t j) {
  const float* a = boxes + 4 * i;
  const float* b = boxes + 4 * j;
  const float area_a = (a[2] - a[0]) * (a[3] - a[1]);
  const float area_b = (b[2] - b[0]) * (b[3] - b[1]);
  if (area_a <= 0 || area_b <= 0) return 0.0f;
  const float ymin = a[0] > b[0] ? a[0] : b[0];
  const float xmin = a[1] > b[1] ? a[1] : b[1];
  const float ymax = a[2] < b[2] ? a[2] : b[2];
  const float xmax = a[3] < b[3] ? a[3] : b[3];
  const float h = ymax - ymin > 0.0f ? ymax - ymin : 0.0f;
  const float w = xmax - xmin > 0.0f ? xmax - xmin : 0.0f;
  const float intersection = h * w;
  return intersection / (area_a + area_b - intersection);
}

// Greedy NMS over one score per box: up to `limit` boxes, best first; returns how many.
int32_t suppress(const DetectionPostprocessParams& p, const Scratch& k, const float* scores,
                 int32_t limit) {
  int32_t kept = 0;
  for (int32_t i = 0; i < p.num_boxes; ++i) {
    if (scores[i] >= p.score_threshold) {
      k.kept_scores[kept] = scores[i];
      k.kept_boxes[kept] = i;
      ++kept;
    }
  }
  sort_decreasing(k.kept_scores, kept, k.order, k.merge);
  const int32_t wanted = kept < limit ? kept : limit;
  for (int32_t i = 0; i < kept; ++i) k.active[i] = 1;
  int32_t active = kept;
  int32_t count = 0;
  for (int32_t i = 0; i < kept; ++i) {
    if (active == 0 || count >= wanted) break;
    if (!k.active[i]) continue;
    const int32_t box = k.kept_boxes[k.order[i]];
    k.selected[count++] = box;
    k.active[i] = 0;
    --active;
    for (int32_t j = i + 1; j < kept; ++j) {
      if (k.active[j] && overlap(k.decoded, box, k.kept_boxes[k.order[j]]) > p.iou_threshold) {
        k.active[j] = 0;
        --active;
      }
    }
  }
  return count;
}

void put(const Scratch& k, int32_t slot, int32_t box, float cls, float score, float* out_boxes,
         float* out_classes, float* out_scores) {
  memcpy(out_boxes + 4 * slot, k.decoded + 4 * box, 4 * sizeof(float));
  out_classes[slot] = cls;
  out_scores[slot] = score;
}

}  // namespace

size_t detection_postprocess_scratch_bytes(const DetectionPostprocessParams& p) {
  return words(p) * 4 + static_cast<size_t>(p.num_boxes);
}

Status detection_postprocess_f32(const DetectionPostprocessParams& p, const float* boxes,
                                 const float* scores, const float* anchors, float* out_boxes,
                                 float* out_classes, float* out_scores, float* out_count,
                                 uint8_t* scratch) {
  const Scratch k = carve(p, scratch);
  // Decoded in double and rounded to float at the same points as TFLite Micro.
  for (int32_t i = 0; i < p.num_boxes; ++i) {
    const float* e = boxes + i * p.box_stride;
    const float* a = anchors + 4 * i;
    const float y = static_cast<float>(static_cast<double>(e[0]) / p.y_scale * a[2] + a[0]);
    const float x = static_cast<float>(static_cast<double>(e[1]) / p.x_scale * a[3] + a[1]);
    const float half_h = static_cast<float>(0.5 * exp(static_cast<double>(e[2]) / p.h_scale) * a[2]);
    const float half_w = static_cast<float>(0.5 * exp(static_cast<double>(e[3]) / p.w_scale) * a[3]);
    float* d = k.decoded + 4 * i;
    d[0] = y - half_h;
    d[1] = x - half_w;
    d[2] = y + half_h;
    d[3] = x + half_w;
    if (!(d[0] < d[2]) || !(d[1] < d[3])) return Status::invalid_argument;
  }
  memset(out_boxes, 0, static_cast<size_t>(p.output_slots) * 4 * sizeof(float));
  memset(out_classes, 0, static_cast<size_t>(p.output_slots) * sizeof(float));
  memset(out_scores, 0, static_cast<size_t>(p.output_slots) * sizeof(float));
  const int32_t stride = p.num_classes_with_background;
  const int32_t label_offset = stride - p.num_classes;

  if (p.use_regular_nms) {
    int32_t best = 0;  // entries of the running best list
    for (int32_t c = 0; c < p.num_classes; ++c) {
      for (int32_t b = 0; b < p.num_boxes; ++b) k.box_scores[b] = scores[b * stride + c + label_offset];
      const int32_t picked = suppress(p, k, k.box_scores, p.detections_per_class);
      int32_t n = best;
      for (int32_t i = 0; i < picked; ++i) {
        k.best_index[n] = k.selected[i] * stride + c + label_offset;
        k.best_score[n] = k.box_scores[k.selected[i]];
        ++n;
      }
      const int32_t keep = n < p.max_detections ? n : p.max_detections;
      sort_decreasing(k.best_score, n, k.order, k.merge);
      for (int32_t r = 0; r < keep; ++r) {
        const int32_t from = k.order[r];
        k.order[r] = k.best_index[from];
        k.sorted_score[r] = k.best_score[from];
      }
      for (int32_t r = 0; r < keep; ++r) {
        k.best_index[r] = k.order[r];
        k.best_score[r] = k.sorted_score[r];
      }
      best = keep;
    }
    for (int32_t slot = 0; slot < best && slot < p.output_slots; ++slot) {
      const int32_t box = k.best_index[slot] / stride;
      const int32_t cls = k.best_index[slot] - box * stride - label_offset;
      put(k, slot, box, static_cast<float>(cls), k.best_score[slot], out_boxes, out_classes, out_scores);
    }
    out_count[0] = static_cast<float>(best);
    return Status::ok;
  }

  const int32_t per_box = categories(p);
  for (int32_t b = 0; b < p.num_boxes; ++b) {
    const float* row = scores + b * stride + label_offset;
    sort_decreasing(row, p.num_classes, k.class_order, k.class_merge);
    memcpy(k.top_classes + b * per_box, k.class_order, static_cast<size_t>(per_box) * sizeof(int32_t));
    k.box_scores[b] = row[k.class_order[0]];
  }
  const int32_t picked = suppress(p, k, k.box_scores, p.max_detections);
  // Box i's classes fill slots max_classes_per_detection * i + c, and the count is of boxes,
  // as in TensorFlow Lite. (TFLite Micro agrees for one class per box, the exported
  // default; for more it advances per class and writes past its outputs.)
  for (int32_t i = 0; i < picked; ++i) {
    const int32_t box = k.selected[i];
    const float* row = scores + box * stride + label_offset;
    for (int32_t c = 0; c < per_box; ++c) {
      const int32_t slot = p.max_classes_per_detection * i + c;
      const int32_t cls = k.top_classes[box * per_box + c];
      put(k, slot, box, static_cast<float>(cls), row[cls], out_boxes, out_classes, out_scores);
    }
  }
  out_count[0] = static_cast<float>(picked);
  return Status::ok;
}

}  // namespace kernels
}  // namespace utensor
