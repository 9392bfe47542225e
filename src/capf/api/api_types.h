// ApiRequest and ApiResponse: one HTTP exchange of the admin API as plain data, so that the router
// and the handlers know nothing of Beast or sockets (and tests can call them directly).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "capf/service/access_service.h"

namespace capf::api {

struct ApiRequest {
  std::string method;  // "GET", "PUT", ...
  std::string path;    // decoded path, without the query, e.g. "/api/v1/devices/SEP001122334455"
  std::map<std::string, std::string> query;  // decoded; the last of repeated names wins
  std::string authorization;                 // the Authorization header, "" if absent
  std::string content_type;
  std::string body;
  std::string client;  // the peer's address, for the failed-authentication limit
};

struct ApiResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
};

// What a handler receives: the request, the path's {parameters}, and who called (nullopt on the
// routes that need no token).
struct RouteRequest {
  const ApiRequest& http;
  std::map<std::string, std::string> params;
  std::optional<Caller> caller;

  // The caller's actor name for the audit log ("anonymous" on public routes).
  std::string actor() const { return caller ? caller->actor() : std::string("anonymous"); }
};

}  // namespace capf::api
