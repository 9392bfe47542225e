// PgRegistry's CertificateLedger: the certificates table.
#include <optional>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "capf/store/postgres/pg_registry.h"
#include "capf/store/sql_rows.h"
#include "capf/store/sql_where.h"

namespace capf {

Status PgRegistry::record_issued(const IssuedCertificate& cert) {
  const std::string doing =
      fmt::format("recording certificate {} of {}", cert.serial_hex, cert.device_name);
  return write(doing, [&]() -> Status {
    auto q = query(
        fmt::format("INSERT INTO certificates ({}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    kCertificateColumns));
    bind_certificate(q, cert);
    auto rows = q.run(doing);
    if (!rows) {
      if (rows.error().code == ErrorCode::kAlreadyExists) {
        return make_error(ErrorCode::kAlreadyExists,
                          "certificate serial {} is already recorded: serials must be unique",
                          cert.serial_hex);
      }
      return rows.error();
    }
    return ok();
  });
}

Status PgRegistry::set_certificate_state(const std::string& serial_hex, CertificateState state,
                                         TimePoint when, const std::string& reason) {
  const std::string doing = fmt::format("marking certificate {} {}", serial_hex, to_string(state));
  return write(doing, [&]() -> Status {
    CAPF_ASSIGN_OR_RETURN(PgRows rows, query("UPDATE certificates SET state = ?, state_time = ?, "
                                             "revocation_reason = ? WHERE serial_hex = ?")
                                           .bind(to_string(state))
                                           .bind(when)
                                           .bind(reason)
                                           .bind(serial_hex)
                                           .run(doing));
    if (rows.changed() == 0) {
      return make_error(ErrorCode::kNotFound, "no certificate with serial {} in the ledger",
                        serial_hex);
    }
    return ok();
  });
}

Result<std::optional<IssuedCertificate>> PgRegistry::find_certificate(
    const std::string& serial_hex) {
  std::lock_guard lock(mu_);
  CAPF_ASSIGN_OR_RETURN(
      PgRows rows,
      query(fmt::format("SELECT {} FROM certificates WHERE serial_hex = ?", kCertificateColumns))
          .bind(serial_hex)
          .run(fmt::format("reading certificate {}", serial_hex)));
  return read_first<IssuedCertificate>(rows, read_certificate<PgRows::Row>);
}

Result<std::vector<IssuedCertificate>> PgRegistry::list_certificates(
    const CertificateFilter& filter) {
  std::lock_guard lock(mu_);
  Where where = certificate_where(filter);
  auto q = query(
      fmt::format("SELECT {} FROM certificates{} ORDER BY issued_at DESC, serial_hex DESC LIMIT ?",
                  kCertificateColumns, where.sql));
  where.bind_to(q);
  q.bind(to_sql_limit(filter.limit));
  CAPF_ASSIGN_OR_RETURN(PgRows rows, q.run("listing certificates"));
  return read_rows<IssuedCertificate>(rows, read_certificate<PgRows::Row>);
}

}  // namespace capf
