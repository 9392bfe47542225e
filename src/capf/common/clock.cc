#include "capf/common/clock.h"

#include <cstdio>
#include <ctime>

#include <fmt/format.h>

namespace capf {

std::string format_utc(TimePoint t) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

namespace {

bool all_digits(std::string_view s) {
  if (s.empty())
    return false;
  for (char c : s) {
    if (c < '0' || c > '9')
      return false;
  }
  return true;
}

int to_int(std::string_view s) {
  int v = 0;
  for (char c : s)
    v = v * 10 + (c - '0');
  return v;
}

std::optional<TimePoint> make_time(int y, int mo, int d, int h, int mi, int s) {
  // Years past 2261 do not fit the clock (nanosecond ticks); no deadline or filter needs them.
  if (y < 1970 || y > 2261 || mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) {
    return std::nullopt;
  }
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  int max_day = kDays[mo - 1] + (mo == 2 && leap ? 1 : 0);
  if (d > max_day)
    return std::nullopt;
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  return from_unix(timegm(&tm));
}

}  // namespace

std::optional<TimePoint> parse_utc(std::string_view text) {
  // CUCM BAT form: YYYY:MM:DD:HH
  if (text.size() == 13 && text[4] == ':' && text[7] == ':' && text[10] == ':') {
    auto y = text.substr(0, 4), mo = text.substr(5, 2), d = text.substr(8, 2),
         h = text.substr(11, 2);
    if (!all_digits(y) || !all_digits(mo) || !all_digits(d) || !all_digits(h))
      return std::nullopt;
    return make_time(to_int(y), to_int(mo), to_int(d), to_int(h), 0, 0);
  }
  if (text.size() < 10 || text[4] != '-' || text[7] != '-')
    return std::nullopt;
  auto y = text.substr(0, 4), mo = text.substr(5, 2), d = text.substr(8, 2);
  if (!all_digits(y) || !all_digits(mo) || !all_digits(d))
    return std::nullopt;
  std::string_view rest = text.substr(10);
  int h = 0, mi = 0, s = 0;
  if (!rest.empty()) {
    if (rest.back() == 'Z')
      rest.remove_suffix(1);
    if (rest.empty() || (rest[0] != 'T' && rest[0] != ' '))
      return std::nullopt;
    rest.remove_prefix(1);
    if (rest.size() != 5 && rest.size() != 8)
      return std::nullopt;
    if (rest[2] != ':' || (rest.size() == 8 && rest[5] != ':'))
      return std::nullopt;
    auto hh = rest.substr(0, 2), mm = rest.substr(3, 2);
    if (!all_digits(hh) || !all_digits(mm))
      return std::nullopt;
    h = to_int(hh);
    mi = to_int(mm);
    if (rest.size() == 8) {
      auto ss = rest.substr(6, 2);
      if (!all_digits(ss))
        return std::nullopt;
      s = to_int(ss);
    }
  }
  return make_time(to_int(y), to_int(mo), to_int(d), h, mi, s);
}

}  // namespace capf
