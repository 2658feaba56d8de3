// Hand-written models for the harness host test (test/test_harness_host.py): they exercise
// the protocol without the converter, with results the test computes independently.
//
// toy_add: out0[i] = saturate_int8(in0[i] + 1) over 1000 int8 (four SET_INPUT chunks),
//          out1 = in1 * 2.5 over a 2x3 float32; invoke() then zeroes in0 the way an
//          in-place plan may overwrite inputs, so running INVOKE twice gives wrong outputs.
// toy_fail: invoke() returns Status::unsupported.

#include <string.h>

#include "utensor/model.hpp"
#include "utensor/version.hpp"

namespace {

using utensor::DType;
using utensor::ModelDescriptor;
using utensor::Status;
using utensor::TensorDescriptor;

const int kN = 1000;
uint8_t g_arena[kN + 24 + kN + 24];
int8_t* const in0 = reinterpret_cast<int8_t*>(g_arena);
float* const in1 = reinterpret_cast<float*>(g_arena + kN);
int8_t* const out0 = reinterpret_cast<int8_t*>(g_arena + kN + 24);
float* const out1 = reinterpret_cast<float*>(g_arena + 2 * kN + 24);

Status toy_add_invoke() {
  for (int i = 0; i < kN; ++i) {
    int v = in0[i] + 1;
    out0[i] = static_cast<int8_t>(v > 127 ? 127 : v);
  }
  for (int i = 0; i < 6; ++i) out1[i] = in1[i] * 2.5f;
  memset(in0, 0, kN);
  return Status::ok;
}

Status toy_fail_invoke() { return Status::unsupported; }

const TensorDescriptor kAddInputs[2] = {
    {"input_int8", DType::i8, 2, {1, kN, 1, 1}, 0.5f, -3, kN, g_arena},
    {"input_float", DType::f32, 2, {2, 3, 1, 1}, 0.0f, 0, 24, g_arena + kN},
};
const TensorDescriptor kAddOutputs[2] = {
    {"output_int8", DType::i8, 2, {1, kN, 1, 1}, 0.5f, -2, kN, g_arena + kN + 24},
    {"output_float", DType::f32, 2, {2, 3, 1, 1}, 0.0f, 0, 24, g_arena + 2 * kN + 24},
};
const ModelDescriptor kToyAdd = {
    "toy_add", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    UTENSOR_VERSION, sizeof g_arena, 0, 2, 2, kAddInputs, kAddOutputs, toy_add_invoke, nullptr, 0};

const TensorDescriptor kFailIo[1] = {
    {"x", DType::i8, 1, {4, 1, 1, 1}, 0.0f, 0, 4, g_arena},
};
const ModelDescriptor kToyFail = {"toy_fail", "", UTENSOR_VERSION, 4, 0, 1, 1,
                                  kFailIo,    kFailIo, toy_fail_invoke, nullptr, 0};

}  // namespace

const utensor::ModelDescriptor* const utensor_model_registry[] = {&kToyAdd, &kToyFail};
const size_t utensor_model_registry_size = 2;
