// SqlRegistry's AdminTokens and AuditLog: the admin_tokens and audit_log tables (schema version 4;
// admin_tokens.expires from version 6).
#include <cstdint>
#include <optional>
#include <string>

#include <fmt/format.h>

#include "capf/store/sql/sql_registry.h"
#include "capf/store/sql_rows.h"
#include "capf/store/sql_where.h"

namespace capf {
namespace {

Status token_changed(std::int64_t changed, std::int64_t id) {
  if (changed == 0) {
    return make_error(ErrorCode::kNotFound,
                      "no admin token {}: list them with `opencapf admin token list`", id);
  }
  return ok();
}

}  // namespace

Result<AdminToken> SqlRegistry::insert_token(const AdminToken& token) {
  CAPF_ASSIGN_OR_RETURN(AdminToken stored, token_to_store(token, clock_.now()));
  const std::string doing = fmt::format("recording admin token '{}'", token.name);
  CAPF_TRY(write(doing, [&]() -> Status {
    auto q = query(
        "INSERT INTO admin_tokens (name, role, token_hash, created, last_used, revoked, expires) "
        "VALUES (?, ?, ?, ?, NULL, NULL, ?) RETURNING id");
    q->bind(stored.name)
        .bind(to_string(stored.role))
        .bind(stored.hash_hex)
        .bind(stored.created)
        .bind(stored.expires);
    auto row = q->step(doing);
    if (!row) {
      if (row.error().code == ErrorCode::kAlreadyExists) {
        return make_error(ErrorCode::kAlreadyExists,
                          "a token with this hash is already stored: generate a new secret");
      }
      return row.error();
    }
    if (!*row) {
      return make_error(ErrorCode::kDatabase, "{}: the insert returned no id", doing);
    }
    stored.id = q->integer(0);
    return ok();
  }));
  return stored;
}

Result<std::optional<AdminToken>> SqlRegistry::find_token(std::int64_t id) {
  return find_row<AdminToken>("admin_tokens", kTokenColumns, "id", id,
                              fmt::format("reading admin token {}", id), read_token<SqlStatement>);
}

Result<std::vector<AdminToken>> SqlRegistry::list_tokens() {
  std::lock_guard lock(mu_);
  auto q = query(fmt::format("SELECT {} FROM admin_tokens ORDER BY id", kTokenColumns));
  return read_all<AdminToken>(*q, "listing admin tokens", read_token<SqlStatement>);
}

Status SqlRegistry::revoke_token(std::int64_t id) {
  const std::string doing = fmt::format("revoking admin token {}", id);
  return write(doing, [&]() -> Status {
    // Revoking twice keeps the first time: the second UPDATE changes nothing.
    CAPF_ASSIGN_OR_RETURN(
        std::int64_t changed,
        query("UPDATE admin_tokens SET revoked = COALESCE(revoked, ?) WHERE id = ?")
            ->bind(clock_.now())
            .bind(id)
            .run(doing));
    return token_changed(changed, id);
  });
}

Status SqlRegistry::touch_token(std::int64_t id, TimePoint when) {
  const std::string doing = fmt::format("noting the use of admin token {}", id);
  return write(doing, [&]() -> Status {
    CAPF_ASSIGN_OR_RETURN(std::int64_t changed,
                          query("UPDATE admin_tokens SET last_used = ? WHERE id = ?")
                              ->bind(when)
                              .bind(id)
                              .run(doing));
    return token_changed(changed, id);
  });
}

Result<std::int64_t> SqlRegistry::append_audit(const AuditEntry& entry) {
  const std::string doing =
      fmt::format("recording {} of {} in the audit log", entry.action, entry.target);
  std::int64_t id = 0;
  CAPF_TRY(write(doing, [&]() -> Status {
    auto q = query(
        "INSERT INTO audit_log (event_time, actor, action, target, before_json, after_json) "
        "VALUES (?, ?, ?, ?, ?, ?) RETURNING id");
    q->bind(clock_.now())
        .bind(entry.actor)
        .bind(entry.action)
        .bind(entry.target)
        .bind(entry.before)
        .bind(entry.after);
    CAPF_ASSIGN_OR_RETURN(bool row, q->step(doing));
    if (!row) {
      return make_error(ErrorCode::kDatabase, "{}: the insert returned no id", doing);
    }
    id = q->integer(0);
    return ok();
  }));
  return id;
}

Result<std::vector<AuditEntry>> SqlRegistry::list_audit(const AuditFilter& filter) {
  return list_page<AuditEntry>(fmt::format("SELECT {} FROM audit_log", kAuditColumns),
                               audit_where(filter), "id DESC", filter.limit,
                               "listing the audit log", read_audit<SqlStatement>);
}

}  // namespace capf
