#include "capf/api/respond.h"

#include <fmt/format.h>

namespace capf::api {

ApiResponse respond(const Status& status) {
  return status ? no_content() : problem(status.error());
}

std::optional<ApiResponse> refuse_empty_body(const ApiRequest& http, std::string_view what) {
  if (!http.body.empty())
    return std::nullopt;
  return problem(400, fmt::format("the body is empty: {}", what));
}

Parsed<nlohmann::json> parse_body(const ApiRequest& http, std::string_view object_example) {
  nlohmann::json body = nlohmann::json::parse(http.body, nullptr, false);
  if (object_example.empty()) {
    if (body.is_discarded()) {
      return problem(400,
                     "the body is not JSON: send a JSON object with Content-Type: "
                     "application/json");
    }
  } else if (body.is_discarded() || !body.is_object()) {
    return problem(400, fmt::format("the body must be a JSON object: {}", object_example));
  }
  return body;
}

}  // namespace capf::api
