#include "capf/service/device_json.h"

namespace capf {

using nlohmann::json;

json to_json(const Device& d) {
  json j;
  j["name"] = d.name.str();
  j["operation"] = short_name(d.operation);
  j["auth_mode"] = short_name(d.auth_mode);
  j["auth_string_set"] = d.auth_string.has_value() && !d.auth_string->empty();
  j["key_order"] = short_name(d.key_order);
  j["rsa_bits"] = d.rsa_bits;
  j["ec_bits"] = d.ec_bits;
  j["deadline"] = d.deadline ? json(format_utc(*d.deadline)) : json(nullptr);
  j["status"] = to_string(d.status);
  j["status_time"] = format_utc(d.status_time);
  j["status_detail"] = d.status_detail;
  j["auth_failures"] = d.auth_failures;
  if (d.lsc) {
    j["lsc"] = {{"serial", d.lsc->serial_hex},
                {"issuer", d.lsc->issuer},
                {"not_after", format_utc(d.lsc->not_after)}};
  } else {
    j["lsc"] = nullptr;
  }
  j["description"] = d.description;
  j["created"] = format_utc(d.created);
  j["updated"] = format_utc(d.updated);
  return j;
}

json to_json(const IssuedCertificate& c) {
  return json{{"serial", c.serial_hex},
              {"device", c.device_name},
              {"issuer", c.issuer},
              {"subject", c.subject},
              {"key", c.key_spec},
              {"not_before", format_utc(c.not_before)},
              {"not_after", format_utc(c.not_after)},
              {"state", to_string(c.state)},
              {"issued_at", format_utc(c.issued_at)},
              {"state_time", format_utc(c.state_time)},
              {"session", c.session},
              {"revocation_reason", c.revocation_reason},
              {"pem", c.pem}};
}

json to_json(const DeviceEvent& e) {
  return json{{"device", e.device_name},
              {"time", format_utc(e.time)},
              {"session", e.session},
              {"kind", e.kind},
              {"detail", e.detail}};
}

json to_json(const TrustEntry& t) {
  return json{{"store", t.store},
              {"fingerprint", t.fingerprint},
              {"subject", t.subject},
              {"issuer", t.issuer},
              {"not_after", format_utc(t.not_after)},
              {"label", t.label},
              {"added", format_utc(t.added)}};
}

json to_json(const CertificateRequestRecord& r) {
  return json{{"id", r.id},
              {"device", r.device_name},
              {"mode", r.mode},
              {"ca", r.ca},
              {"key", r.key_spec},
              {"state", to_string(r.state)},
              {"ca_request_id", r.ticket},
              {"attempts", r.attempts},
              {"last_error", r.last_error},
              {"certificate_serial", r.certificate_serial},
              {"created", format_utc(r.created)},
              {"updated", format_utc(r.updated)}};
}

json to_json(const DeviceImportReport& r) {
  json lines = json::array();
  for (const auto& l : r.lines) {
    json j{{"line", l.line},
           {"device", l.device},
           {"outcome", to_string(l.outcome)},
           {"errors", l.errors},
           {"warnings", l.warnings}};
    if (l.generated_auth_string)
      j["generated_auth_string"] = *l.generated_auth_string;
    lines.push_back(std::move(j));
  }
  return json{{"applied", r.applied},     {"created", r.created}, {"updated", r.updated},
              {"unchanged", r.unchanged}, {"errors", r.errors},   {"lines", std::move(lines)}};
}

}  // namespace capf
