// The device-list filter that `opencapf device list` and GET /api/v1/devices share.
#include "capf/service/device_filter.h"

#include <gtest/gtest.h>

namespace capf {
namespace {

const TimePoint kNow = *parse_utc("2026-12-01T00:00:00Z");

std::string when(const std::optional<TimePoint>& t) {
  return t ? format_utc(*t) : "-";
}

// The filter's fields that terms set, as one line.
std::string describe(const DeviceFilter& f) {
  return fmt::format("name={} op={} status={} auth={} with={} without={} before={} after={}",
                     f.name_prefix.value_or("-"),
                     f.operation ? std::string(to_string(*f.operation)) : "-",
                     f.status_kind ? static_cast<int>(*f.status_kind) : -1,
                     f.auth_mode ? std::string(short_name(*f.auth_mode)) : "-", f.with_lsc_only,
                     f.without_lsc_only, when(f.lsc_expires_before), f.after_name);
}

TEST(DeviceFilterTerm, GoodTermsSetTheirField) {
  struct Case {
    const char* term;
    const char* value;
    std::string want;
  };
  const Case cases[] = {
      {"name", "SEP00",
       "name=SEP00 op=- status=-1 auth=- with=false without=false before=- after="},
      {"after", "SEP001122334455",
       "name=- op=- status=-1 auth=- with=false without=false before=- after=SEP001122334455"},
      {"status", "pending", "name=- op=- status=1 auth=- with=false without=false before=- after="},
      {"status", "failed", "name=- op=- status=3 auth=- with=false without=false before=- after="},
      {"auth", "null", "name=- op=- status=-1 auth=null with=false without=false before=- after="},
      {"lsc", "with", "name=- op=- status=-1 auth=- with=true without=false before=- after="},
      {"lsc", "without", "name=- op=- status=-1 auth=- with=false without=true before=- after="},
      {"lsc_expires_before", "2027-01-31",
       "name=- op=- status=-1 auth=- with=true without=false before=2027-01-31T00:00:00Z after="},
      {"lsc_expires_before", "+30d",
       "name=- op=- status=-1 auth=- with=true without=false before=2026-12-31T00:00:00Z after="},
      {"lsc_expires_before", "+12h",
       "name=- op=- status=-1 auth=- with=true without=false before=2026-12-01T12:00:00Z after="},
      {"lsc_expires_before", "+90m",
       "name=- op=- status=-1 auth=- with=true without=false before=2026-12-01T01:30:00Z after="},
  };
  for (const Case& c : cases) {
    DeviceFilter f;
    Status added = add_device_filter_term(f, c.term, c.value, kNow);
    ASSERT_TRUE(added) << c.term << "=" << c.value << ": " << added.error().message;
    EXPECT_EQ(describe(f), c.want) << c.term << "=" << c.value;
  }
  DeviceFilter op;
  ASSERT_TRUE(add_device_filter_term(op, "operation", "install", kNow));
  EXPECT_EQ(op.operation, Operation::kInstall);
}

TEST(DeviceFilterTerm, BadTermsSayWhatToGive) {
  struct Case {
    const char* term;
    const char* value;
    const char* message;
  };
  const Case cases[] = {
      {"operation", "burn", "unknown operation 'burn': use install, delete, troubleshoot or none"},
      {"status", "broken", "'broken' is not a status: use none, pending, success or failed"},
      {"auth", "pin", "unknown authentication mode 'pin': use string, null, lsc or mic"},
      {"lsc", "maybe", "'maybe': use with or without"},
      {"lsc_expires_before", "soon",
       "'soon' is not a time: use e.g. 2027-01-31T00:00:00Z, 2027-01-31 or +30d"},
      {"lsc_expires_before", "+30y",
       "'+30y' is not a time: use e.g. 2027-01-31T00:00:00Z, 2027-01-31 or +30d"},
      {"lsc_expires_before", "+-3d",
       "'+-3d' is not a time: use e.g. 2027-01-31T00:00:00Z, 2027-01-31 or +30d"},
      {"lsc_expires_before", "none",
       "'none' is not a time: use e.g. 2027-01-31T00:00:00Z, 2027-01-31 or +30d"},
      {"colour", "red",
       "unknown filter: use name, operation, status, auth, lsc, lsc_expires_before, after"},
  };
  for (const Case& c : cases) {
    DeviceFilter f;
    Status added = add_device_filter_term(f, c.term, c.value, kNow);
    ASSERT_FALSE(added) << c.term << "=" << c.value;
    EXPECT_EQ(added.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(added.error().message, c.message);
  }
}

TEST(DeviceFilterTerm, WithoutAnLscCannotExpire) {
  DeviceFilter f;
  ASSERT_TRUE(add_device_filter_term(f, "lsc", "without", kNow));
  EXPECT_TRUE(check_device_filter(f));
  ASSERT_TRUE(add_device_filter_term(f, "lsc_expires_before", "+1d", kNow));
  Status checked = check_device_filter(f);
  ASSERT_FALSE(checked);
  EXPECT_EQ(checked.error().message, "lsc=without cannot be combined with lsc_expires_before");
}

}  // namespace
}  // namespace capf
