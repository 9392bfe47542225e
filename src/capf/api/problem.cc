#include "capf/api/problem.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "capf/common/enum_names.h"
#include "capf/pki/digest.h"

namespace capf::api {

constexpr EnumName<int> kReasonPhrases[] = {
    {200, "OK"},
    {201, "Created"},
    {204, "No Content"},
    {400, "Bad Request"},
    {401, "Unauthorized"},
    {403, "Forbidden"},
    {404, "Not Found"},
    {405, "Method Not Allowed"},
    {409, "Conflict"},
    {413, "Content Too Large"},
    {415, "Unsupported Media Type"},
    {429, "Too Many Requests"},
    {500, "Internal Server Error"},
    {503, "Service Unavailable"},
};

std::string_view reason_phrase(int status) {
  return name_in(kReasonPhrases, status, "Error");
}

ApiResponse problem(int status, std::string_view detail, const nlohmann::json& extra) {
  nlohmann::json body = {{"type", "about:blank"},
                         {"title", reason_phrase(status)},
                         {"status", status},
                         {"detail", detail}};
  for (const auto& [key, value] : extra.items()) {
    body[key] = value;
  }
  ApiResponse r;
  r.status = status;
  r.content_type = "application/problem+json";
  r.body = body.dump();
  return r;
}

int http_status(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kMalformed:
    case ErrorCode::kUntrusted:
      return 400;
    case ErrorCode::kNotFound:
      return 404;
    case ErrorCode::kAlreadyExists:
    case ErrorCode::kConflict:
      return 409;
    case ErrorCode::kPermissionDenied:
      return 403;
    case ErrorCode::kUnavailable:
    case ErrorCode::kTimeout:
      return 503;
    case ErrorCode::kProtocol:
    case ErrorCode::kCrypto:
    case ErrorCode::kIo:
    case ErrorCode::kDatabase:
    case ErrorCode::kInternal:
      return 500;
  }
  return 500;
}

ApiResponse problem(const Error& error) {
  const int status = http_status(error.code);
  if (status == 500)
    return internal_problem(error.message);
  return problem(status, error.message);
}

ApiResponse internal_problem(std::string_view detail) {
  // 8 random bytes: unique enough to find one line in a log, too short to be mistaken for a key.
  auto random = pki::random_bytes(8);
  const std::string id = random ? to_hex(*random) : "unavailable";
  spdlog::error("admin api: internal error {}: {}", id, detail);
  return problem(500,
                 fmt::format("the request failed inside opencapf (error id {}): see the server log "
                             "for the line with that id",
                             id),
                 nlohmann::json{{"title", "internal error"}, {"error_id", id}});
}

ApiResponse json_response(const nlohmann::json& body, int status) {
  ApiResponse r;
  r.status = status;
  r.body = body.dump();
  return r;
}

ApiResponse field_problem(std::string_view field, std::string_view detail) {
  return problem(400, fmt::format("{}: {}", field, detail), nlohmann::json{{"field", field}});
}

ApiResponse no_content() {
  ApiResponse r;
  r.status = 204;
  r.content_type.clear();
  return r;
}

}  // namespace capf::api
