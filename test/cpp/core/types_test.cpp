#include "utensor/core/types.hpp"

#include <gtest/gtest.h>
#include <string.h>

#include "utensor/core/status.hpp"

using utensor::DType;
using utensor::Status;
using utensor::TensorShape;

TEST(TensorShape, BracedListGivesRankDimsAndCount) {
  TensorShape s({1, 640});
  EXPECT_EQ(s.rank(), 2);
  EXPECT_EQ(s[0], 1u);
  EXPECT_EQ(s[1], 640u);
  EXPECT_EQ(s.num_elements(), 640u);
}

TEST(TensorShape, TrailingDimsReadAsOne) {
  TensorShape s({3, 5, 7});
  EXPECT_EQ(s[3], 1u);
  EXPECT_EQ(s[9], 1u);
  EXPECT_EQ(s.num_elements(), 105u);
}

TEST(TensorShape, ScalarAndRankFour) {
  TensorShape scalar;
  EXPECT_EQ(scalar.rank(), 0);
  EXPECT_EQ(scalar.num_elements(), 1u);
  TensorShape nhwc({2, 3, 4, 5});
  EXPECT_EQ(nhwc.rank(), 4);
  EXPECT_EQ(nhwc.num_elements(), 120u);
}

TEST(TensorShape, IntVariablesAreNotNarrowingErrors) {
  int rows = 6;
  size_t cols = 7;
  TensorShape s({rows, cols});
  EXPECT_EQ(s.num_elements(), 42u);
}

TEST(TensorShape, Equality) {
  EXPECT_EQ(TensorShape({2, 3}), TensorShape({2, 3}));
  EXPECT_NE(TensorShape({2, 3}), TensorShape({3, 2}));
  EXPECT_NE(TensorShape({6}), TensorShape({6, 1}));
}

TEST(DType, Sizes) {
  EXPECT_EQ(utensor::dtype_size(DType::i8), 1u);
  EXPECT_EQ(utensor::dtype_size(DType::u8), 1u);
  EXPECT_EQ(utensor::dtype_size(DType::b8), 1u);
  EXPECT_EQ(utensor::dtype_size(DType::i16), 2u);
  EXPECT_EQ(utensor::dtype_size(DType::u16), 2u);
  EXPECT_EQ(utensor::dtype_size(DType::i32), 4u);
  EXPECT_EQ(utensor::dtype_size(DType::u32), 4u);
  EXPECT_EQ(utensor::dtype_size(DType::f32), 4u);
  EXPECT_EQ(utensor::dtype_size(DType::i64), 8u);
  EXPECT_EQ(utensor::dtype_size(static_cast<DType>(200)), 0u);
}

TEST(DType, ProtocolValuesAreStable) {
  // Part of the serial protocol and the model descriptor.
  EXPECT_EQ(static_cast<int>(DType::i8), 0);
  EXPECT_EQ(static_cast<int>(DType::f32), 6);
  EXPECT_EQ(static_cast<int>(DType::b8), 8);
  EXPECT_EQ(utensor::dtype_of<int8_t>::value, DType::i8);
  EXPECT_EQ(utensor::dtype_of<float>::value, DType::f32);
  EXPECT_EQ(utensor::dtype_of<uint16_t>::value, DType::u16);
}

TEST(Status, NamesComeFromTheList) {
#ifndef UTENSOR_NO_LOG_STRINGS
  EXPECT_STREQ(utensor::status_name(Status::ok), "ok");
  EXPECT_STREQ(utensor::status_name(Status::out_of_memory), "out of memory");
  EXPECT_STREQ(utensor::status_name(Status::write_to_rom), "write to read-only tensor");
  EXPECT_STREQ(utensor::status_name(Status::timeout), "timeout");
  EXPECT_STREQ(utensor::status_name(static_cast<Status>(250)), "unknown status");
#else
  EXPECT_STREQ(utensor::status_name(Status::out_of_memory), "");
#endif
}

TEST(Status, EveryCodeHasADistinctName) {
  // Count the codes from the same X-macro and check each name (would catch a table that
  // is shorter than the enum or has duplicates).
  const char* names[] = {
#define NAME_OF(name, text) utensor::status_name(Status::name),
      UTENSOR_STATUS_LIST(NAME_OF)
#undef NAME_OF
  };
  const size_t n = sizeof(names) / sizeof(names[0]);
  EXPECT_EQ(n, static_cast<size_t>(Status::timeout) + 1);
#ifndef UTENSOR_NO_LOG_STRINGS
  for (size_t i = 0; i < n; ++i) {
    EXPECT_GT(strlen(names[i]), 0u);
    EXPECT_STRNE(names[i], "unknown status");
    for (size_t j = 0; j < i; ++j) EXPECT_STRNE(names[i], names[j]);
  }
#endif
}
