#include "capf/common/clock.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>

namespace capf {
namespace {

TEST(Clock, FormatsAndParsesUtc) {
  auto t = parse_utc("2026-11-25T15:10:07Z");
  ASSERT_TRUE(t.has_value());
  EXPECT_EQ(format_utc(*t), "2026-11-25T15:10:07Z");
  EXPECT_EQ(to_unix(*t), 1795619407);
}

TEST(Clock, AcceptsDateOnlyAndSpaceAndBatForms) {
  EXPECT_EQ(format_utc(*parse_utc("2026-01-02")), "2026-01-02T00:00:00Z");
  EXPECT_EQ(format_utc(*parse_utc("2026-01-02 03:04")), "2026-01-02T03:04:00Z");
  EXPECT_EQ(format_utc(*parse_utc("2026:01:02:17")), "2026-01-02T17:00:00Z");
}

TEST(Clock, RejectsImpossibleDates) {
  EXPECT_FALSE(parse_utc("2026-02-30").has_value());
  EXPECT_FALSE(parse_utc("2025-02-29").has_value());
  EXPECT_TRUE(parse_utc("2024-02-29").has_value());
  EXPECT_FALSE(parse_utc("2026-13-01").has_value());
  EXPECT_FALSE(parse_utc("2026-01-01T24:00").has_value());
  EXPECT_FALSE(parse_utc("tomorrow").has_value());
  EXPECT_FALSE(parse_utc("2026-01-01X").has_value());
  // Beyond what the clock holds (fuzz_csv found a 2626 deadline overflowing it).
  EXPECT_FALSE(parse_utc("2626-12-01T00:00:00Z").has_value());
  EXPECT_FALSE(parse_utc("9999:12:31:23").has_value());
  EXPECT_EQ(format_utc(*parse_utc("2261-12-31T23:59:59Z")), "2261-12-31T23:59:59Z");
}

// Stored or certificate times past the clock's range saturate instead of overflowing.
TEST(Clock, FromUnixSaturatesAtTheClocksRange) {
  const std::int64_t year_9999 = 253402300799;  // 9999-12-31T23:59:59Z
  EXPECT_EQ(from_unix(year_9999), from_unix(std::numeric_limits<std::int64_t>::max()));
  EXPECT_GT(from_unix(year_9999), *parse_utc("2261-12-31"));
  EXPECT_LT(from_unix(-year_9999), from_unix(0));
  EXPECT_EQ(to_unix(from_unix(1764000000)), 1764000000);
}

TEST(Clock, FakeClockMoves) {
  FakeClock clock(from_unix(1000));
  clock.advance(std::chrono::seconds(5));
  EXPECT_EQ(to_unix(clock.now()), 1005);
  clock.set(from_unix(7));
  EXPECT_EQ(to_unix(clock.now()), 7);
}

}  // namespace
}  // namespace capf
