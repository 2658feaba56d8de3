#ifndef UTENSOR_KERNELS_POOLING_HPP
#define UTENSOR_KERNELS_POOLING_HPP

// 2-D average and max pooling, NHWC, as TFLite's AVERAGE_POOL_2D / MAX_POOL_2D.
//
// Layouts: input [N, H_IN, W_IN, C], output [N, H_OUT, W_OUT, C]. The window of output
// (oy, ox) starts at (oy * stride_h - pad_top, ox * stride_w - pad_left) and is clipped to
// the image: padding is excluded from averages (TFLite semantics), so every window must
// overlap the image (the converter guarantees it). int8 input and output share scale and
// zero point; the average rounds half away from zero. On DSP cores
// (kernels/arm/pooling_dsp.cpp) int8 averages sum four channels per word with SXTAB16, on
// Helium (pooling_mve.cpp) eight per vector; int8 maxima take four channels per word
// (SSUB8/SEL) on DSP cores and sixteen per vector (VMAX) on Helium, any window.

#include <stdint.h>

#include "utensor/kernels/params/pooling.hpp"

namespace utensor {
namespace kernels {

/// int8 average pooling (same quantization in and out).
void average_pool2d_s8(const PoolS8Params& params, const int8_t* input, int8_t* output);

/// float32 average pooling.
void average_pool2d_f32(const PoolF32Params& params, const float* input, float* output);

/// int8 max pooling (same quantization in and out).
void max_pool2d_s8(const PoolS8Params& params, const int8_t* input, int8_t* output);

/// The int8 poolings for the layers the converter finds with C % 4 == 0 (and, averaging, a
/// window of at most 255 pixels; ops/pooling.py): the DSP cores run their four-channel
/// kernels without the general fallback, which then is not linked.
void average_pool2d_s8_c4(const PoolS8Params& params, const int8_t* input, int8_t* output);
void max_pool2d_s8_c4(const PoolS8Params& params, const int8_t* input, int8_t* output);

/// float32 max pooling.
void max_pool2d_f32(const PoolF32Params& params, const float* input, float* output);

/// int16 (16x8) average and max pooling: the int8 kernels' arithmetic on int16, with
/// PoolS8Params' activation range in int16 units. Portable only.
void average_pool2d_s16(const PoolS8Params& params, const int16_t* input, int16_t* output);
void max_pool2d_s16(const PoolS8Params& params, const int16_t* input, int16_t* output);

/// float32 L2 pooling (L2_POOL_2D): sqrt of the mean square over the window's part inside
/// the image, then the activation clamp (reference/l2_pool.cpp).
void l2_pool2d_f32(const PoolF32Params& params, const float* input, float* output);

namespace detail {
/// average_pool2d_s8 by the portable kernel: what the Arm variant falls back to.
void average_pool2d_s8_portable(const PoolS8Params& params, const int8_t* input, int8_t* output);
/// max_pool2d_s8 by the portable kernel (taps outer, channels inner): what the Arm variants
/// fall back to.
void max_pool2d_s8_portable(const PoolS8Params& params, const int8_t* input, int8_t* output);
}  // namespace detail

}  // namespace kernels
}  // namespace utensor

#endif  // UTENSOR_KERNELS_POOLING_HPP
