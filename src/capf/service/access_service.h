// AccessService: the admin API's tokens and the audit log. A token is "ocapf_<id>_<64 hex>": the
// id finds the stored row, the 32 random bytes are the secret; only the SHA-256 of the whole token
// string is stored, and it is compared in constant time. Methods block on the registry and are
// thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "capf/common/clock.h"
#include "capf/common/result.h"
#include "capf/store/device_store.h"

namespace capf {

// What a request wants to do; each role allows a set of these.
enum class Permission {
  kRead,        // any GET
  kOperate,     // change devices, schedule operations
  kAdminister,  // tokens, trust stores, the CAPF identity, certificates
};
// viewer: kRead; operator: kRead, kOperate; admin: all.
bool role_allows(AdminRole role, Permission permission);
std::string_view to_string(Permission permission);

// Who made an API call, once its token checked out.
struct Caller {
  std::int64_t token_id = 0;
  std::string token_name;
  AdminRole role = AdminRole::kViewer;
  // The actor recorded in the audit log and device history: "token:<id>:<name>".
  std::string actor() const;
};

struct CreatedToken {
  AdminToken token;
  std::string secret;  // the whole token string: shown once, never stored nor logged
};

class AccessService {
 public:
  AccessService(Registry& registry, const Clock& clock) : registry_(registry), clock_(clock) {}

  // A new token with 32 random bytes; only its hash is stored. Audited as token.create.
  // `expires` (whole seconds; nullopt: never, see parse_token_expiry()) must be after now.
  // kInvalidArgument for an empty name or one over 64 characters, or an expiry not in the future.
  Result<CreatedToken> create_token(const std::string& name, AdminRole role,
                                    const std::string& actor,
                                    std::optional<TimePoint> expires = std::nullopt);
  // The caller a presented token stands for. kPermissionDenied, with the same message whatever
  // was wrong (malformed, unknown id, wrong secret, revoked, expired), so that a guesser learns
  // nothing. Records the token's last use (at most once a minute per token). The right secret of
  // an expired token is logged as a warning each time and audited as token.expired the first time
  // (the token's newest audit entry says so afterwards).
  Result<Caller> verify(std::string_view presented);
  Result<std::vector<AdminToken>> list_tokens();
  // kNotFound for an unknown id. Audited as token.revoke.
  Status revoke_token(std::int64_t id, const std::string& actor);
  // Newest first.
  Result<std::vector<AuditEntry>> audit_log(const AuditFilter& filter);

 private:
  // Logs the refusal of an expired token and audits it once (see verify()).
  void note_expired(const AdminToken& token);

  Registry& registry_;
  const Clock& clock_;
};

// JSON forms for the CLI and the API (a token without its hash).
nlohmann::json to_json(const AdminToken& token);
// before/after are parsed back into JSON (null when empty).
nlohmann::json to_json(const AuditEntry& entry);

}  // namespace capf
