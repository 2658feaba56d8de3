#include "utensor/kernels/data.hpp"

#include <string.h>

namespace utensor {
namespace kernels {

void index_copy(const IndexCopyParams& p, const void* input, void* output, int32_t element_bytes) {
  const uint8_t* in = static_cast<const uint8_t*>(input);
  uint8_t* out = static_cast<uint8_t*>(output);
  const size_t block = static_cast<size_t>(p.block) * static_cast<size_t>(element_bytes);
  // Each dimension's table starts where the previous one ends.
  const int32_t* table[kIndexCopyMaxRank];
  int32_t start = 0;
  for (int32_t d = 0; d < p.rank; ++d) {
    table[d] = p.offsets + start;
    start += p.dims[d];
  }
  // An odometer over the output dims; base[d] is the offset summed over dimensions < d, so
  // a step of the last dimension costs one add.
  int32_t index[kIndexCopyMaxRank] = {0};
  int32_t base[kIndexCopyMaxRank + 1] = {0};
  for (int32_t d = 0; d < p.rank; ++d) base[d + 1] = base[d] + table[d][0];
  const int32_t last = p.rank - 1;
  for (;;) {
    const int32_t* t = table[last];
    const int32_t b = base[last];
    for (int32_t i = 0; i < p.dims[last]; ++i) {
      memcpy(out, in + static_cast<size_t>(b + t[i]) * static_cast<size_t>(element_bytes), block);
      out += block;
    }
    int32_t d = last - 1;
    while (d >= 0 && ++index[d] == p.dims[d]) index[d--] = 0;
    if (d < 0) return;
    for (int32_t k = d; k < last; ++k) base[k + 1] = base[k] + table[k][index[k]];
  }
}

Status gather(const GatherParams& p, const void* input, const int32_t* indices, void* output,
              int32_t element_bytes) {
  const uint8_t* in = static_cast<const uint8_t*>(input);
  uint8_t* out = static_cast<uint8_t*>(output);
  const size_t inner = static_cast<size_t>(p.inner) * static_cast<size_t>(element_bytes);
  for (int32_t b = 0; b < p.batches; ++b) {
    const int32_t* idx = indices + static_cast<size_t>(b) * static_cast<size_t>(p.count);
    for (int32_t o = 0; o < p.outer; ++o) {
      const uint8_t* slab = in + (static_cast<size_t>(b) * p.outer + o) * p.axis_size * inner;
      for (int32_t k = 0; k < p.count; ++k) {
        const int32_t i = idx[k];
        if (i < 0 || i >= p.axis_size) return Status::out_of_bounds;
        memcpy(out, slab + static_cast<size_t>(i) * inner, inner);
        out += inner;
      }
    }
  }
  return Status::ok;
}


void select(const SelectParams& p, const bool* condition, const void* x, const void* y, void* output,
            int32_t element_bytes) {
  const uint8_t* xs = static_cast<const uint8_t*>(x);
  const uint8_t* ys = static_cast<const uint8_t*>(y);
  uint8_t* out = static_cast<uint8_t*>(output);
  const size_t eb = static_cast<size_t>(element_bytes);
  int32_t index[kSelectMaxRank] = {0};
  int32_t c = 0, a = 0, b = 0;
  for (int32_t k = 0; k < p.size; ++k) {
    memcpy(out + static_cast<size_t>(k) * eb, condition[c] ? xs + static_cast<size_t>(a) * eb : ys + static_cast<size_t>(b) * eb, eb);
    // Step the odometer: strides added, and taken back when a dimension wraps.
    for (int32_t d = kSelectMaxRank - 1; d >= 0; --d) {
      c += p.condition_stride[d];
      a += p.x_stride[d];
      b += p.y_stride[d];
      if (++index[d] < p.dims[d]) break;
      index[d] = 0;
      c -= p.condition_stride[d] * p.dims[d];
      a -= p.x_stride[d] * p.dims[d];
      b -= p.y_stride[d] * p.dims[d];
    }
  }
}

void space_to_batch(const SpaceToBatchParams& p, const void* input, void* output, int32_t element_bytes) {
  const uint8_t* in = static_cast<const uint8_t*>(input);
  uint8_t* out = static_cast<uint8_t*>(output);
  const size_t pixel = static_cast<size_t>(p.depth) * static_cast<size_t>(element_bytes);
  for (int32_t ob = 0; ob < p.output_batches; ++ob) {
    const int32_t b = ob % p.batches;
    const int32_t shift_w = (ob / p.batches) % p.block_width;
    const int32_t shift_h = (ob / p.batches) / p.block_width;
    for (int32_t oh = 0; oh < p.output_height; ++oh) {
      const int32_t h = oh * p.block_height + shift_h - p.pad_top;
      for (int32_t ow = 0; ow < p.output_width; ++ow) {
        const int32_t w = ow * p.block_width + shift_w - p.pad_left;
        if (h < 0 || h >= p.input_height || w < 0 || w >= p.input_width) {
          memset(out, p.pad_byte, pixel);
        } else {
          memcpy(out, in + ((static_cast<size_t>(b) * p.input_height + h) * p.input_width + w) * pixel, pixel);
        }
        out += pixel;
      }
    }
  }
}

namespace {

template <typename I>
void dynamic_update_slice_impl(const DynamicUpdateSliceParams& p, const void* operand, const void* update,
                               const I* indices, void* output, int32_t element_bytes) {
  const size_t eb = static_cast<size_t>(element_bytes);
  if (output != operand) memcpy(output, operand, static_cast<size_t>(p.size) * eb);
  const int kRank = kIndexCopyMaxRank;
  // The clamped start, as an element offset into the output, and the output strides.
  int32_t stride[kRank];
  stride[kRank - 1] = 1;
  for (int d = kRank - 2; d >= 0; --d) stride[d] = stride[d + 1] * p.operand_dims[d + 1];
  int32_t start = 0;
  for (int d = p.leading; d < kRank; ++d) {
    const int64_t limit = p.operand_dims[d] - p.update_dims[d];
    int64_t s = static_cast<int64_t>(indices[d - p.leading]);
    s = s < 0 ? 0 : (s > limit ? limit : s);
    start += static_cast<int32_t>(s) * stride[d];
  }
  const uint8_t* in = static_cast<const uint8_t*>(update);
  uint8_t* out = static_cast<uint8_t*>(output);
  const size_t row = static_cast<size_t>(p.update_dims[kRank - 1]) * eb;
  int32_t index[kRank] = {0};
  for (;;) {
    int32_t offset = start;
    for (int d = 0; d < kRank - 1; ++d) offset += index[d] * stride[d];
    memcpy(out + static_cast<size_t>(offset) * eb, in, row);
    in += row;
    int d = kRank - 2;
    while (d >= 0 && ++index[d] == p.update_dims[d]) index[d--] = 0;
    if (d < 0) return;
  }
}

}  // namespace

void dynamic_update_slice(const DynamicUpdateSliceParams& p, const void* operand, const void* update,
                          const int32_t* indices, void* output, int32_t element_bytes) {
  dynamic_update_slice_impl(p, operand, update, indices, output, element_bytes);
}

void dynamic_update_slice(const DynamicUpdateSliceParams& p, const void* operand, const void* update,
                          const int64_t* indices, void* output, int32_t element_bytes) {
  dynamic_update_slice_impl(p, operand, update, indices, output, element_bytes);
}

namespace {

template <typename T>
Status broadcast_args_impl(const BroadcastArgsParams& p, const T* shape1, const T* shape2, T* output) {
  for (int32_t k = 0; k < p.output_rank; ++k) {
    // Right-aligned: output dimension k is dimension k - (output_rank - rank) of each shape.
    const int32_t i1 = k - (p.output_rank - p.rank1);
    const int32_t i2 = k - (p.output_rank - p.rank2);
    const T d1 = i1 >= 0 ? shape1[i1] : 1;
    const T d2 = i2 >= 0 ? shape2[i2] : 1;
    if (d1 != d2 && d1 != 1 && d2 != 1) return Status::shape_mismatch;
    output[k] = d1 == 1 ? d2 : d1;
  }
  return Status::ok;
}

}  // namespace

Status broadcast_args(const BroadcastArgsParams& p, const int32_t* shape1, const int32_t* shape2, int32_t* output) {
  return broadcast_args_impl(p, shape1, shape2, output);
}

Status broadcast_args(const BroadcastArgsParams& p, const int64_t* shape1, const int64_t* shape2, int64_t* output) {
  return broadcast_args_impl(p, shape1, shape2, output);
}

void fill(const FillParams& p, const void* value, void* output, int32_t element_bytes) {
  uint8_t* out = static_cast<uint8_t*>(output);
  const size_t eb = static_cast<size_t>(element_bytes);
  for (int32_t k = 0; k < p.size; ++k) memcpy(out + static_cast<size_t>(k) * eb, value, eb);
}

void zeros(const FillParams& p, void* output, int32_t element_bytes) {
  memset(output, 0, static_cast<size_t>(p.size) * static_cast<size_t>(element_bytes));
}

}  // namespace kernels
}  // namespace utensor
