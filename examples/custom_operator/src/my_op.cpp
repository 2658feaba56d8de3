// The project's implementation of the custom operator "Atan" (tf.math.atan exported with
// allow_custom_ops): y = atan(x) elementwise, float32. The converter calls it because
// platformio.ini names it in custom_utensor_user_ops.
#include <math.h>

#include "utensor/custom_op.hpp"

utensor::Status utensor_user_op_Atan(const utensor::UserOpContext& ctx) {
  // Checked on every call because the converter cannot know what this code supports; a
  // non-ok status makes invoke() return it.
  if (ctx.num_inputs != 1 || ctx.num_outputs != 1) return utensor::Status::invalid_argument;
  const utensor::UserOpTensor& in = ctx.input(0);
  const utensor::UserOpTensor& out = ctx.output(0);
  if (in.dtype != utensor::DType::f32 || out.dtype != utensor::DType::f32) {
    return utensor::Status::dtype_mismatch;
  }
  if (in.num_elements() != out.num_elements()) return utensor::Status::shape_mismatch;
  const float* x = ctx.input_data<float>(0);
  float* y = ctx.output_data<float>(0);
  for (uint32_t i = 0; i < in.num_elements(); ++i) y[i] = atanf(x[i]);
  return utensor::Status::ok;
}
