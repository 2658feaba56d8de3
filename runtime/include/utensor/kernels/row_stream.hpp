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
  for (int32_t oy = 0; oy < out_rows; ++oy) {
    const int32_t top = oy * params.shape.stride_height - params.shape.pad_top;
    const int32_t first_row = top > 0 ? top : 0;
    Params row = params;
    row.shape.output_height = 1;
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
      memcpy(reinterpret_cast<void*>(dst),
             stage + static_cast<size_t>(flushed % staging_rows) * static_cast<size_t>(out_row_elems), row_bytes);
      ++flushed;
    }
  }
}

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_ROW_STREAM_HPP
