#include "capf/store/sql_where.h"

#include <optional>

#include "capf/store/stored_values.h"

namespace capf {
namespace {

// A filter's value as its column stores it.
std::string column_value(const std::string& text) {
  return text;
}
std::int64_t column_value(TimePoint t) {
  return to_unix(t);
}
std::string column_value(Operation op) {
  return std::string(short_name(op));
}
std::string column_value(AuthMode mode) {
  return std::string(short_name(mode));
}
std::string column_value(StatusKind kind) {
  return std::string(stored_name(kind));
}
std::string column_value(CertificateState state) {
  return std::string(to_string(state));
}
std::string column_value(RequestState state) {
  return std::string(to_string(state));
}

// `condition` with the stored value of `arg`, when the filter sets it.
template <typename T>
void add_if(Where& w, std::string_view condition, const std::optional<T>& arg) {
  if (arg) {
    w.add(condition, column_value(*arg));
  }
}

}  // namespace

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
  add_if(w, "operation = ?", f.operation);
  add_if(w, "status_kind = ?", f.status_kind);
  add_if(w, "auth_mode = ?", f.auth_mode);
  add_if(w, "lsc_not_after < ?", f.lsc_expires_before);
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
  add_if(w, "device_name = ?", f.device_name);
  add_if(w, "serial_hex = ?", f.serial_hex);
  add_if(w, "state = ?", f.state);
  add_if(w, "not_after < ?", f.expires_before);
  return w;
}

Where request_where(const RequestFilter& f) {
  Where w;
  add_if(w, "device_name = ?", f.device_name);
  add_if(w, "mode = ?", f.mode);
  add_if(w, "state = ?", f.state);
  add_if(w, "spki_fingerprint = ?", f.spki_fingerprint);
  return w;
}

Where audit_where(const AuditFilter& f) {
  Where w;
  add_if(w, "target = ?", f.target);
  add_if(w, "actor = ?", f.actor);
  if (f.before_id > 0) {
    w.add("id < ?", f.before_id);
  }
  return w;
}

}  // namespace capf
