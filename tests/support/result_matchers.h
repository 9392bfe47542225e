// capf::FailsWith(code, message) (in namespace capf, so that the tests of every module find it
// without a using-declaration): a gmock matcher for a Result (or Status) that holds an error of
// `code` whose message matches `message` (a string for equality, or a matcher such as HasSubstr).
// One EXPECT_THAT instead of ASSERT_FALSE + an EXPECT on the code + an EXPECT on the message; a
// failure prints the error the Result holds, or that it succeeded.
#pragma once

#include <gmock/gmock.h>

#include <string>
#include <string_view>

#include "capf/common/result.h"

namespace capf {

namespace result_matchers_detail {
// A matcher of an error message: a matcher as it is, a text for equality.
template <typename M>
::testing::Matcher<const std::string&> message_matcher(const M& message) {
  return message;
}
inline ::testing::Matcher<const std::string&> message_matcher(std::string_view message) {
  return ::testing::Eq(std::string(message));
}
}  // namespace result_matchers_detail

MATCHER_P2(FailsWith, code, message,
           "is a " + std::string(to_string(code)) + " error whose message " +
               ::testing::DescribeMatcher<const std::string&>(
                   result_matchers_detail::message_matcher(message))) {
  if (arg) {
    *result_listener << "succeeded";
    return false;
  }
  *result_listener << "is a " << to_string(arg.error().code) << " error: " << arg.error().message;
  return arg.error().code == code &&
         result_matchers_detail::message_matcher(message).Matches(arg.error().message);
}

}  // namespace capf
