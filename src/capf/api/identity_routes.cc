// The CAPF identities (/api/v1/ca) and changes to them: the request for a corporate CA, importing
// what it signed, regeneration and retiring a previous identity — the IdentityAdmin the `opencapf
// ca` commands use. The running daemon notices the new identity files within a second (phones and
// this listener, when it uses the CAPF certificate, then see the new certificate).
#include <fmt/format.h>

#include "capf/api/admin_api.h"
#include "capf/api/respond.h"
#include "capf/domain/device.h"
#include "capf/pki/certificate.h"
#include "capf/pki/profiles.h"

namespace capf::api {
namespace {

using nlohmann::json;

json certificate_json(const pki::Certificate& c) {
  std::vector<std::string> warnings = pki::capf_profile_warnings(c);
  return json{{"subject", c.subject()},
              {"issuer", c.issuer()},
              {"serial", c.serial_hex()},
              {"fingerprint", c.fingerprint_sha256()},
              {"not_before", format_utc(c.not_before())},
              {"not_after", format_utc(c.not_after())},
              {"warnings", warnings},
              {"pem", c.pem()}};
}

ApiResponse list_identities(ApiServices& s, const RouteRequest&) {
  return respond(s.identity.list(), [](const auto& entries) {
    json items = json::array();
    for (const auto& e : entries) {
      json j = certificate_json(e.certificate);
      j.erase("warnings");
      j["current"] = e.current;
      j["expired"] = e.expired;
      j["problems"] = e.problems;
      items.push_back(std::move(j));
    }
    return json{{"items", items}};
  });
}

ApiResponse get_csr(ApiServices& s, const RouteRequest&) {
  return respond(s.identity.csr_pem(), [](std::string& pem) {
    ApiResponse r;
    r.content_type = "application/x-pem-file";
    r.body = std::move(pem);
    return r;
  });
}

// The body: PEM, the signed CAPF certificate first, then (optionally) its issuing CAs and root.
ApiResponse import_identity(ApiServices& s, const RouteRequest& req) {
  if (req.http.body.empty()) {
    return problem(400,
                   "the body is empty: send the certificate the CA signed for the request from "
                   "GET /api/v1/ca/csr, then its issuing CAs and root, as PEM "
                   "(Content-Type: application/x-pem-file)");
  }
  return respond(s.identity.import(req.http.body, std::nullopt, req.actor()), certificate_json,
                 201);
}

// {"key": "ec:p256", "subject": "CN=...", "days": 1825}, every field optional.
ApiResponse regenerate_identity(ApiServices& s, const RouteRequest& req) {
  RegenerateOptions options;
  if (!req.http.body.empty()) {
    CAPF_API_ASSIGN(const json body,
                    parse_body(req.http, R"({"key": "ec:p256", "subject": "CN=CAPF-1,O=Example", )"
                                         R"("days": 1825} (every field optional))"));
    for (const auto& [key, value] : body.items()) {
      if (key == "key") {
        if (!value.is_string())
          return field_problem(key, "must be a string: rsa:2048|rsa:3072|rsa:4096|ec:p256|ec:p384");
        auto spec = parse_key_spec(value.get<std::string>());
        if (!spec)
          return field_problem(key, spec.error().message);
        options.key = *spec;
      } else if (key == "subject") {
        if (!value.is_string())
          return field_problem(key, "must be a string such as \"CN=CAPF-1,O=Example\"");
        options.subject = value.get<std::string>();
      } else if (key == "days") {
        if (!value.is_number_integer())
          return field_problem(key, "must be a whole number of days, 1 to 7300");
        auto days = value.get<std::int64_t>();
        if (days < 1 || days > 7300)
          return field_problem(key, fmt::format("{} is out of range: give 1 to 7300", days));
        options.days = static_cast<int>(days);
      } else {
        return field_problem(key, "unknown field: use key, subject or days");
      }
    }
  }
  return respond(s.identity.regenerate(options, req.actor()), certificate_json, 201);
}

ApiResponse retire_identity(ApiServices& s, const RouteRequest& req) {
  return respond(s.identity.retire(req.params.at("fingerprint"), req.actor()));
}

}  // namespace

void add_identity_routes(Router& router, ApiServices& s) {
  router.add("GET", "/api/v1/ca", Permission::kRead, s, list_identities);
  router.add("GET", "/api/v1/ca/csr", Permission::kRead, s, get_csr);
  router.add("POST", "/api/v1/ca/import", Permission::kAdminister, s, import_identity);
  router.add("POST", "/api/v1/ca/regenerate", Permission::kAdminister, s, regenerate_identity);
  router.add("DELETE", "/api/v1/ca/{fingerprint}", Permission::kAdminister, s, retire_identity);
}

}  // namespace capf::api
