// Router: matches a request to a route ("/api/v1/devices/{name}"), checks the caller's token and
// role, and calls the route's handler. Handlers block on the registry: call handle() on a worker
// thread. Thread-safe once every route is added.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "capf/api/api_types.h"
#include "capf/api/auth_limiter.h"
#include "capf/service/access_service.h"

namespace capf::api {

using Handler = std::function<ApiResponse(const RouteRequest&)>;

class Router {
 public:
  Router(AccessService& access, AuthFailureLimiter& limiter) : access_(access), limiter_(limiter) {}

  // `pattern` segments in braces capture (URL-decoded); `permission` nullopt makes the route
  // public (no token asked for).
  void add(std::string method, std::string pattern, std::optional<Permission> permission,
           Handler handler);
  // The same with the services the handler uses bound: it is called as handler(services,
  // request), so a route group registers its functions without a wrapper each.
  template <typename Services>
  void add(std::string method, std::string pattern, std::optional<Permission> permission,
           Services& services, ApiResponse (*handler)(Services&, const RouteRequest&)) {
    add(std::move(method), std::move(pattern), permission,
        [&services, handler](const RouteRequest& r) { return handler(services, r); });
  }

  // 404 for an unknown path, 405 (with Allow) for a known path and another method; on token
  // routes: 401 (with WWW-Authenticate) without a valid bearer token, or 429 (with Retry-After)
  // instead when that client is over its failed-authentication limit (a valid token is always
  // served), 403 when the role may not; otherwise
  // the handler's response (a handler's exception becomes a 500 problem).
  ApiResponse handle(const ApiRequest& request);

  // Responses so far by status code (for /metrics).
  std::map<int, std::uint64_t> responses_by_status() const;

 private:
  struct Route {
    std::string method;
    std::vector<std::string> segments;
    std::optional<Permission> permission;
    Handler handler;
  };
  ApiResponse dispatch(const ApiRequest& request);
  // The caller of a valid bearer token, or the 401/429/500 response to send.
  std::variant<Caller, ApiResponse> authenticate(const ApiRequest& request);
  void count(int status);

  AccessService& access_;
  AuthFailureLimiter& limiter_;
  std::vector<Route> routes_;
  mutable std::mutex counts_mu_;
  std::map<int, std::uint64_t> counts_;
};

// Splits "/a/b/c" into {"a", "b", "c"} (empty segments dropped).
std::vector<std::string> split_path(std::string_view path);
// Decodes %XX escapes (and '+' as space when `plus_is_space`); nullopt for a bad escape.
std::optional<std::string> url_decode(std::string_view text, bool plus_is_space);

}  // namespace capf::api
