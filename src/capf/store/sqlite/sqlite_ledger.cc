// SqliteRegistry's CertificateLedger: the certificates table.
#include "capf/store/sqlite/sqlite_registry.h"

#include <optional>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "capf/store/sqlite/sqlite_where.h"
#include "capf/store/stored_values.h"

namespace capf {
namespace {

constexpr std::string_view kCertificateColumns =
    "serial_hex, device_name, issuer, subject, key_spec, not_before, not_after, pem, state, "
    "issued_at, state_time, session_id, revocation_reason";

Result<IssuedCertificate> read_certificate(const SqliteQuery& q) {
  IssuedCertificate c;
  c.serial_hex = q.text(0);
  c.device_name = q.text(1);
  c.issuer = q.text(2);
  c.subject = q.text(3);
  c.key_spec = q.text(4);
  c.not_before = q.time(5);
  c.not_after = q.time(6);
  c.pem = q.text(7);
  auto state = parse_certificate_state(q.text(8));
  if (!state) {
    return make_error(ErrorCode::kDatabase, "certificate {} has a bad state column: {}",
                      c.serial_hex, state.error().message);
  }
  c.state = *state;
  c.issued_at = q.time(9);
  c.state_time = q.time(10);
  c.session = q.text(11);
  c.revocation_reason = q.text(12);
  return c;
}

}  // namespace

Status SqliteRegistry::record_issued(const IssuedCertificate& cert) {
  const std::string doing =
      fmt::format("recording certificate {} of {}", cert.serial_hex, cert.device_name);
  return write(doing, [&]() -> Status {
    CAPF_ASSIGN_OR_RETURN(sqlite3_stmt * stmt,
                          connection_->prepare(fmt::format(
                              "INSERT INTO certificates ({}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                              "?, ?, ?)",
                              kCertificateColumns)));
    SqliteQuery q(*connection_, stmt);
    q.bind(cert.serial_hex)
        .bind(cert.device_name)
        .bind(cert.issuer)
        .bind(cert.subject)
        .bind(cert.key_spec)
        .bind(cert.not_before)
        .bind(cert.not_after)
        .bind(cert.pem)
        .bind(to_string(cert.state))
        .bind(cert.issued_at)
        .bind(cert.state_time)
        .bind(cert.session)
        .bind(cert.revocation_reason);
    if (auto s = q.run(doing); !s) {
      if (q.violated_constraint()) {
        return make_error(ErrorCode::kAlreadyExists,
                          "certificate serial {} is already recorded: serials must be unique",
                          cert.serial_hex);
      }
      return s;
    }
    return ok();
  });
}

Status SqliteRegistry::set_certificate_state(const std::string& serial_hex, CertificateState state,
                                             TimePoint when, const std::string& reason) {
  const std::string doing = fmt::format("marking certificate {} {}", serial_hex, to_string(state));
  return write(doing, [&]() -> Status {
    CAPF_ASSIGN_OR_RETURN(sqlite3_stmt * stmt,
                          connection_->prepare("UPDATE certificates SET state = ?, state_time = ?, "
                                               "revocation_reason = ? WHERE serial_hex = ?"));
    SqliteQuery q(*connection_, stmt);
    CAPF_TRY(q.bind(to_string(state)).bind(when).bind(reason).bind(serial_hex).run(doing));
    if (connection_->changes() == 0) {
      return make_error(ErrorCode::kNotFound, "no certificate with serial {} in the ledger",
                        serial_hex);
    }
    return ok();
  });
}

Result<std::optional<IssuedCertificate>> SqliteRegistry::find_certificate(
    const std::string& serial_hex) {
  std::lock_guard lock(mu_);
  CAPF_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, connection_->prepare(fmt::format(
                                                 "SELECT {} FROM certificates WHERE serial_hex = ?",
                                                 kCertificateColumns)));
  SqliteQuery q(*connection_, stmt);
  q.bind(serial_hex);
  CAPF_ASSIGN_OR_RETURN(bool row, q.step(fmt::format("reading certificate {}", serial_hex)));
  if (!row) {
    return std::optional<IssuedCertificate>();
  }
  CAPF_ASSIGN_OR_RETURN(IssuedCertificate c, read_certificate(q));
  return std::optional<IssuedCertificate>(std::move(c));
}

Result<std::vector<IssuedCertificate>> SqliteRegistry::list_certificates(
    const CertificateFilter& filter) {
  std::lock_guard lock(mu_);
  Where where;
  if (filter.device_name) {
    where.add("device_name = ?", *filter.device_name);
  }
  if (filter.serial_hex) {
    where.add("serial_hex = ?", *filter.serial_hex);
  }
  if (filter.state) {
    where.add("state = ?", std::string(to_string(*filter.state)));
  }
  if (filter.expires_before) {
    where.add("not_after < ?", to_unix(*filter.expires_before));
  }
  CAPF_ASSIGN_OR_RETURN(
      sqlite3_stmt * stmt,
      connection_->prepare(
          fmt::format("SELECT {} FROM certificates{} ORDER BY issued_at DESC, serial_hex DESC "
                      "LIMIT ?",
                      kCertificateColumns, where.sql)));
  SqliteQuery q(*connection_, stmt);
  where.bind_to(q);
  q.bind(to_sql_limit(filter.limit));
  std::vector<IssuedCertificate> out;
  while (true) {
    CAPF_ASSIGN_OR_RETURN(bool row, q.step("listing certificates"));
    if (!row) {
      break;
    }
    CAPF_ASSIGN_OR_RETURN(IssuedCertificate c, read_certificate(q));
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace capf
