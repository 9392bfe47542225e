// The issuance ledger (/api/v1/certificates), the CRL (/api/v1/crl, public: a CRL distribution
// point) and the trust stores (/api/v1/trust).
#include <fmt/format.h>

#include "capf/api/admin_api.h"
#include "capf/api/respond.h"
#include "capf/pki/certificate.h"
#include "capf/service/device_json.h"

namespace capf::api {
namespace {

using nlohmann::json;

// The ledger's record without its PEM (GET /api/v1/certificates/{serial} has it).
json summary_json(const IssuedCertificate& c) {
  json j = to_json(c);
  j.erase("pem");
  return j;
}

ApiResponse list_certificates(ApiServices& s, const RouteRequest& req) {
  if (auto unknown =
          only_parameters(req.http, {"device", "state", "expires_before", "limit"}, "filter"))
    return *unknown;
  CertificateFilter f;
  CAPF_API_ASSIGN(f.limit, page_limit(req.http));
  CAPF_API_ASSIGN(f.expires_before, query_time(req.http, "expires_before"));
  if (auto device = req.http.query.find("device"); device != req.http.query.end())
    f.device_name = device->second;
  if (auto state = req.http.query.find("state"); state != req.http.query.end()) {
    auto parsed = parse_certificate_state(state->second);
    if (!parsed)
      return field_problem("state", parsed.error().message);
    f.state = *parsed;
  }
  return respond(s.certificates.list(f), [](const std::vector<IssuedCertificate>& certs) {
    json items = json::array();
    for (const auto& c : certs)
      items.push_back(summary_json(c));
    return json{{"items", items}};
  });
}

ApiResponse get_certificate(ApiServices& s, const RouteRequest& req) {
  return respond(s.certificates.show(req.params.at("serial")),
                 [](const IssuedCertificate& c) { return to_json(c); });
}

// {"reason": "keyCompromise"} (RFC 5280 names; default unspecified).
ApiResponse revoke_certificate(ApiServices& s, const RouteRequest& req) {
  std::string reason = "unspecified";
  if (!req.http.body.empty()) {
    CAPF_API_ASSIGN(const json body, parse_body(req.http, R"({"reason": "keyCompromise"})"));
    for (const auto& [key, value] : body.items()) {
      if (key != "reason")
        return field_problem(key, "unknown field: use reason");
      if (!value.is_string())
        return field_problem(key, "must be a string such as keyCompromise or superseded");
      reason = value.get<std::string>();
    }
  }
  return respond(s.certificates.revoke(req.params.at("serial"), reason, req.actor()), summary_json);
}

ApiResponse get_crl(ApiServices& s, const RouteRequest& req) {
  auto format = req.http.query.find("format");
  const bool pem = format != req.http.query.end() && format->second == "pem";
  if (format != req.http.query.end() && format->second != "pem" && format->second != "der") {
    return field_problem("format",
                         fmt::format("'{}': use der (the default) or pem", format->second));
  }
  CAPF_API_ASSIGN(const CrlResult crl, s.crl.get());
  ApiResponse r;
  if (pem) {
    r.content_type = "application/x-pem-file";
    r.body = crl.pem;
  } else {
    CAPF_API_ASSIGN(const auto der, pki::pem_decode("X509 CRL", crl.pem));
    r.content_type = "application/pkix-crl";
    r.body = to_string(der);
  }
  r.headers.emplace_back("Cache-Control", "max-age=300");
  return r;
}

ApiResponse list_trust(ApiServices& s, const RouteRequest& req) {
  return respond_items(s.admin.trust_list(req.params.at("store")));
}

ApiResponse add_trust(ApiServices& s, const RouteRequest& req) {
  if (auto empty = refuse_empty_body(
          req.http, "send one or more PEM certificates (Content-Type: application/x-pem-file)"))
    return *empty;
  auto label = req.http.query.find("label");
  std::string l = label != req.http.query.end() ? label->second : "added through the API";
  return respond(
      s.admin.trust_add(req.params.at("store"), as_bytes(req.http.body), l, req.actor()),
      [](const auto& added) {
        return json{{"added", added}};
      },
      201);
}

ApiResponse remove_trust(ApiServices& s, const RouteRequest& req) {
  return respond(
      s.admin.trust_remove(req.params.at("store"), req.params.at("fingerprint"), req.actor()));
}

}  // namespace

void add_ledger_routes(Router& router, ApiServices& s) {
  router.add("GET", "/api/v1/certificates", Permission::kRead, s, list_certificates);
  router.add("GET", "/api/v1/certificates/{serial}", Permission::kRead, s, get_certificate);
  router.add("POST", "/api/v1/certificates/{serial}/revoke", Permission::kAdminister, s,
             revoke_certificate);
  router.add("GET", "/api/v1/crl", std::nullopt, s, get_crl);
  router.add("GET", "/api/v1/trust/{store}", Permission::kRead, s, list_trust);
  router.add("POST", "/api/v1/trust/{store}", Permission::kAdminister, s, add_trust);
  router.add("DELETE", "/api/v1/trust/{store}/{fingerprint}", Permission::kAdminister, s,
             remove_trust);
}

}  // namespace capf::api
