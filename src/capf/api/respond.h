// The handler kit: turning the services' Result<T> into responses, reading a JSON body, and
// returning a problem early from a handler. With Router::add's overload that binds the services
// (router.h), a handler is `ApiResponse f(ApiServices&, const RouteRequest&)` that reads the
// request, calls one service and says how to show the answer.
#pragma once

#include <optional>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

#include "capf/api/problem.h"
#include "capf/api/query.h"
#include "capf/common/result.h"

namespace capf::api {

// 204 No Content, or the problem for the error.
ApiResponse respond(const Status& status);

// The problem for the error, or `show(value)`: an ApiResponse as it is, anything else (JSON) as a
// JSON body with `status`.
template <typename T, typename Show>
ApiResponse respond(Result<T> result, Show&& show, int status = 200) {
  if (!result)
    return problem(result.error());
  if constexpr (std::is_same_v<std::decay_t<std::invoke_result_t<Show, T&>>, ApiResponse>) {
    return show(*result);
  } else {
    return json_response(show(*result), status);
  }
}

// {"items": [to_json(x), ...]}.
template <typename T>
nlohmann::json items_json(const std::vector<T>& values) {
  nlohmann::json items = nlohmann::json::array();
  for (const auto& v : values)
    items.push_back(to_json(v));
  return nlohmann::json{{"items", std::move(items)}};
}

// The problem for the error, or 200 {"items": [...]}.
template <typename T>
ApiResponse respond_items(Result<std::vector<T>> result) {
  return respond(std::move(result), [](const std::vector<T>& v) { return items_json(v); });
}

// The body as JSON, or a 400 problem. With `object_example`, the body must be a JSON object and
// the problem shows the example ("the body must be a JSON object: EXAMPLE").
Parsed<nlohmann::json> parse_body(const ApiRequest& http, std::string_view object_example = {});

// A 400 problem "the body is empty: WHAT" when the request has no body, else nullopt (`what`
// says what to send, e.g. "send the CSV file (Content-Type: text/csv)").
std::optional<ApiResponse> refuse_empty_body(const ApiRequest& http, std::string_view what);

namespace detail {
template <typename T>
std::optional<ApiResponse> refusal(const Result<T>& result) {
  return result ? std::nullopt : std::optional<ApiResponse>(problem(result.error()));
}
template <typename T>
std::optional<ApiResponse> refusal(const Parsed<T>& parsed) {
  const auto* refused = std::get_if<ApiResponse>(&parsed);
  return refused ? std::optional<ApiResponse>(*refused) : std::nullopt;
}
template <typename T>
T value_of(Result<T>&& result) {
  return std::move(result).value();
}
template <typename T>
T value_of(Parsed<T>&& parsed) {
  return std::get<T>(std::move(parsed));
}
}  // namespace detail

}  // namespace capf::api

// CAPF_API_ASSIGN(lhs, expr): lhs = the value of expr (a Result<T> of a service, or a Parsed<T>
// of query.h / parse_body), or return the problem from the handler.
#define CAPF_API_ASSIGN(lhs, expr) \
  CAPF_API_ASSIGN_IMPL_(CAPF_CONCAT_(capf_api_parsed_, __LINE__), lhs, expr)
// `tmp` and `lhs` are a name and a declaration, which parentheses would break.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define CAPF_API_ASSIGN_IMPL_(tmp, lhs, expr)                     \
  auto tmp = (expr);                                              \
  if (auto capf_api_refusal_ = ::capf::api::detail::refusal(tmp)) \
    return std::move(*capf_api_refusal_);                         \
  lhs = ::capf::api::detail::value_of(std::move(tmp))
// NOLINTEND(bugprone-macro-parentheses)
