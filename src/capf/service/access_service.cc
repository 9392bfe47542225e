#include "capf/service/access_service.h"

#include <charconv>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "capf/common/enum_names.h"
#include "capf/pki/digest.h"
#include "capf/service/audit_trail.h"

namespace capf {
namespace {

constexpr std::string_view kTokenPrefix = "ocapf_";
constexpr std::size_t kSecretBytes = 32;
constexpr std::size_t kMaxNameLength = 64;
constexpr auto kTouchInterval = std::chrono::seconds(60);

Error denied() {
  return make_error(ErrorCode::kPermissionDenied,
                    "the token is not valid: send `Authorization: Bearer <token>` with a token "
                    "from `opencapf admin token create`");
}

// The stored hash: SHA-256 of the secret part, in hex. (The id is not secret; it only finds the
// row.)
Result<std::string> secret_hash(std::string_view secret_hex) {
  CAPF_ASSIGN_OR_RETURN(Bytes digest, pki::sha256(as_bytes(secret_hex)));
  return to_hex(digest);
}

struct ParsedToken {
  std::int64_t id = 0;
  std::string_view secret_hex;
};

// "ocapf_<id>_<64 hex>", or id 0 when the text does not have that shape.
ParsedToken parse_token(std::string_view token) {
  if (token.substr(0, kTokenPrefix.size()) != kTokenPrefix) {
    return {};
  }
  token.remove_prefix(kTokenPrefix.size());
  std::size_t sep = token.find('_');
  if (sep == std::string_view::npos || token.size() - sep - 1 != 2 * kSecretBytes) {
    return {};
  }
  std::int64_t id = 0;
  auto [end, ec] = std::from_chars(token.data(), token.data() + sep, id);
  if (ec != std::errc() || end != token.data() + sep || id <= 0) {
    return {};
  }
  return ParsedToken{id, token.substr(sep + 1)};
}

}  // namespace

bool role_allows(AdminRole role, Permission permission) {
  switch (permission) {
    case Permission::kRead:
      return true;
    case Permission::kOperate:
      return role == AdminRole::kOperator || role == AdminRole::kAdmin;
    case Permission::kAdminister:
      return role == AdminRole::kAdmin;
  }
  return false;
}

constexpr EnumName<Permission> kPermissionNames[] = {
    {Permission::kRead, "read"},
    {Permission::kOperate, "operate"},
    {Permission::kAdminister, "administer"},
};

std::string_view to_string(Permission permission) {
  return name_in(kPermissionNames, permission);
}

std::string Caller::actor() const {
  return fmt::format("token:{}:{}", token_id, token_name);
}

Result<CreatedToken> AccessService::create_token(const std::string& name, AdminRole role,
                                                 const std::string& actor,
                                                 std::optional<TimePoint> expires) {
  if (name.empty() || name.size() > kMaxNameLength) {
    return make_error(ErrorCode::kInvalidArgument,
                      "a token name must be 1 to {} characters (got {}): use e.g. --name ops-team",
                      kMaxNameLength, name.size());
  }
  if (expires && to_unix(*expires) <= to_unix(clock_.now())) {
    return make_error(ErrorCode::kInvalidArgument,
                      "a token's expiry must be in the future (got {}, now is {}): use e.g. "
                      "--expires 90d",
                      format_utc(*expires), format_utc(clock_.now()));
  }
  CAPF_ASSIGN_OR_RETURN(Bytes secret, pki::random_bytes(kSecretBytes));
  const std::string secret_hex = to_hex(secret);
  AdminToken token;
  token.name = name;
  token.role = role;
  token.expires = expires;
  CAPF_ASSIGN_OR_RETURN(token.hash_hex, secret_hash(secret_hex));
  CreatedToken created;
  CAPF_TRY(registry_.transact([&]() -> Status {
    CAPF_ASSIGN_OR_RETURN(created.token, registry_.insert_token(token));
    return record_audit(registry_, actor, "token.create", fmt::format("token:{}", created.token.id),
                        "", to_json(created.token).dump());
  }));
  created.secret = fmt::format("{}{}_{}", kTokenPrefix, created.token.id, secret_hex);
  return created;
}

Result<Caller> AccessService::verify(std::string_view presented) {
  ParsedToken parsed = parse_token(presented);
  if (parsed.id == 0) {
    return denied();
  }
  CAPF_ASSIGN_OR_RETURN(std::string hash, secret_hash(parsed.secret_hex));
  CAPF_ASSIGN_OR_RETURN(std::optional<AdminToken> stored, registry_.find_token(parsed.id));
  if (!stored) {
    return denied();
  }
  const bool same = pki::constant_time_equal(as_bytes(hash), as_bytes(stored->hash_hex));
  if (!same || stored->revoked) {
    return denied();
  }
  const TimePoint now = clock_.now();
  if (stored->expires && now >= *stored->expires) {
    note_expired(*stored);
    return denied();
  }
  if (!stored->last_used || now - *stored->last_used >= kTouchInterval) {
    // A failure to record the last use does not refuse a valid token.
    (void)registry_.touch_token(stored->id, now);
  }
  return Caller{stored->id, stored->name, stored->role};
}

void AccessService::note_expired(const AdminToken& token) {
  spdlog::warn("admin API: refused token {} ({}): it expired at {}", token.id, token.name,
               format_utc(*token.expires));
  const std::string target = fmt::format("token:{}", token.id);
  AuditFilter newest;
  newest.target = target;
  newest.limit = 1;
  auto last = registry_.list_audit(newest);
  if (!last) {
    spdlog::error("admin API: reading the audit log of token {}: {}", token.id,
                  last.error().message);
    return;
  }
  if (!last->empty() && last->front().action == "token.expired") {
    return;  // already recorded
  }
  const std::string state = to_json(token).dump();
  const std::string actor = Caller{token.id, token.name, token.role}.actor();
  Status recorded = record_audit(registry_, actor, "token.expired", target, state, state);
  if (!recorded) {
    // The client is refused either way.
    spdlog::error("admin API: auditing the expiry of token {}: {}", token.id,
                  recorded.error().message);
  }
}

Result<std::vector<AdminToken>> AccessService::list_tokens() {
  return registry_.list_tokens();
}

Status AccessService::revoke_token(std::int64_t id, const std::string& actor) {
  return registry_.transact([&]() -> Status {
    CAPF_ASSIGN_OR_RETURN(std::optional<AdminToken> before, registry_.find_token(id));
    if (!before) {
      return make_error(ErrorCode::kNotFound,
                        "no admin token {}: list them with `opencapf admin token list`", id);
    }
    CAPF_TRY(registry_.revoke_token(id));
    CAPF_ASSIGN_OR_RETURN(std::optional<AdminToken> after, registry_.find_token(id));
    return record_audit(registry_, actor, "token.revoke", fmt::format("token:{}", id),
                        to_json(*before).dump(), after ? to_json(*after).dump() : std::string());
  });
}

Result<std::vector<AuditEntry>> AccessService::audit_log(const AuditFilter& filter) {
  return registry_.list_audit(filter);
}

nlohmann::json to_json(const AdminToken& token) {
  auto time_or_null = [](const std::optional<TimePoint>& t) {
    return t ? nlohmann::json(format_utc(*t)) : nlohmann::json(nullptr);
  };
  return nlohmann::json{{"id", token.id},
                        {"name", token.name},
                        {"role", to_string(token.role)},
                        {"created", format_utc(token.created)},
                        {"last_used", time_or_null(token.last_used)},
                        {"revoked", time_or_null(token.revoked)},
                        {"expires", time_or_null(token.expires)}};
}

nlohmann::json to_json(const AuditEntry& entry) {
  auto parsed = [](const std::string& text) {
    if (text.empty()) {
      return nlohmann::json(nullptr);
    }
    auto j = nlohmann::json::parse(text, nullptr, false);
    return j.is_discarded() ? nlohmann::json(text) : j;
  };
  return nlohmann::json{{"id", entry.id},
                        {"time", format_utc(entry.time)},
                        {"actor", entry.actor},
                        {"action", entry.action},
                        {"target", entry.target},
                        {"before", parsed(entry.before)},
                        {"after", parsed(entry.after)}};
}

}  // namespace capf
