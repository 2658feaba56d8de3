#ifndef UTENSOR_KERNELS_RESIDUAL_BLOCK_HPP
#define UTENSOR_KERNELS_RESIDUAL_BLOCK_HPP

// A residual block y = add(conv2(conv1(x)), x) (either ADD operand order) run row by row,
// so neither full-size intermediate exists: the arena holds x (which y overwrites, row r
// over row r) plus a window of conv1's output rows and one conv2 output row.
//
// Both convolutions are the model's own kernels called on row bands (the shape trick of
// row_stream.hpp: output_height 1, the input starting at the first row the window reads,
// input_height and pad_top adjusted), so every output value is computed by the same code
// on the same data as without fusion. The converter (scripts/utensor/passes_residual.py)
// fuses a block only when
//   - both convolutions have stride 1 along H and conv2's output and x have one shape;
//   - conv2's window extent E2 = (KH2 - 1) * dilation2 + 1 satisfies
//     E2 - 1 >= pad_top1 + pad_top2: then while output row r is produced, the conv1 rows
//     computed read input rows >= r only, and rows < r are all that has been overwritten.

#include <stdint.h>
#include <string.h>

namespace utensor {
namespace kernels {

/// Runs the block. `rows` holds `capacity` >= (KH2 - 1) * dilation2 + 1 conv1 output rows,
/// `conv_row` one conv2 output row; `output` may be `input`. conv1(p, in, out) /
/// conv2(p, in, out): the convolution kernels with a band of their parameters;
/// add_row(conv_row, input_row, output_row): the ADD kernel on one row, its operands in the
/// model's order.
template <typename T, typename P1, typename P2, typename Conv1, typename Conv2, typename AddRow>
void run_residual_block(const P1& p1, const P2& p2, const T* input, T* output, T* rows, int32_t capacity,
                        T* conv_row, Conv1 conv1, Conv2 conv2, AddRow add_row) {
  const size_t in_row = static_cast<size_t>(p1.shape.input_width) * static_cast<size_t>(p1.shape.input_channels);
  const size_t mid_row = static_cast<size_t>(p1.shape.output_width) * static_cast<size_t>(p1.shape.output_channels);
  const size_t out_row = static_cast<size_t>(p2.shape.output_width) * static_cast<size_t>(p2.shape.output_channels);
  const int32_t mid_height = p1.shape.output_height;
  const int32_t extent2 = (p2.shape.filter_height - 1) * p2.shape.dilation_height + 1;
  P1 band1 = p1;
  P2 band2 = p2;
  band2.shape.output_height = 1;
  int32_t base = 0;  // conv1 rows [base, hi) are in rows[0 .. hi - base)
  int32_t hi = 0;
  for (int32_t r = 0; r < p2.shape.output_height; ++r) {
    const int32_t top = r - p2.shape.pad_top;
    const int32_t lo = top > 0 ? top : 0;
    const int32_t want_hi = top + extent2 < mid_height ? top + extent2 : mid_height;
    if (want_hi - base > capacity) {
      // Out of room: the rows the window still needs move to the front. The converter
      // gives the buffer as many rows as the arena has room for at this step, so this
      // copying (E2 - 1 rows) happens once every capacity - E2 + 1 output rows.
      if (hi > lo) {
        memmove(rows, rows + static_cast<size_t>(lo - base) * mid_row,
                static_cast<size_t>(hi - lo) * mid_row * sizeof(T));
      } else {
        hi = lo;
      }
      base = lo;
    }
    if (hi < want_hi) {
      // Fill the buffer in one call: rows further down read input rows further down
      // still, none of them overwritten yet (the rule above), and fewer calls cost less.
      const int32_t fill = base + capacity < mid_height ? base + capacity : mid_height;
      const int32_t top1 = hi * p1.shape.stride_height - p1.shape.pad_top;
      const int32_t first = top1 > 0 ? top1 : 0;
      band1.shape.input_height = p1.shape.input_height - first;
      band1.shape.pad_top = first - top1;
      band1.shape.output_height = fill - hi;
      conv1(band1, input + static_cast<size_t>(first) * in_row, rows + static_cast<size_t>(hi - base) * mid_row);
      hi = fill;
    }
    band2.shape.input_height = hi - lo;
    band2.shape.pad_top = lo - top;
    conv2(band2, static_cast<const T*>(rows + static_cast<size_t>(lo - base) * mid_row), conv_row);
    add_row(static_cast<const T*>(conv_row), input + static_cast<size_t>(r) * in_row,
            output + static_cast<size_t>(r) * out_row);
  }
}

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_RESIDUAL_BLOCK_HPP
