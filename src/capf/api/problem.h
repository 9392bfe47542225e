// Problem objects (RFC 9457, application/problem+json): every error of the admin API is one, with a
// detail that says what to change.
#pragma once

#include <string_view>

#include <nlohmann/json.hpp>

#include "capf/api/api_types.h"
#include "capf/common/result.h"

namespace capf::api {

// {"type": "about:blank", "title": <reason phrase>, "status": status, "detail": detail}, plus
// any `extra` members (e.g. "field").
ApiResponse problem(int status, std::string_view detail,
                    const nlohmann::json& extra = nlohmann::json::object());
// The HTTP status for an error of the services: kInvalidArgument, kMalformed and kUntrusted
// 400, kNotFound 404,
// kAlreadyExists and kConflict 409, kPermissionDenied 403, kUnavailable and kTimeout 503, the
// rest 500.
int http_status(ErrorCode code);
// A problem for a service error. 4xx and 503 keep the message: it tells the admin what to fix.
// A 500 goes through internal_problem: its message may hold SQL text or file paths.
ApiResponse problem(const Error& error);
// 500 {"title": "internal error", "detail": "... error id ID ...", "error_id": ID}: the detail
// (SQL text, paths, OpenSSL's words) goes only to the server log, on an error line with the same
// random ID, so a client learns nothing of the inside and an admin finds the line by the ID.
ApiResponse internal_problem(std::string_view detail);
// 400 naming the request field (query parameter or JSON member) to fix: "FIELD: DETAIL", with
// "field" in the problem object.
ApiResponse field_problem(std::string_view field, std::string_view detail);
// 200 with a JSON body.
ApiResponse json_response(const nlohmann::json& body, int status = 200);
// 204, no body.
ApiResponse no_content();
std::string_view reason_phrase(int status);

}  // namespace capf::api
