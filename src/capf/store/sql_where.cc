#include "capf/store/sql_where.h"

#include "capf/store/stored_values.h"

namespace capf {

Where device_where(const DeviceFilter& f) {
  Where w;
  if (f.name_prefix && !f.name_prefix->empty()) {
    w.add("name >= ?", *f.name_prefix);
    if (auto bound = prefix_upper_bound(*f.name_prefix)) {
      w.add("name < ?", *bound);
    }
  }
  if (!f.after_name.empty()) {
    w.add("name > ?", f.after_name);
  }
  if (f.operation) {
    w.add("operation = ?", std::string(short_name(*f.operation)));
  }
  if (f.status_kind) {
    w.add("status_kind = ?", std::string(stored_name(*f.status_kind)));
  }
  if (f.auth_mode) {
    w.add("auth_mode = ?", std::string(short_name(*f.auth_mode)));
  }
  if (f.lsc_expires_before) {
    w.add("lsc_not_after < ?", to_unix(*f.lsc_expires_before));
  }
  if (f.with_lsc_only) {
    w.add("lsc_serial IS NOT NULL");
  }
  if (f.without_lsc_only) {
    w.add("lsc_serial IS NULL");
  }
  return w;
}

Where certificate_where(const CertificateFilter& f) {
  Where w;
  if (f.device_name) {
    w.add("device_name = ?", *f.device_name);
  }
  if (f.serial_hex) {
    w.add("serial_hex = ?", *f.serial_hex);
  }
  if (f.state) {
    w.add("state = ?", std::string(to_string(*f.state)));
  }
  if (f.expires_before) {
    w.add("not_after < ?", to_unix(*f.expires_before));
  }
  return w;
}

Where request_where(const RequestFilter& f) {
  Where w;
  if (f.device_name) {
    w.add("device_name = ?", *f.device_name);
  }
  if (f.mode) {
    w.add("mode = ?", *f.mode);
  }
  if (f.state) {
    w.add("state = ?", std::string(to_string(*f.state)));
  }
  if (f.spki_fingerprint) {
    w.add("spki_fingerprint = ?", *f.spki_fingerprint);
  }
  return w;
}

Where audit_where(const AuditFilter& f) {
  Where w;
  if (f.target) {
    w.add("target = ?", *f.target);
  }
  if (f.actor) {
    w.add("actor = ?", *f.actor);
  }
  if (f.before_id > 0) {
    w.add("id < ?", f.before_id);
  }
  return w;
}

}  // namespace capf
