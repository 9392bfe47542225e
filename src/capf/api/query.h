// Reading a request's query parameters: one parser per kind of value, each answering with the
// 400 problem that names the parameter to fix (docs/api.md, "Errors").
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string_view>
#include <variant>

#include "capf/api/api_types.h"
#include "capf/common/clock.h"

namespace capf::api {

// A value read from the request, or the problem to answer instead.
template <typename T>
using Parsed = std::variant<T, ApiResponse>;

constexpr std::size_t kDefaultPageSize = 100;
constexpr std::size_t kMaxPageSize = 1000;

// The whole decimal number `text` is (an optional '-', digits, nothing else), or nullopt.
std::optional<std::int64_t> parse_whole_number(std::string_view text);

// ?limit=: a whole number from 1 to kMaxPageSize; `fallback` when absent.
Parsed<std::size_t> page_limit(const ApiRequest& http, std::size_t fallback = kDefaultPageSize);

// ?NAME=: a whole number from `min` to `max`, nullopt when absent. Otherwise a problem
// "NAME: 'VALUE' is not WHAT" (`what` says what to give, e.g. "a number of days: give e.g. 30").
Parsed<std::optional<std::int64_t>> query_int(const ApiRequest& http, std::string_view name,
                                              std::int64_t min, std::int64_t max,
                                              std::string_view what);

// ?NAME=: a UTC time as parse_utc reads it (2027-01-31T00:00:00Z, 2027-01-31), nullopt when absent.
Parsed<std::optional<TimePoint>> query_time(const ApiRequest& http, std::string_view name);

// ?NAME=true or ?NAME=false; false when absent. Otherwise a problem "NAME: 'VALUE': use true or
// false".
Parsed<bool> query_flag(const ApiRequest& http, std::string_view name);

// nullopt when every parameter is one of `known`; otherwise the problem naming the first other
// one: "NAME: unknown KIND: use A, B or C" (`kind` is "filter" or "parameter").
std::optional<ApiResponse> only_parameters(const ApiRequest& http,
                                           std::initializer_list<std::string_view> known,
                                           std::string_view kind = "parameter");

// "a, b or c".
std::string one_of(std::initializer_list<std::string_view> words);

}  // namespace capf::api
