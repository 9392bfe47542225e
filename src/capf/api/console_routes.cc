// The web console's static files: GET / (index.html) and GET /console/{file}. They are public (the
// data calls they make need a token) and carry a Content-Security-Policy that allows only this
// origin, so no inline script, external script or framing can run in the console's page.
#include <fmt/format.h>

#include "capf/api/admin_api.h"
#include "capf/api/console_assets.h"
#include "capf/api/problem.h"

namespace capf::api {
namespace {

constexpr std::string_view kContentSecurityPolicy =
    "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

ApiResponse serve_asset(std::string_view name) {
  for (const ConsoleAsset& asset : console_assets()) {
    if (asset.name != name) {
      continue;
    }
    ApiResponse r;
    r.content_type = std::string(asset.content_type);
    r.body = std::string(asset.bytes());
    // no-cache: the browser revalidates, so a new opencapf version serves its own console.
    r.headers.emplace_back("Cache-Control", "no-cache");
    r.headers.emplace_back("Content-Security-Policy", std::string(kContentSecurityPolicy));
    r.headers.emplace_back("X-Content-Type-Options", "nosniff");
    r.headers.emplace_back("X-Frame-Options", "DENY");
    r.headers.emplace_back("Referrer-Policy", "no-referrer");
    return r;
  }
  return problem(404, fmt::format("the console has no file '{}': open / for the console", name));
}

}  // namespace

void add_console_routes(Router& router) {
  router.add("GET", "/", std::nullopt,
             [](const RouteRequest&) { return serve_asset("index.html"); });
  router.add("GET", "/console/{file}", std::nullopt,
             [](const RouteRequest& r) { return serve_asset(r.params.at("file")); });
}

}  // namespace capf::api
