#ifndef UTENSOR_KERNELS_ROW_STREAM_HPP
#define UTENSOR_KERNELS_ROW_STREAM_HPP

// In-place execution of a windowed NHWC kernel (convolution, depthwise convolution) whose
// output buffer overlaps its input buffer, so a layer needs about max(input, output)
// bytes of arena instead of input + output.
//
// The kernel is run one output row at a time into a small staging buffer, through a
// shape that describes just that row (output_height 1, the input starting at the first
// row the window reads, pad_top adjusted). A staged row is copied to its final place as
// soon as that place no longer holds input a later row reads. The converter's planner
// simulates the same rule to size the staging buffer (`staging_rows`) and to place the two
// buffers; this file and scripts/utensor/planner.py must agree on it:
//   row r may be written once every later output row's window starts at or beyond the
//   end of row r's destination, or the destination lies outside the input buffer.
//
// Usage (generated code): run_rows_in_place(op3_params, in, out, staging, 2,
//     [&](const decltype(op3_params)& p, const int8_t* x, int8_t* y) { kernel(p, x, ..., y); });

#include <stdint.h>
#include <string.h>

namespace utensor {
namespace kernels {
namespace detail {

/// memcpy of one staged row (non-overlapping). Every streamed layer copies each of its
/// output rows once, so on Thumb-2 cores word-aligned rows move 32 bytes per pass of two
/// LDM/STM pairs (about 3x fewer instructions than the C library's word loop).
inline void copy_row(void* dst, const void* src, size_t bytes) {
#if defined(__thumb2__) && defined(__ARM_ARCH_ISA_THUMB)
  if (bytes >= 32 && ((reinterpret_cast<uintptr_t>(dst) | reinterpret_cast<uintptr_t>(src)) & 3u) == 0) {
    uint32_t blocks = static_cast<uint32_t>(bytes / 32);
    uint8_t* d = static_cast<uint8_t*>(dst);
    const uint8_t* s = static_cast<const uint8_t*>(src);
    __asm__ volatile(
        "1:\n\t"
        "ldmia %[s]!, {r3, r4, r5, r6}\n\t"
        "stmia %[d]!, {r3, r4, r5, r6}\n\t"
        "ldmia %[s]!, {r3, r4, r5, r6}\n\t"
        "stmia %[d]!, {r3, r4, r5, r6}\n\t"
        "subs %[n], %[n], #1\n\t"
        "bne 1b\n\t"
        : [s] "+r"(s), [d] "+r"(d), [n] "+r"(blocks)
        :
        : "r3", "r4", "r5", "r6", "cc", "memory");
    if (bytes % 32 != 0) memcpy(d, s, bytes % 32);
    return;
  }
#endif
  memcpy(dst, src, bytes);
}

}  // namespace detail

/// Runs `band(params', input', output_row)` for each output row of a batch-1 NHWC layer
/// whose output may overlap its input; `staging` holds `staging_rows` output rows.
/// Params: any kernel parameter struct with a `shape` member carrying input_height,
/// input_width, input_channels, output_height, output_width, output_channels (or the
/// depthwise input_channels * depth_multiplier), stride_height and pad_top.
template <typename T, typename Params, typename Band>
void run_rows_in_place(const Params& params, const T* input, T* output, uint8_t* staging,
                       int32_t staging_rows, int32_t out_row_elems, Band band) {
  const int32_t in_row_elems = params.shape.input_width * params.shape.input_channels;
  const int32_t out_rows = params.shape.output_height;
  const uintptr_t in_begin = reinterpret_cast<uintptr_t>(input);
  const uintptr_t in_end = in_begin + static_cast<uintptr_t>(params.shape.input_height) *
                                          static_cast<uintptr_t>(in_row_elems) * sizeof(T);
  const size_t row_bytes = static_cast<size_t>(out_row_elems) * sizeof(T);
  T* stage = reinterpret_cast<T*>(staging);
  int32_t flushed = 0;  // output rows [0, flushed) are in their final place
  Params row = params;  // one copy; each band below rewrites its three row fields
  row.shape.output_height = 1;
  for (int32_t oy = 0; oy < out_rows; ++oy) {
    const int32_t top = oy * params.shape.stride_height - params.shape.pad_top;
    const int32_t first_row = top > 0 ? top : 0;
    row.shape.input_height = params.shape.input_height - first_row;
    row.shape.pad_top = first_row - top;
    band(row, input + static_cast<size_t>(first_row) * static_cast<size_t>(in_row_elems),
         stage + static_cast<size_t>(oy % staging_rows) * static_cast<size_t>(out_row_elems));
    // The first input byte any later output row still reads.
    uintptr_t needed = in_end;
    if (oy + 1 < out_rows) {
      const int32_t next_top = (oy + 1) * params.shape.stride_height - params.shape.pad_top;
      const int32_t next_row = next_top > 0 ? next_top : 0;
      needed = in_begin + static_cast<uintptr_t>(next_row) * static_cast<uintptr_t>(in_row_elems) *
                              sizeof(T);
    }
    while (flushed <= oy) {
      const uintptr_t dst = reinterpret_cast<uintptr_t>(output) + static_cast<uintptr_t>(flushed) * row_bytes;
      const bool safe = dst + row_bytes <= needed || dst >= in_end || dst + row_bytes <= in_begin;
      if (!safe && oy + 1 < out_rows) break;
      detail::copy_row(reinterpret_cast<void*>(dst),
                       stage + static_cast<size_t>(flushed % staging_rows) * static_cast<size_t>(out_row_elems),
                       row_bytes);
      ++flushed;
    }
  }
}

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_ROW_STREAM_HPP
