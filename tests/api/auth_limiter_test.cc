#include "capf/api/auth_limiter.h"

#include <gtest/gtest.h>

namespace capf::api {
namespace {

TEST(AuthFailureLimiter, BlocksAnAddressPastItsLimitUntilTheWindowEnds) {
  FakeClock clock(from_unix(1'750'000'000));
  AuthFailureLimiter limiter(clock, 3);
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(limiter.blocked_for("10.0.0.1").has_value());
    limiter.record_failure("10.0.0.1");
  }
  auto wait = limiter.blocked_for("10.0.0.1");
  ASSERT_TRUE(wait.has_value());
  EXPECT_EQ(wait->count(), 60);
  EXPECT_FALSE(limiter.blocked_for("10.0.0.2").has_value());  // per address
  clock.advance(std::chrono::seconds(45));
  ASSERT_TRUE(limiter.blocked_for("10.0.0.1").has_value());
  EXPECT_EQ(limiter.blocked_for("10.0.0.1")->count(), 15);
  clock.advance(std::chrono::seconds(15));
  EXPECT_FALSE(limiter.blocked_for("10.0.0.1").has_value());
  limiter.record_failure("10.0.0.1");  // a new window
  EXPECT_FALSE(limiter.blocked_for("10.0.0.1").has_value());
}

TEST(AuthFailureLimiter, FailuresSpreadOverWindowsDoNotBlock) {
  FakeClock clock(from_unix(1'750'000'000));
  AuthFailureLimiter limiter(clock, 3);
  for (int i = 0; i < 10; ++i) {
    limiter.record_failure("10.0.0.1");
    limiter.record_failure("10.0.0.1");
    EXPECT_FALSE(limiter.blocked_for("10.0.0.1").has_value());
    clock.advance(std::chrono::seconds(61));
  }
}

TEST(AuthFailureLimiter, RemembersABoundedNumberOfAddresses) {
  FakeClock clock(from_unix(1'750'000'000));
  AuthFailureLimiter limiter(clock, 1, std::chrono::seconds(60), 4);
  for (int i = 0; i < 4; ++i) {
    limiter.record_failure("10.0.0." + std::to_string(i));
    clock.advance(std::chrono::seconds(1));
  }
  EXPECT_TRUE(limiter.blocked_for("10.0.0.0").has_value());
  limiter.record_failure("10.0.0.9");  // full: the oldest is forgotten
  EXPECT_FALSE(limiter.blocked_for("10.0.0.0").has_value());
  EXPECT_TRUE(limiter.blocked_for("10.0.0.1").has_value());
  EXPECT_TRUE(limiter.blocked_for("10.0.0.9").has_value());
}

}  // namespace
}  // namespace capf::api
