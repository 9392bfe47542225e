// SqliteRegistry's CertificateLedger: the certificates table.
#include "capf/store/sqlite/sqlite_registry.h"

#include <optional>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "capf/store/sql_rows.h"
#include "capf/store/sql_where.h"

namespace capf {
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
    bind_certificate(q, cert);
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
  Where where = certificate_where(filter);
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
