// SqlRegistry's CertificateLedger: the certificates table.
#include <cstdint>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "capf/store/sql/sql_registry.h"
#include "capf/store/sql_rows.h"
#include "capf/store/sql_where.h"

namespace capf {

Status SqlRegistry::record_issued(const IssuedCertificate& cert) {
  const std::string doing =
      fmt::format("recording certificate {} of {}", cert.serial_hex, cert.device_name);
  return write(doing, [&]() -> Status {
    auto q = query(
        fmt::format("INSERT INTO certificates ({}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    kCertificateColumns));
    bind_certificate(*q, cert);
    if (auto inserted = q->run(doing); !inserted) {
      if (inserted.error().code == ErrorCode::kAlreadyExists) {
        return make_error(ErrorCode::kAlreadyExists,
                          "certificate serial {} is already recorded: serials must be unique",
                          cert.serial_hex);
      }
      return inserted.error();
    }
    return ok();
  });
}

Status SqlRegistry::set_certificate_state(const std::string& serial_hex, CertificateState state,
                                          TimePoint when, const std::string& reason) {
  const std::string doing = fmt::format("marking certificate {} {}", serial_hex, to_string(state));
  return write(doing, [&]() -> Status {
    CAPF_ASSIGN_OR_RETURN(std::int64_t changed,
                          query("UPDATE certificates SET state = ?, state_time = ?, "
                                "revocation_reason = ? WHERE serial_hex = ?")
                              ->bind(to_string(state))
                              .bind(when)
                              .bind(reason)
                              .bind(serial_hex)
                              .run(doing));
    if (changed == 0) {
      return make_error(ErrorCode::kNotFound, "no certificate with serial {} in the ledger",
                        serial_hex);
    }
    return ok();
  });
}

Result<std::optional<IssuedCertificate>> SqlRegistry::find_certificate(
    const std::string& serial_hex) {
  return find_row<IssuedCertificate>("certificates", kCertificateColumns, "serial_hex", serial_hex,
                                     fmt::format("reading certificate {}", serial_hex),
                                     read_certificate<SqlStatement>);
}

Result<std::vector<IssuedCertificate>> SqlRegistry::list_certificates(
    const CertificateFilter& filter) {
  return list_page<IssuedCertificate>(
      fmt::format("SELECT {} FROM certificates", kCertificateColumns), certificate_where(filter),
      "issued_at DESC, serial_hex DESC", filter.limit, "listing certificates",
      read_certificate<SqlStatement>);
}

}  // namespace capf
