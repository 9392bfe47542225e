#include "capf/service/token_expiry.h"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include <fmt/format.h>

namespace capf {
namespace {

constexpr std::int64_t kMaxDays = 36500;
constexpr std::int64_t kMaxHours = kMaxDays * 24;
// Past this year a date is refused before it is converted (a TimePoint in nanoseconds ends in
// 2262); anything after now + kMaxDays is refused anyway.
constexpr int kMaxYear = 2200;

Error refused(std::string_view text, std::string_view why) {
  return make_error(ErrorCode::kInvalidArgument, "expiry '{}' {}: give {}", text, why,
                    kTokenExpiryForms);
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// "HH:MM" of an RFC 3339 offset, as seconds; nullopt unless two digits, ':', two digits.
std::optional<std::int64_t> offset_seconds(std::string_view hh_mm) {
  if (hh_mm.size() != 5 || hh_mm[2] != ':' || !is_digit(hh_mm[0]) || !is_digit(hh_mm[1]) ||
      !is_digit(hh_mm[3]) || !is_digit(hh_mm[4])) {
    return std::nullopt;
  }
  const int h = (hh_mm[0] - '0') * 10 + (hh_mm[1] - '0');
  const int m = (hh_mm[3] - '0') * 10 + (hh_mm[4] - '0');
  if (h > 23 || m > 59) {
    return std::nullopt;
  }
  return std::int64_t{h} * 3600 + std::int64_t{m} * 60;
}

// "2027-01-01", "2027-01-01T18:00Z", "2027-01-01T18:00:00.5+02:00", ...
std::optional<TimePoint> parse_date_time(std::string_view text) {
  std::string_view rest = text;
  std::int64_t offset = 0;  // seconds east of UTC
  bool has_offset = false;
  // An offset follows a time ("YYYY-MM-DDTHH:MM" is 16 characters).
  if (rest.size() >= 16 + 6 && (rest[rest.size() - 6] == '+' || rest[rest.size() - 6] == '-')) {
    auto seconds = offset_seconds(rest.substr(rest.size() - 5));
    if (!seconds) {
      return std::nullopt;
    }
    offset = rest[rest.size() - 6] == '-' ? -*seconds : *seconds;
    has_offset = true;
    rest.remove_suffix(6);
  }
  const bool zulu = !rest.empty() && rest.back() == 'Z';
  if (has_offset && zulu) {
    return std::nullopt;  // "...Z+02:00"
  }
  // Fractions of a second: "HH:MM:SS.fff" after the date and 'T'.
  std::string fractionless;
  if (rest.size() > 20 && rest[19] == '.') {
    std::size_t end = rest.size() - (zulu ? 1 : 0);
    std::string_view digits = rest.substr(20, end - 20);
    if (digits.empty() || std::find_if(digits.begin(), digits.end(),
                                       [](char c) { return !is_digit(c); }) != digits.end()) {
      return std::nullopt;
    }
    fractionless = std::string(rest.substr(0, 19)) + (zulu ? "Z" : "");
    rest = fractionless;
  }
  auto parsed = parse_utc(rest);
  if (!parsed) {
    return std::nullopt;
  }
  return *parsed - std::chrono::seconds(offset);
}

}  // namespace

Result<TimePoint> parse_token_expiry(std::string_view text, TimePoint now) {
  if (text.empty()) {
    return refused(text, "is empty");
  }
  const char unit = text.back();
  if ((unit == 'd' || unit == 'h') && text.size() >= 2) {
    std::string_view number = text.substr(0, text.size() - 1);
    if (number.front() == '-') {
      return refused(text, "is negative");
    }
    std::int64_t n = 0;
    auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), n);
    if (ec == std::errc::result_out_of_range) {
      return refused(text, "is too far away");
    }
    if (ec != std::errc() || end != number.data() + number.size()) {
      return refused(text, "is not a count of days or hours");
    }
    if (n == 0) {
      return refused(text, "is no time at all");
    }
    if (n > (unit == 'd' ? kMaxDays : kMaxHours)) {
      return refused(text, fmt::format("is too far away (at most {}d)", kMaxDays));
    }
    const auto hours = std::chrono::hours(unit == 'd' ? n * 24 : n);
    return now + std::chrono::duration_cast<TimePoint::duration>(hours);
  }
  const auto latest =
      now + std::chrono::duration_cast<TimePoint::duration>(std::chrono::hours(kMaxHours));
  if (text.size() >= 10 && text[4] == '-' && text[7] == '-') {
    int year = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + 4, year);
    if (ec != std::errc() || end != text.data() + 4) {
      return refused(text, "is not a valid date or time");
    }
    if (year > kMaxYear) {
      return refused(text, fmt::format("is too far away (at most {}d)", kMaxDays));
    }
    auto when = parse_date_time(text);
    if (!when) {
      return refused(text, "is not a valid date or time");
    }
    if (*when <= now) {
      return refused(text, fmt::format("is not in the future (now is {})", format_utc(now)));
    }
    if (*when > latest) {
      return refused(text, fmt::format("is too far away (at most {}d)", kMaxDays));
    }
    return *when;
  }
  return refused(text, "is not an expiry");
}

}  // namespace capf
