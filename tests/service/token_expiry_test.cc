// parse_token_expiry(): the forms `opencapf admin token create --expires` and POST /api/v1/tokens
// accept, and the clear refusal of everything else.
#include "capf/service/token_expiry.h"

#include <gtest/gtest.h>

namespace capf::testing {
namespace {

constexpr std::int64_t kNow = 1'750'000'000;  // 2025-06-15T15:06:40Z
constexpr std::int64_t kHour = 3600;
constexpr std::int64_t kDay = 24 * kHour;

TEST(TokenExpiry, AcceptedFormsGiveTheirTime) {
  struct Case {
    const char* text;
    std::int64_t expected;  // Unix seconds
  };
  const Case cases[] = {
      {"90d", kNow + 90 * kDay},
      {"1d", kNow + kDay},
      {"36500d", kNow + 36500 * kDay},
      {"12h", kNow + 12 * kHour},
      {"1h", kNow + kHour},
      {"007d", kNow + 7 * kDay},
      {"2027-01-01", 1'798'761'600},  // 00:00 UTC that day
      {"2027-01-01T18:00Z", 1'798'761'600 + 18 * kHour},
      {"2027-01-01T18:00", 1'798'761'600 + 18 * kHour},
      {"2027-01-01T18:00:30Z", 1'798'761'600 + 18 * kHour + 30},
      {"2027-01-01 18:00:30", 1'798'761'600 + 18 * kHour + 30},
      {"2027-01-01T18:00:00+02:00", 1'798'761'600 + 16 * kHour},  // RFC 3339 offsets
      {"2027-01-01T18:00:00-05:30", 1'798'761'600 + 23 * kHour + 30 * 60},
      {"2027-01-01T18:00+02:00", 1'798'761'600 + 16 * kHour},
      {"2027-01-01T18:00:00.999Z", 1'798'761'600 + 18 * kHour},  // fractions dropped
      {"2027-01-01T18:00:00.5+01:00", 1'798'761'600 + 17 * kHour},
  };
  for (const Case& c : cases) {
    auto parsed = parse_token_expiry(c.text, from_unix(kNow));
    ASSERT_TRUE(parsed) << c.text << ": " << parsed.error().message;
    EXPECT_EQ(to_unix(*parsed), c.expected) << c.text;
  }
}

TEST(TokenExpiry, EverythingElseIsRefusedNamingTheAcceptedForms) {
  struct Case {
    const char* text;
    const char* why;  // part of the message
  };
  const Case cases[] = {
      {"", "is empty"},
      {"0d", "no time at all"},
      {"0h", "no time at all"},
      {"-5d", "negative"},
      {"-1h", "negative"},
      {"36501d", "too far away"},
      {"876001h", "too far away"},
      {"99999999999999999999d", "too far away"},
      {"90", "not an expiry"},
      {"d", "not an expiry"},
      {"90m", "not an expiry"},
      {"90D", "not an expiry"},
      {"ninety days", "not an expiry"},
      {"1.5d", "not a count"},
      {"+5d", "not a count"},
      {" 5d", "not a count"},
      {"5 d", "not a count"},
      {"dd", "not a count"},
      {"2025-06-15", "not in the future"},  // today's midnight has passed
      {"2020-01-01T00:00Z", "not in the future"},
      {"2025-06-15T15:06:40Z", "not in the future"},  // exactly now
      {"2027-02-30", "not a valid date"},
      {"2027-13-01", "not a valid date"},
      {"2027-01-01T25:00Z", "not a valid date"},
      {"2027-01-01T18:00:00Z+02:00", "not a valid date"},
      {"2027-01-01T18:00:00+24:00", "not a valid date"},
      {"2027-01-01T18:00:00+0200", "not a valid date"},
      {"2027-01-01T18:00:00.Z", "not a valid date"},
      {"2027-01-01x", "not a valid date"},
      {"2027:01:01:00", "not an expiry"},  // CUCM's BAT form is for deadlines, not tokens
      {"abcd-01-01", "not a valid date"},
      {"2200-01-01", "too far away"},
      {"9999-12-31", "too far away"},
  };
  for (const Case& c : cases) {
    auto parsed = parse_token_expiry(c.text, from_unix(kNow));
    ASSERT_FALSE(parsed) << c.text << " gave " << format_utc(*parsed);
    EXPECT_EQ(parsed.error().code, ErrorCode::kInvalidArgument) << c.text;
    const std::string& message = parsed.error().message;
    EXPECT_NE(message.find(c.why), std::string::npos) << c.text << ": " << message;
    EXPECT_NE(message.find(kTokenExpiryForms), std::string::npos) << c.text << ": " << message;
  }
}

}  // namespace
}  // namespace capf::testing
