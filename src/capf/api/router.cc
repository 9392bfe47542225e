#include "capf/api/router.h"

#include <exception>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "capf/api/problem.h"
#include "capf/common/bytes.h"

namespace capf::api {

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while (pos <= path.size()) {
    std::size_t next = path.find('/', pos);
    if (next == std::string_view::npos) {
      next = path.size();
    }
    if (next > pos) {
      out.emplace_back(path.substr(pos, next - pos));
    }
    pos = next + 1;
  }
  return out;
}

std::optional<std::string> url_decode(std::string_view text, bool plus_is_space) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size()) {
        return std::nullopt;
      }
      // Exactly two hex digits: from_hex would skip a separator (%::, % 4) and give no byte.
      auto byte = from_hex(text.substr(i + 1, 2));
      if (!byte || byte->size() != 1) {
        return std::nullopt;
      }
      out.push_back(static_cast<char>(byte->front()));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

void Router::add(std::string method, std::string pattern, std::optional<Permission> permission,
                 Handler handler) {
  routes_.push_back(Route{std::move(method), split_path(pattern), permission, std::move(handler)});
}

ApiResponse Router::handle(const ApiRequest& request) {
  ApiResponse response;
  try {
    response = dispatch(request);
  } catch (const std::exception& e) {
    response =
        internal_problem(fmt::format("{} {} threw: {}", request.method, request.path, e.what()));
  }
  count(response.status);
  return response;
}

ApiResponse Router::dispatch(const ApiRequest& request) {
  const std::vector<std::string> segments = split_path(request.path);
  std::vector<std::string> allowed;
  for (const Route& route : routes_) {
    if (route.segments.size() != segments.size()) {
      continue;
    }
    std::map<std::string, std::string> params;
    bool match = true;
    for (std::size_t i = 0; i < segments.size() && match; ++i) {
      const std::string& want = route.segments[i];
      if (want.size() > 2 && want.front() == '{' && want.back() == '}') {
        params[want.substr(1, want.size() - 2)] = segments[i];
      } else {
        match = want == segments[i];
      }
    }
    if (!match) {
      continue;
    }
    if (route.method != request.method) {
      allowed.push_back(route.method);
      continue;
    }
    RouteRequest route_request{request, std::move(params), std::nullopt};
    if (route.permission) {
      auto authenticated = authenticate(request);
      if (auto* refused = std::get_if<ApiResponse>(&authenticated)) {
        return std::move(*refused);
      }
      auto caller = std::get_if<Caller>(&authenticated);
      if (!role_allows(caller->role, *route.permission)) {
        return problem(
            403,
            fmt::format(
                "the {} role may not {} here ({} {}): use a token with "
                "the {} role",
                to_string(caller->role), to_string(*route.permission), request.method, request.path,
                *route.permission == Permission::kAdminister ? "admin" : "operator or admin"));
      }
      route_request.caller = std::move(*caller);
    }
    return route.handler(route_request);
  }
  if (!allowed.empty()) {
    std::string allow;
    for (const auto& m : allowed) {
      allow += (allow.empty() ? "" : ", ") + m;
    }
    ApiResponse r = problem(
        405, fmt::format("{} does not take {}: use {}", request.path, request.method, allow));
    r.headers.emplace_back("Allow", allow);
    return r;
  }
  return problem(
      404, fmt::format("no such resource {}: see docs/api.md for the endpoints", request.path));
}

// A valid token is always served: the limiter only stops an address's failed attempts (a client
// on a shared address, or one that mistyped a token, keeps working with a good one). Tokens are
// 256-bit random values, so the limit is there against noise and load, not guessing.
std::variant<Caller, ApiResponse> Router::authenticate(const ApiRequest& request) {
  auto refuse = [&](std::string message, std::string challenge) -> ApiResponse {
    if (auto wait = limiter_.blocked_for(request.client)) {
      ApiResponse r =
          problem(429, fmt::format("too many failed authentications from {}: wait {} s and send a "
                                   "valid token",
                                   request.client, wait->count()));
      r.headers.emplace_back("Retry-After", std::to_string(wait->count()));
      return r;
    }
    limiter_.record_failure(request.client);
    ApiResponse r = problem(401, std::move(message));
    r.headers.emplace_back("WWW-Authenticate", std::move(challenge));
    return r;
  };
  constexpr std::string_view kBearer = "Bearer ";
  std::string_view auth = request.authorization;
  if (auth.empty()) {
    ApiResponse r = problem(401,
                            "this call needs a token: send `Authorization: Bearer <token>` "
                            "with a token from `opencapf admin token create`");
    r.headers.emplace_back("WWW-Authenticate", "Bearer realm=\"opencapf\"");
    return r;
  }
  if (auth.size() <= kBearer.size() || auth.substr(0, kBearer.size()) != kBearer) {
    return refuse(
        "the Authorization header is not a bearer token: send "
        "`Authorization: Bearer <token>`",
        "Bearer realm=\"opencapf\"");
  }
  auto caller = access_.verify(auth.substr(kBearer.size()));
  if (!caller) {
    if (caller.error().code != ErrorCode::kPermissionDenied) {
      return problem(caller.error());  // the registry failed: not the client's fault
    }
    return refuse(caller.error().message, "Bearer realm=\"opencapf\", error=\"invalid_token\"");
  }
  return std::move(caller).value();
}

void Router::count(int status) {
  std::lock_guard lock(counts_mu_);
  ++counts_[status];
}

std::map<int, std::uint64_t> Router::responses_by_status() const {
  std::lock_guard lock(counts_mu_);
  return counts_;
}

}  // namespace capf::api
