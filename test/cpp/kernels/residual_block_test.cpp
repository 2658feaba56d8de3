// run_residual_block (kernels/residual_block.hpp) in place over the block input gives
// exactly what conv1 -> conv2 -> add gives with full-size intermediates: same kernels on
// row bands, so every float is computed by the same operations in the same order. Swept
// over heights, widths, kernel sizes the converter fuses (KH1 <= KH2, SAME), dilation,
// both ADD operand orders and row-buffer capacities from the window to the whole height.
#include <gtest/gtest.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include <vector>

#include "utensor/kernels/conv2d.hpp"
#include "utensor/kernels/elementwise.hpp"
#include "utensor/kernels/residual_block.hpp"

namespace {

using utensor::kernels::Conv2DF32Params;
using utensor::kernels::ElementwiseF32Params;

uint32_t next(uint32_t* s) {
  *s ^= *s << 13;
  *s ^= *s >> 17;
  *s ^= *s << 5;
  return *s;
}

float uniform(uint32_t* s) { return static_cast<float>(next(s) % 2001u) / 1000.0f - 1.0f; }

// SAME padding, stride 1: TFLite's ComputePaddingHeightWidth.
Conv2DF32Params conv_params(int32_t h, int32_t w, int32_t c_in, int32_t c_out, int32_t k, int32_t dil, bool relu) {
  Conv2DF32Params p;
  memset(&p, 0, sizeof(p));
  p.shape.batches = 1;
  p.shape.input_height = h;
  p.shape.input_width = w;
  p.shape.input_channels = c_in;
  p.shape.filter_height = k;
  p.shape.filter_width = k;
  p.shape.filter_input_channels = c_in;
  p.shape.output_height = h;
  p.shape.output_width = w;
  p.shape.output_channels = c_out;
  p.shape.stride_height = 1;
  p.shape.stride_width = 1;
  p.shape.dilation_height = dil;
  p.shape.dilation_width = dil;
  const int32_t extent = (k - 1) * dil + 1;
  p.shape.pad_top = (extent - 1) / 2;
  p.shape.pad_left = (extent - 1) / 2;
  p.activation_min = relu ? 0.0f : -HUGE_VALF;
  p.activation_max = HUGE_VALF;
  return p;
}

ElementwiseF32Params add_params(int32_t size, bool relu) {
  ElementwiseF32Params p;
  memset(&p, 0, sizeof(p));
  p.shape.size = size;
  p.shape.broadcast = 0;
  for (int d = 0; d < utensor::kernels::kBroadcastMaxRank; ++d) p.shape.dims[d] = 1;
  p.shape.dims[utensor::kernels::kBroadcastMaxRank - 1] = size;
  p.shape.stride1[utensor::kernels::kBroadcastMaxRank - 1] = 1;
  p.shape.stride2[utensor::kernels::kBroadcastMaxRank - 1] = 1;
  p.activation_min = relu ? 0.0f : -HUGE_VALF;
  p.activation_max = HUGE_VALF;
  return p;
}

TEST(ResidualBlock, InPlaceEqualsTheUnfusedLayers) {
  uint32_t s = 2026u;
  const int32_t kernels[] = {1, 3, 5};
  int cases = 0;
  for (int trial = 0; trial < 120; ++trial) {
    const int32_t h = 1 + static_cast<int32_t>(next(&s) % 12u);
    const int32_t w = 1 + static_cast<int32_t>(next(&s) % 7u);
    const int32_t c = 1 + static_cast<int32_t>(next(&s) % 5u);
    const int32_t c_mid = 1 + static_cast<int32_t>(next(&s) % 5u);
    const int32_t k2 = kernels[next(&s) % 3u];
    const int32_t k1 = kernels[next(&s) % 3u];
    const int32_t dil2 = 1 + static_cast<int32_t>(next(&s) % 2u);
    const int32_t dil1 = 1;
    const Conv2DF32Params p1 = conv_params(h, w, c, c_mid, k1, dil1, (trial & 1) != 0);
    const Conv2DF32Params p2 = conv_params(h, w, c_mid, c, k2, dil2, false);
    const int32_t window = (k2 - 1) * dil2 + 1;
    if (window - 1 < p1.shape.pad_top + p2.shape.pad_top) continue;  // the converter's rule
    const bool conv_first = (trial & 2) != 0;
    const ElementwiseF32Params pa = add_params(w * c, (trial & 4) != 0);
    ElementwiseF32Params full_add = pa;
    full_add.shape.size = h * w * c;
    full_add.shape.dims[utensor::kernels::kBroadcastMaxRank - 1] = h * w * c;

    std::vector<float> x(static_cast<size_t>(h * w * c)), f1(static_cast<size_t>(c_mid * k1 * k1 * c)),
        f2(static_cast<size_t>(c * k2 * k2 * c_mid)), b1(static_cast<size_t>(c_mid)), b2(static_cast<size_t>(c));
    for (float& v : x) v = uniform(&s);
    for (float& v : f1) v = uniform(&s);
    for (float& v : f2) v = uniform(&s);
    for (float& v : b1) v = uniform(&s);
    for (float& v : b2) v = uniform(&s);

    std::vector<float> t1(static_cast<size_t>(h * w * c_mid)), t2(x.size()), expected(x.size());
    utensor::kernels::conv2d_f32(p1, x.data(), f1.data(), b1.data(), t1.data());
    utensor::kernels::conv2d_f32(p2, t1.data(), f2.data(), b2.data(), t2.data());
    if (conv_first) {
      utensor::kernels::add_f32(full_add, t2.data(), x.data(), expected.data());
    } else {
      utensor::kernels::add_f32(full_add, x.data(), t2.data(), expected.data());
    }

    const int32_t capacities[] = {window, window + 1, h > window ? h : window};
    for (int32_t capacity : capacities) {
      std::vector<float> y(x);  // in place: the output overwrites the block input
      std::vector<float> rows(static_cast<size_t>(capacity * w * c_mid), NAN);
      std::vector<float> conv_row(static_cast<size_t>(w * c), NAN);
      utensor::kernels::run_residual_block(
          p1, p2, y.data(), y.data(), rows.data(), capacity, conv_row.data(),
          [&](const Conv2DF32Params& band, const float* in, float* out) {
            utensor::kernels::conv2d_f32(band, in, f1.data(), b1.data(), out);
          },
          [&](const Conv2DF32Params& band, const float* in, float* out) {
            utensor::kernels::conv2d_f32(band, in, f2.data(), b2.data(), out);
          },
          [&](const float* conv, const float* in, float* out) {
            if (conv_first) {
              utensor::kernels::add_f32(pa, conv, in, out);
            } else {
              utensor::kernels::add_f32(pa, in, conv, out);
            }
          });
      ASSERT_EQ(0, memcmp(y.data(), expected.data(), y.size() * sizeof(float)))
          << "h " << h << " w " << w << " c " << c << " c_mid " << c_mid << " k1 " << k1 << " k2 " << k2
          << " dil2 " << dil2 << " capacity " << capacity;
      ++cases;
    }
  }
  EXPECT_GT(cases, 100);
}

}  // namespace
