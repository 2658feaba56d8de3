#include "utensor/kernels/batch_matmul.hpp"

#include "utensor/kernels/detail/s16_requant.hpp"
#include "utensor/kernels/fixedpoint.hpp"

namespace utensor {
namespace kernels {
namespace {

// Calls product(lhs matrix, rhs matrix, output matrix) for every output batch index.
template <typename T, typename Product>
void for_each_batch(const BatchMatMulShape& s, const T* lhs, const T* rhs, T* output,
                    Product product) {
  const int32_t matrix = s.rows * s.cols;
  for (int32_t b0 = 0; b0 < s.batch_dims[0]; ++b0) {
    for (int32_t b1 = 0; b1 < s.batch_dims[1]; ++b1) {
      for (int32_t b2 = 0; b2 < s.batch_dims[2]; ++b2) {
        const T* l = lhs + b0 * s.lhs_batch_strides[0] + b1 * s.lhs_batch_strides[1] +
                     b2 * s.lhs_batch_strides[2];
        const T* r = rhs + b0 * s.rhs_batch_strides[0] + b1 * s.rhs_batch_strides[1] +
                     b2 * s.rhs_batch_strides[2];
        product(l, r, output);
        output += matrix;
      }
    }
  }
}

struct ProductS8 {
  const BatchMatMulS8Params* p;
  void operator()(const int8_t* lhs, const int8_t* rhs, int8_t* out) const {
    const BatchMatMulShape& s = p->shape;
    for (int32_t i = 0; i < s.rows; ++i) {
      for (int32_t j = 0; j < s.cols; ++j) {
        const int8_t* l = lhs + i * s.lhs_row_stride;
        const int8_t* r = rhs + j * s.rhs_col_stride;
        int32_t acc = 0;
        for (int32_t k = 0; k < s.depth; ++k) {
          acc += (static_cast<int32_t>(l[k * s.lhs_depth_stride]) + p->lhs_offset) *
                 (static_cast<int32_t>(r[k * s.rhs_depth_stride]) + p->rhs_offset);
        }
        const int32_t v = MultiplyByQuantizedMultiplier(acc, p->output_multiplier, p->output_shift) +
                          p->output_offset;
        *out++ = static_cast<int8_t>(ClampI32(v, -128, 127));
      }
    }
  }
};

struct ProductS16 {
  const BatchMatMulS16Params* p;
  void operator()(const int16_t* lhs, const int16_t* rhs, int16_t* out) const {
    const BatchMatMulShape& s = p->shape;
    for (int32_t i = 0; i < s.rows; ++i) {
      for (int32_t j = 0; j < s.cols; ++j) {
        const int16_t* l = lhs + i * s.lhs_row_stride;
        const int16_t* r = rhs + j * s.rhs_col_stride;
        int64_t acc = 0;
        for (int32_t k = 0; k < s.depth; ++k) {
          // TFLite's AccumT is int64_t: the product itself is taken in int64 (2^30 fits
          // int32 too, but -32768 * -32768 would not).
          acc += static_cast<int64_t>(l[k * s.lhs_depth_stride]) * r[k * s.rhs_depth_stride];
        }
        const int32_t v =
            detail::multiply_by_quantized_multiplier_s64(acc, p->output_multiplier, p->output_shift);
        *out++ = detail::clamp_s16(v, -32768, 32767);
      }
    }
  }
};

struct ProductF32 {
  const BatchMatMulShape* s;
  void operator()(const float* lhs, const float* rhs, float* out) const {
    for (int32_t i = 0; i < s->rows; ++i) {
      for (int32_t j = 0; j < s->cols; ++j) {
        const float* l = lhs + i * s->lhs_row_stride;
        const float* r = rhs + j * s->rhs_col_stride;
        float acc = 0.0f;
        for (int32_t k = 0; k < s->depth; ++k) acc += l[k * s->lhs_depth_stride] * r[k * s->rhs_depth_stride];
        *out++ = acc;
      }
    }
  }
};

}  // namespace

void batch_matmul_s8(const BatchMatMulS8Params& params, const int8_t* lhs, const int8_t* rhs,
                     int8_t* output) {
  ProductS8 product = {&params};
  for_each_batch(params.shape, lhs, rhs, output, product);
}

void batch_matmul_s16(const BatchMatMulS16Params& params, const int16_t* lhs, const int16_t* rhs,
                      int16_t* output) {
  ProductS16 product = {&params};
  for_each_batch(params.shape, lhs, rhs, output, product);
}

void batch_matmul_f32(const BatchMatMulF32Params& params, const float* lhs, const float* rhs,
                      float* output) {
  ProductF32 product = {&params.shape};
  for_each_batch(params.shape, lhs, rhs, output, product);
}

}  // namespace kernels
}  // namespace utensor
