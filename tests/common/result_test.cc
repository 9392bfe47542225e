#include "capf/common/result.h"

#include <gtest/gtest.h>

#include "tests/support/result_matchers.h"

namespace capf {
namespace {

Result<int> half(int v) {
  if (v % 2 != 0)
    return make_error(ErrorCode::kInvalidArgument, "{} is odd", v);
  return v / 2;
}

Result<int> quarter(int v) {
  CAPF_ASSIGN_OR_RETURN(int h, half(v));
  return half(h);
}

Status check_even(int v) {
  CAPF_TRY(half(v));
  return ok();
}

TEST(Result, CarriesValueOrError) {
  EXPECT_EQ(*quarter(8), 2);
  auto r = quarter(6);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(r.error().message, "3 is odd");
  EXPECT_TRUE(check_even(4));
  EXPECT_FALSE(check_even(5));
}

TEST(Result, ContextPrefixesMessage) {
  Error e = make_error(ErrorCode::kIo, "disk full").with_context("writing ledger");
  EXPECT_EQ(e.message, "writing ledger: disk full");
  EXPECT_EQ(e.code, ErrorCode::kIo);
}

// The test helper FailsWith (tests/support/result_matchers.h) matches only the error it names.
TEST(FailsWith, MatchesTheCodeAndTheMessageOfAnError) {
  using ::testing::HasSubstr;
  using ::testing::Not;
  EXPECT_THAT(half(3), FailsWith(ErrorCode::kInvalidArgument, "3 is odd"));
  EXPECT_THAT(half(3), FailsWith(ErrorCode::kInvalidArgument, HasSubstr("odd")));
  EXPECT_THAT(check_even(5), FailsWith(ErrorCode::kInvalidArgument, "5 is odd"));
  EXPECT_THAT(half(3), Not(FailsWith(ErrorCode::kIo, "3 is odd")));               // another code
  EXPECT_THAT(half(3), Not(FailsWith(ErrorCode::kInvalidArgument, "3")));         // another message
  EXPECT_THAT(half(4), Not(FailsWith(ErrorCode::kInvalidArgument, "4 is odd")));  // a success
  EXPECT_THAT(check_even(4), Not(FailsWith(ErrorCode::kInvalidArgument, HasSubstr(""))));
}

}  // namespace
}  // namespace capf
