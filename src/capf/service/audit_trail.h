// The audit trail every admin service writes: one entry per administrative change, naming who
// made it, what it was, on which object, and the object before and after (JSON text).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "capf/pki/certificate.h"
#include "capf/store/device_store.h"

namespace capf {

// Appends the entry; `before`/`after` are JSON text, "" when the object did not exist before or
// is gone after. Inside Registry::transact() it is written or rolled back with the change.
Status record_audit(AuditLog& log, const std::string& actor, std::string action, std::string target,
                    std::string before, std::string after);

// What the audit log keeps of a certificate: subject, issuer, serial, SHA-256 fingerprint, expiry.
nlohmann::json certificate_summary(const pki::Certificate& certificate);

}  // namespace capf
