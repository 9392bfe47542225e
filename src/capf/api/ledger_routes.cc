// The issuance ledger (/api/v1/certificates), the CRL (/api/v1/crl, public: a CRL distribution
// point) and the trust stores (/api/v1/trust).
#include <charconv>

#include <fmt/format.h>

#include "capf/api/admin_api.h"
#include "capf/api/problem.h"
#include "capf/pki/certificate.h"
#include "capf/service/device_json.h"

namespace capf::api {
namespace {

using nlohmann::json;

ApiResponse list_certificates(ApiServices& s, const RouteRequest& req) {
  CertificateFilter f;
  f.limit = 100;
  for (const auto& [key, value] : req.http.query) {
    if (key == "device") {
      f.device_name = value;
    } else if (key == "state") {
      auto state = parse_certificate_state(value);
      if (!state)
        return field_problem(key, state.error().message);
      f.state = *state;
    } else if (key == "expires_before") {
      auto when = parse_utc(value);
      if (!when) {
        return field_problem(
            key, fmt::format("'{}' is not a time: use e.g. 2027-01-31T00:00:00Z", value));
      }
      f.expires_before = *when;
    } else if (key == "limit") {
      std::size_t n = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (ec != std::errc() || end != value.data() + value.size() || n < 1 || n > 1000)
        return field_problem(key, fmt::format("'{}' is not a page size: give 1 to 1000", value));
      f.limit = n;
    } else {
      return field_problem(key, "unknown filter: use device, state, expires_before or limit");
    }
  }
  auto certs = s.certificates.list(f);
  if (!certs)
    return problem(certs.error());
  json items = json::array();
  for (const auto& c : *certs) {
    json j = to_json(c);
    j.erase("pem");
    items.push_back(j);
  }
  return json_response(json{{"items", items}});
}

ApiResponse get_certificate(ApiServices& s, const RouteRequest& req) {
  auto cert = s.certificates.show(req.params.at("serial"));
  if (!cert)
    return problem(cert.error());
  return json_response(to_json(*cert));
}

// {"reason": "keyCompromise"} (RFC 5280 names; default unspecified).
ApiResponse revoke_certificate(ApiServices& s, const RouteRequest& req) {
  std::string reason = "unspecified";
  if (!req.http.body.empty()) {
    json body = json::parse(req.http.body, nullptr, false);
    if (body.is_discarded() || !body.is_object()) {
      return problem(400, "the body must be a JSON object: {\"reason\": \"keyCompromise\"}");
    }
    for (const auto& [key, value] : body.items()) {
      if (key != "reason")
        return field_problem(key, "unknown field: use reason");
      if (!value.is_string())
        return field_problem(key, "must be a string such as keyCompromise or superseded");
      reason = value.get<std::string>();
    }
  }
  auto revoked = s.certificates.revoke(req.params.at("serial"), reason, req.actor());
  if (!revoked)
    return problem(revoked.error());
  json j = to_json(*revoked);
  j.erase("pem");
  return json_response(j);
}

ApiResponse get_crl(ApiServices& s, const RouteRequest& req) {
  auto format = req.http.query.find("format");
  const bool pem = format != req.http.query.end() && format->second == "pem";
  if (format != req.http.query.end() && format->second != "pem" && format->second != "der") {
    return field_problem("format",
                         fmt::format("'{}': use der (the default) or pem", format->second));
  }
  auto crl = s.crl.get();
  if (!crl)
    return problem(crl.error());
  ApiResponse r;
  if (pem) {
    r.content_type = "application/x-pem-file";
    r.body = crl->pem;
  } else {
    auto der = pki::pem_decode("X509 CRL", crl->pem);
    if (!der)
      return problem(der.error());
    r.content_type = "application/pkix-crl";
    r.body = to_string(*der);
  }
  r.headers.emplace_back("Cache-Control", "max-age=300");
  return r;
}

ApiResponse list_trust(ApiServices& s, const RouteRequest& req) {
  auto entries = s.admin.trust_list(req.params.at("store"));
  if (!entries)
    return problem(entries.error());
  json items = json::array();
  for (const auto& e : *entries)
    items.push_back(to_json(e));
  return json_response(json{{"items", items}});
}

ApiResponse add_trust(ApiServices& s, const RouteRequest& req) {
  if (req.http.body.empty()) {
    return problem(400,
                   "the body is empty: send one or more PEM certificates "
                   "(Content-Type: application/x-pem-file)");
  }
  auto label = req.http.query.find("label");
  std::string l = label != req.http.query.end() ? label->second : "added through the API";
  auto added = s.admin.trust_add(req.params.at("store"), as_bytes(req.http.body), l, req.actor());
  if (!added)
    return problem(added.error());
  return json_response(json{{"added", *added}}, 201);
}

ApiResponse remove_trust(ApiServices& s, const RouteRequest& req) {
  Status removed =
      s.admin.trust_remove(req.params.at("store"), req.params.at("fingerprint"), req.actor());
  if (!removed)
    return problem(removed.error());
  return no_content();
}

}  // namespace

void add_ledger_routes(Router& router, ApiServices& s) {
  router.add("GET", "/api/v1/certificates", Permission::kRead,
             [&s](const RouteRequest& r) { return list_certificates(s, r); });
  router.add("GET", "/api/v1/certificates/{serial}", Permission::kRead,
             [&s](const RouteRequest& r) { return get_certificate(s, r); });
  router.add("POST", "/api/v1/certificates/{serial}/revoke", Permission::kAdminister,
             [&s](const RouteRequest& r) { return revoke_certificate(s, r); });
  router.add("GET", "/api/v1/crl", std::nullopt,
             [&s](const RouteRequest& r) { return get_crl(s, r); });
  router.add("GET", "/api/v1/trust/{store}", Permission::kRead,
             [&s](const RouteRequest& r) { return list_trust(s, r); });
  router.add("POST", "/api/v1/trust/{store}", Permission::kAdminister,
             [&s](const RouteRequest& r) { return add_trust(s, r); });
  router.add("DELETE", "/api/v1/trust/{store}/{fingerprint}", Permission::kAdminister,
             [&s](const RouteRequest& r) { return remove_trust(s, r); });
}

}  // namespace capf::api
