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
