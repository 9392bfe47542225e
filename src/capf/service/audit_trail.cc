#include "capf/service/audit_trail.h"

namespace capf {

Status record_audit(AuditLog& log, const std::string& actor, std::string action, std::string target,
                    std::string before, std::string after) {
  AuditEntry entry;
  entry.actor = actor;
  entry.action = std::move(action);
  entry.target = std::move(target);
  entry.before = std::move(before);
  entry.after = std::move(after);
  CAPF_TRY(log.append_audit(entry));
  return ok();
}

nlohmann::json certificate_summary(const pki::Certificate& certificate) {
  return {{"subject", certificate.subject()},
          {"issuer", certificate.issuer()},
          {"serial", certificate.serial_hex()},
          {"fingerprint_sha256", certificate.fingerprint_sha256()},
          {"not_after", format_utc(certificate.not_after())}};
}

}  // namespace capf
