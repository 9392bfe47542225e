#include "capf/api/query.h"

#include <algorithm>
#include <charconv>
#include <string>

#include <fmt/format.h>

#include "capf/api/problem.h"

namespace capf::api {

std::optional<std::int64_t> parse_whole_number(std::string_view text) {
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size())
    return std::nullopt;
  return value;
}

Parsed<std::size_t> page_limit(const ApiRequest& http, std::size_t fallback) {
  auto n = query_int(http, "limit", 1, static_cast<std::int64_t>(kMaxPageSize),
                     fmt::format("a page size: give 1 to {}", kMaxPageSize));
  if (auto* refused = std::get_if<ApiResponse>(&n))
    return std::move(*refused);
  const auto& given = std::get<std::optional<std::int64_t>>(n);
  return given ? static_cast<std::size_t>(*given) : fallback;
}

Parsed<std::optional<std::int64_t>> query_int(const ApiRequest& http, std::string_view name,
                                              std::int64_t min, std::int64_t max,
                                              std::string_view what) {
  auto it = http.query.find(std::string(name));
  if (it == http.query.end())
    return std::optional<std::int64_t>();
  auto value = parse_whole_number(it->second);
  if (!value || *value < min || *value > max)
    return field_problem(name, fmt::format("'{}' is not {}", it->second, what));
  return value;
}

Parsed<std::optional<TimePoint>> query_time(const ApiRequest& http, std::string_view name) {
  auto it = http.query.find(std::string(name));
  if (it == http.query.end())
    return std::optional<TimePoint>();
  auto when = parse_utc(it->second);
  if (!when) {
    return field_problem(
        name,
        fmt::format("'{}' is not a time: use e.g. 2027-01-31T00:00:00Z or 2027-01-31", it->second));
  }
  return std::optional<TimePoint>(*when);
}

Parsed<bool> query_flag(const ApiRequest& http, std::string_view name) {
  auto it = http.query.find(std::string(name));
  if (it == http.query.end())
    return false;
  if (it->second != "true" && it->second != "false")
    return field_problem(name, fmt::format("'{}': use true or false", it->second));
  return it->second == "true";
}

std::string one_of(std::initializer_list<std::string_view> words) {
  std::string out;
  std::size_t i = 0;
  for (std::string_view w : words) {
    if (i > 0)
      out += i + 1 == words.size() ? " or " : ", ";
    out += w;
    ++i;
  }
  return out;
}

std::optional<ApiResponse> only_parameters(const ApiRequest& http,
                                           std::initializer_list<std::string_view> known,
                                           std::string_view kind) {
  for (const auto& entry : http.query) {
    if (std::find(known.begin(), known.end(), entry.first) == known.end())
      return field_problem(entry.first, fmt::format("unknown {}: use {}", kind, one_of(known)));
  }
  return std::nullopt;
}

}  // namespace capf::api
