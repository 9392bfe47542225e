// Where LSCs come from and their renewal, as `opencapf issuer show|set` and `opencapf cert renew`
// do it: GET and PUT /api/v1/issuer, POST /api/v1/certificates/renew. The same service calls, so
// the same prerequisite checks and messages; secrets are only ever named (a file or a variable).
#include <algorithm>

#include <fmt/format.h>

#include "capf/api/admin_api.h"
#include "capf/api/respond.h"

namespace capf::api {
namespace {

using nlohmann::json;

// How the CA's secret is reached, never the secret: {"file": PATH}, {"env": NAME} or null.
json secret_json(const OnlineCaConfig& o) {
  if (!o.password_file.empty())
    return json{{"file", o.password_file}};
  if (!o.password_env.empty())
    return json{{"env", o.password_env}};
  return nullptr;
}

json status_json(const IssuerStatus& s) {
  const OnlineCaConfig& o = s.config.online;
  const OfflineCaConfig& off = s.config.offline;
  return json{{"mode", to_string(s.config.mode)},
              {"issuer", s.description},
              {"online",
               {{"protocol", to_string(o.protocol)},
                {"url", o.url},
                {"ca_chain", o.ca_chain_file},
                {"key_types", o.key_types},
                {"username", o.username},
                {"secret", secret_json(o)},
                {"auth", o.auth},
                {"template", o.template_name},
                {"profile", o.profile},
                {"acme_email", o.acme_email},
                {"acme_suffix", o.acme_identifier_suffix},
                {"timeout", o.timeout_seconds},
                {"retries", o.retries},
                {"poll", o.poll_seconds}}},
              {"offline", {{"ca_chain", off.ca_chain_file}, {"key_types", off.key_types}}},
              {"requests", {{"waiting", s.waiting}, {"ready", s.ready}}},
              {"ready", s.problems.empty()},
              {"problems", s.problems}};
}

ApiResponse get_issuer(ApiServices& s, const RouteRequest&) {
  return respond(s.issuer.show(), status_json);
}

// The members of a PUT body, named as `opencapf issuer set`'s options.
constexpr std::string_view kChangeExample =
    R"({"mode": "online", "protocol": "cfssl", "url": "http://ca:8888", "ca_chain": "/etc/ca.pem"})";
const std::pair<std::string_view, std::string IssuerChange::*> kStringMembers[] = {
    {"mode", &IssuerChange::mode},
    {"protocol", &IssuerChange::protocol},
    {"url", &IssuerChange::url},
    {"ca_chain", &IssuerChange::ca_chain},
    {"username", &IssuerChange::username},
    {"password_file", &IssuerChange::password_file},
    {"password_env", &IssuerChange::password_env},
    {"auth", &IssuerChange::auth},
    {"template", &IssuerChange::template_name},
    {"profile", &IssuerChange::profile},
    {"acme_email", &IssuerChange::acme_email},
    {"acme_suffix", &IssuerChange::acme_suffix},
};
const std::pair<std::string_view, std::optional<int> IssuerChange::*> kIntMembers[] = {
    {"timeout", &IssuerChange::timeout},
    {"retries", &IssuerChange::retries},
    {"poll", &IssuerChange::poll},
};
constexpr std::string_view kMemberList =
    "mode, protocol, url, ca_chain, key_types, username, password_file, password_env, auth, "
    "template, profile, acme_email, acme_suffix, timeout, retries or poll";

// Sets the member `key` names from `value`, or answers the problem naming it.
std::optional<ApiResponse> set_member(IssuerChange& c, const std::string& key, const json& value) {
  for (const auto& [name, member] : kStringMembers) {
    if (key != name)
      continue;
    if (!value.is_string())
      return field_problem(key, "must be a string");
    c.*member = value.get<std::string>();
    return std::nullopt;
  }
  for (const auto& [name, member] : kIntMembers) {
    if (key != name)
      continue;
    if (!value.is_number_integer() || value.get<long long>() < 0 || value.get<long long>() > 86400)
      return field_problem(key, "must be a whole number from 0 to 86400");
    c.*member = value.get<int>();
    return std::nullopt;
  }
  if (key == "key_types") {
    if (!value.is_array())
      return field_problem(key, R"(must be an array of key types, e.g. ["rsa:2048", "ec:p256"])");
    for (const json& k : value) {
      if (!k.is_string())
        return field_problem(key, "must hold strings such as rsa:2048 or ec:p256");
      c.key_types.push_back(k.get<std::string>());
    }
    return std::nullopt;
  }
  return field_problem(key, fmt::format("unknown field: use {}", kMemberList));
}

Parsed<IssuerChange> issuer_change(const ApiRequest& http) {
  CAPF_API_ASSIGN(const json body, parse_body(http, kChangeExample));
  IssuerChange c;
  for (const auto& item : body.items()) {
    if (auto refused = set_member(c, item.key(), item.value()))
      return std::move(*refused);
  }
  if (c.mode.empty())
    return field_problem("mode", "required: capf, online or offline");
  return c;
}

// Writes opencapf.toml only when every prerequisite of the new settings is met; relative file
// names are taken relative to the data directory.
ApiResponse put_issuer(ApiServices& s, const RouteRequest& req) {
  CAPF_API_ASSIGN(const IssuerChange change, issuer_change(req.http));
  return respond(s.issuer.change(change, req.actor()), status_json);
}

// {"within_days": N}: what `opencapf cert renew --within N` does.
ApiResponse renew_certificates(ApiServices& s, const RouteRequest& req) {
  CAPF_API_ASSIGN(const json body, parse_body(req.http, R"({"within_days": 30})"));
  std::optional<int> days;
  for (const auto& [key, value] : body.items()) {
    if (key != "within_days")
      return field_problem(key, "unknown field: use within_days");
    if (!value.is_number_integer())
      return field_problem(key, "must be a whole number of days, e.g. 30");
    // Out of range stays out of range (renew_within refuses it) without overflowing an int.
    days = static_cast<int>(
        std::clamp<long long>(value.get<long long>(), 0, CertificateAdmin::kMaxRenewalDays + 1));
  }
  if (!days)
    return field_problem("within_days", "required: renew LSCs that expire within this many days");
  auto scheduled = s.certificates.renew_within(*days);
  if (!scheduled && scheduled.error().code == ErrorCode::kInvalidArgument)
    return field_problem("within_days", scheduled.error().message);
  if (!scheduled)
    return problem(scheduled.error());
  return json_response(json{{"scheduled", *scheduled}, {"count", scheduled->size()}});
}

}  // namespace

void add_issuer_routes(Router& router, ApiServices& s) {
  router.add("GET", "/api/v1/issuer", Permission::kRead, s, get_issuer);
  router.add("PUT", "/api/v1/issuer", Permission::kAdminister, s, put_issuer);
  router.add("POST", "/api/v1/certificates/renew", Permission::kAdminister, s, renew_certificates);
}

}  // namespace capf::api
