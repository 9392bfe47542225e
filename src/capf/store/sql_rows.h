// The registry's rows as every SQL engine reads and writes them: the column lists, what a write
// binds and how a row becomes a value. Templates over the engine's query type, which provides
// bind(text | int64 | int | TimePoint | optional), bind_null() and, for a row, text(col),
// opt_text(col), integer(col), time(col) and is_null(col). Order matters: the readers read the
// columns by the positions of the lists.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "capf/store/device_store.h"
#include "capf/store/stored_values.h"

namespace capf {

// One column into a value of its type: text, a time (Unix seconds), an integer, or a time that
// stays unset when the column is NULL.
template <typename Row>
void read_column(const Row& q, int col, std::string& out) {
  out = q.text(col);
}
template <typename Row>
void read_column(const Row& q, int col, TimePoint& out) {
  out = q.time(col);
}
template <typename Row>
void read_column(const Row& q, int col, int& out) {
  out = static_cast<int>(q.integer(col));
}
template <typename Row>
void read_column(const Row& q, int col, std::int64_t& out) {
  out = q.integer(col);
}
template <typename Row>
void read_column(const Row& q, int col, std::optional<TimePoint>& out) {
  if (!q.is_null(col)) {
    out = q.time(col);
  }
}

// Columns first, first + 1, ... into `members` of `out`, in that order.
template <typename Row, typename T, typename... Members>
void read_columns(const Row& q, int first, T& out, Members T::*... members) {
  int col = first;
  (read_column(q, col++, out.*members), ...);
}

// Binds `members` of `in`, in that order.
template <typename Query, typename T, typename... Members>
void bind_members(Query& q, const T& in, Members T::*... members) {
  (q.bind(in.*members), ...);
}

constexpr std::string_view kDeviceColumns =
    "name, operation, auth_mode, auth_string, key_order, rsa_bits, ec_bits, deadline, "
    "status_kind, status_operation, status_reason, status_time, status_detail, auth_failures, "
    "lsc_serial, lsc_issuer, lsc_not_after, description, created, updated, version";

// UPDATE devices: the fields bind_device_fields() binds, then updated, name and version.
constexpr std::string_view kUpdateDeviceSql =
    "UPDATE devices SET operation = ?, auth_mode = ?, auth_string = ?, key_order = ?, "
    "rsa_bits = ?, ec_bits = ?, deadline = ?, status_kind = ?, status_operation = ?, "
    "status_reason = ?, status_time = ?, status_detail = ?, auth_failures = ?, "
    "lsc_serial = ?, lsc_issuer = ?, lsc_not_after = ?, description = ?, updated = ?, "
    "version = version + 1 WHERE name = ? AND version = ?";

// Binds operation .. description (columns 1..17 of kDeviceColumns), the part a write sets.
template <typename Query>
void bind_device_fields(Query& q, const Device& d) {
  q.bind(short_name(d.operation))
      .bind(short_name(d.auth_mode))
      .bind(d.auth_string)
      .bind(short_name(d.key_order))
      .bind(d.rsa_bits)
      .bind(d.ec_bits)
      .bind(d.deadline)
      .bind(stored_name(d.status.kind))
      .bind(short_name(d.status.operation))
      .bind(stored_name(d.status.reason))
      .bind(d.status_time)
      .bind(d.status_detail)
      .bind(d.auth_failures);
  if (d.lsc) {
    q.bind(d.lsc->serial_hex).bind(d.lsc->issuer).bind(d.lsc->not_after);
  } else {
    q.bind_null().bind_null().bind_null();
  }
  q.bind(d.description);
}

inline Error bad_device_column(std::string_view column, const std::string& name, const Error& e) {
  return make_error(ErrorCode::kDatabase, "device {} has a bad {} column: {}", name, column,
                    e.message);
}

// A lookup's kNotFound as "none" (find_device() and the like); other errors stay errors.
template <typename T>
Result<std::optional<T>> none_if_not_found(Result<T> found) {
  if (!found) {
    if (found.error().code == ErrorCode::kNotFound) {
      return std::optional<T>();
    }
    return found.error();
  }
  return std::optional<T>(std::move(found).value());
}

template <typename Row>
Result<Device> read_device(const Row& q) {
  std::string raw_name = q.text(0);
  auto name = DeviceName::parse_stored(raw_name);
  if (!name) {
    return bad_device_column("name", raw_name, name.error());
  }
  auto operation = parse_operation(q.text(1));
  if (!operation) {
    return bad_device_column("operation", raw_name, operation.error());
  }
  auto auth_mode = parse_auth_mode(q.text(2));
  if (!auth_mode) {
    return bad_device_column("auth_mode", raw_name, auth_mode.error());
  }
  auto key_order = parse_key_order(q.text(4));
  if (!key_order) {
    return bad_device_column("key_order", raw_name, key_order.error());
  }
  auto status = parse_stored_status(q.text(8), q.text(9), q.text(10));
  if (!status) {
    return bad_device_column("status", raw_name, status.error());
  }
  std::optional<LscInfo> lsc;
  if (!q.is_null(14)) {
    lsc = LscInfo{q.text(14), q.text(15), q.time(16)};
  }
  std::optional<TimePoint> deadline;
  if (!q.is_null(7)) {
    deadline = q.time(7);
  }
  // Every field named: Device has members without default initializers.
  return Device{
      .name = *name,
      .operation = *operation,
      .auth_mode = *auth_mode,
      .auth_string = q.opt_text(3),
      .key_order = *key_order,
      .rsa_bits = static_cast<int>(q.integer(5)),
      .ec_bits = static_cast<int>(q.integer(6)),
      .deadline = deadline,
      .status = *status,
      .status_time = q.time(11),
      .status_detail = q.text(12),
      .auth_failures = static_cast<int>(q.integer(13)),
      .lsc = std::move(lsc),
      .description = q.text(17),
      .created = q.time(18),
      .updated = q.time(19),
      .version = q.integer(20),
  };
}

constexpr std::string_view kCertificateColumns =
    "serial_hex, device_name, issuer, subject, key_spec, not_before, not_after, pem, state, "
    "issued_at, state_time, session_id, revocation_reason";

template <typename Query>
void bind_certificate(Query& q, const IssuedCertificate& cert) {
  using C = IssuedCertificate;
  bind_members(q, cert, &C::serial_hex, &C::device_name, &C::issuer, &C::subject, &C::key_spec,
               &C::not_before, &C::not_after, &C::pem);
  q.bind(to_string(cert.state));
  bind_members(q, cert, &C::issued_at, &C::state_time, &C::session, &C::revocation_reason);
}

template <typename Row>
Result<IssuedCertificate> read_certificate(const Row& q) {
  using C = IssuedCertificate;
  C c;
  read_columns(q, 0, c, &C::serial_hex, &C::device_name, &C::issuer, &C::subject, &C::key_spec,
               &C::not_before, &C::not_after, &C::pem);
  auto state = parse_certificate_state(q.text(8));
  if (!state) {
    return make_error(ErrorCode::kDatabase, "certificate {} has a bad state column: {}",
                      c.serial_hex, state.error().message);
  }
  c.state = *state;
  read_columns(q, 9, c, &C::issued_at, &C::state_time, &C::session, &C::revocation_reason);
  return c;
}

constexpr std::string_view kEventColumns = "device_name, event_time, session_id, kind, detail";

template <typename Row>
DeviceEvent read_event(const Row& q) {
  return DeviceEvent{q.text(0), q.time(1), q.text(2), q.text(3), q.text(4)};
}

constexpr std::string_view kTrustColumns =
    "store_name, fingerprint, subject, issuer, not_after, pem, label, added";

// Binds every column of kTrustColumns: the entry with its stored fingerprint and `added`.
template <typename Query>
void bind_trust(Query& q, const TrustEntry& entry, const std::string& fingerprint,
                TimePoint added) {
  q.bind(entry.store)
      .bind(fingerprint)
      .bind(entry.subject)
      .bind(entry.issuer)
      .bind(entry.not_after)
      .bind(entry.pem)
      .bind(entry.label)
      .bind(added);
}

template <typename Row>
TrustEntry read_trust(const Row& q) {
  using E = TrustEntry;
  E e;
  read_columns(q, 0, e, &E::store, &E::fingerprint, &E::subject, &E::issuer, &E::not_after, &E::pem,
               &E::label, &E::added);
  return e;
}

// How many certificates of `store` the prefix matched: ok for exactly one, kNotFound for none,
// kInvalidArgument for several (remove_trust() then removes nothing).
Status check_trust_matches(std::size_t matches, const std::string& prefix,
                           const std::string& fingerprint, const std::string& store);

// The fingerprint add_trust() stores (lower-case hex, 64 digits); kInvalidArgument otherwise.
Result<std::string> trust_fingerprint_to_store(const TrustEntry& entry);
// The prefix remove_trust() matches (lower-case hex, at least kMinFingerprintPrefix digits).
Result<std::string> trust_prefix_to_match(const std::string& fingerprint);

// The request columns; the writes bind mode .. session_id (columns 2..13) with
// bind_request_fields().
constexpr std::string_view kRequestColumns =
    "id, device_name, mode, ca, key_spec, csr_pem, spki_fingerprint, ticket, state, "
    "certificate_pem, certificate_serial, last_error, attempts, session_id, created, updated";

// What insert_request() checks first: an id and a device name.
Status check_request_to_insert(const CertificateRequestRecord& request);

// UPDATE certificate_requests: the fields bind_request_fields() binds, then device_name, updated
// and id.
constexpr std::string_view kUpdateRequestSql =
    "UPDATE certificate_requests SET mode = ?, ca = ?, key_spec = ?, csr_pem = ?, "
    "spki_fingerprint = ?, ticket = ?, state = ?, certificate_pem = ?, "
    "certificate_serial = ?, last_error = ?, attempts = ?, session_id = ?, "
    "device_name = ?, updated = ? WHERE id = ?";

// Requests that still wait for the CA or for the phone: the ones a newer request supersedes.
constexpr std::string_view kOpenRequestStates = "state IN ('waiting', 'ready')";

template <typename Query>
void bind_request_fields(Query& q, const CertificateRequestRecord& r) {
  using R = CertificateRequestRecord;
  bind_members(q, r, &R::mode, &R::ca, &R::key_spec, &R::csr_pem, &R::spki_fingerprint, &R::ticket);
  q.bind(to_string(r.state));
  bind_members(q, r, &R::certificate_pem, &R::certificate_serial, &R::last_error, &R::attempts,
               &R::session);
}

template <typename Row>
Result<CertificateRequestRecord> read_request(const Row& q) {
  using R = CertificateRequestRecord;
  R r;
  read_columns(q, 0, r, &R::id, &R::device_name, &R::mode, &R::ca, &R::key_spec, &R::csr_pem,
               &R::spki_fingerprint, &R::ticket);
  auto state = parse_request_state(q.text(8));
  if (!state) {
    return make_error(ErrorCode::kDatabase, "certificate request {} has a bad state column: {}",
                      r.id, state.error().message);
  }
  r.state = *state;
  read_columns(q, 9, r, &R::certificate_pem, &R::certificate_serial, &R::last_error, &R::attempts,
               &R::session, &R::created, &R::updated);
  return r;
}

constexpr std::string_view kTokenColumns =
    "id, name, role, token_hash, created, last_used, revoked, expires";

template <typename Row>
Result<AdminToken> read_token(const Row& q) {
  AdminToken t;
  t.id = q.integer(0);
  t.name = q.text(1);
  auto role = parse_admin_role(q.text(2));
  if (!role) {
    return make_error(ErrorCode::kDatabase, "admin token {} has a bad role column: {}", t.id,
                      role.error().message);
  }
  t.role = *role;
  read_columns(q, 3, t, &AdminToken::hash_hex, &AdminToken::created, &AdminToken::last_used,
               &AdminToken::revoked, &AdminToken::expires);
  return t;
}

// What insert_token() checks before storing, in every engine: a SHA-256 hash and a name. Returns
// the token as it will be stored (created from `now`, never used or revoked, expiry to the second).
Result<AdminToken> token_to_store(const AdminToken& token, TimePoint now);

constexpr std::string_view kAuditColumns =
    "id, event_time, actor, action, target, before_json, after_json";

template <typename Row>
AuditEntry read_audit(const Row& q) {
  using E = AuditEntry;
  E e;
  read_columns(q, 0, e, &E::id, &E::time, &E::actor, &E::action, &E::target, &E::before, &E::after);
  return e;
}

}  // namespace capf
