// PgRegistry's AdminTokens and AuditLog: the admin_tokens and audit_log tables (schema version 4;
// admin_tokens.expires from version 6).
#include <cstdint>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "capf/store/postgres/pg_registry.h"
#include "capf/store/sql_rows.h"
#include "capf/store/sql_where.h"

namespace capf {
namespace {

Error no_token(std::int64_t id) {
  return make_error(ErrorCode::kNotFound,
                    "no admin token {}: list them with `opencapf admin token list`", id);
}

}  // namespace

Result<AdminToken> PgRegistry::insert_token(const AdminToken& token) {
  CAPF_ASSIGN_OR_RETURN(AdminToken stored, token_to_store(token, clock_.now()));
  const std::string doing = fmt::format("recording admin token '{}'", token.name);
  CAPF_TRY(write(doing, [&]() -> Status {
    auto rows = query(
                    "INSERT INTO admin_tokens (name, role, token_hash, created, last_used, "
                    "revoked, expires) VALUES (?, ?, ?, ?, NULL, NULL, ?) RETURNING id")
                    .bind(stored.name)
                    .bind(to_string(stored.role))
                    .bind(stored.hash_hex)
                    .bind(stored.created)
                    .bind(stored.expires)
                    .run(doing);
    if (!rows) {
      if (rows.error().code == ErrorCode::kAlreadyExists) {
        return make_error(ErrorCode::kAlreadyExists,
                          "a token with this hash is already stored: generate a new secret");
      }
      return rows.error();
    }
    stored.id = rows->row(0).integer(0);
    return ok();
  }));
  return stored;
}

Result<std::optional<AdminToken>> PgRegistry::find_token(std::int64_t id) {
  std::lock_guard lock(mu_);
  CAPF_ASSIGN_OR_RETURN(
      PgRows rows, query(fmt::format("SELECT {} FROM admin_tokens WHERE id = ?", kTokenColumns))
                       .bind(id)
                       .run(fmt::format("reading admin token {}", id)));
  return read_first<AdminToken>(rows, read_token<PgRows::Row>);
}

Result<std::vector<AdminToken>> PgRegistry::list_tokens() {
  std::lock_guard lock(mu_);
  CAPF_ASSIGN_OR_RETURN(PgRows rows,
                        query(fmt::format("SELECT {} FROM admin_tokens ORDER BY id", kTokenColumns))
                            .run("listing admin tokens"));
  return read_rows<AdminToken>(rows, read_token<PgRows::Row>);
}

Status PgRegistry::revoke_token(std::int64_t id) {
  const std::string doing = fmt::format("revoking admin token {}", id);
  return write(doing, [&]() -> Status {
    // Revoking twice keeps the first time: the second UPDATE changes nothing.
    CAPF_ASSIGN_OR_RETURN(PgRows rows, query("UPDATE admin_tokens SET revoked = COALESCE(revoked, "
                                             "?) WHERE id = ?")
                                           .bind(clock_.now())
                                           .bind(id)
                                           .run(doing));
    return rows.changed() > 0 ? ok() : Status(no_token(id));
  });
}

Status PgRegistry::touch_token(std::int64_t id, TimePoint when) {
  const std::string doing = fmt::format("noting the use of admin token {}", id);
  return write(doing, [&]() -> Status {
    CAPF_ASSIGN_OR_RETURN(
        PgRows rows,
        query("UPDATE admin_tokens SET last_used = ? WHERE id = ?").bind(when).bind(id).run(doing));
    return rows.changed() > 0 ? ok() : Status(no_token(id));
  });
}

Result<std::int64_t> PgRegistry::append_audit(const AuditEntry& entry) {
  const std::string doing =
      fmt::format("recording {} of {} in the audit log", entry.action, entry.target);
  std::int64_t id = 0;
  CAPF_TRY(write(doing, [&]() -> Status {
    CAPF_ASSIGN_OR_RETURN(PgRows rows,
                          query("INSERT INTO audit_log (event_time, actor, action, target, "
                                "before_json, after_json) VALUES (?, ?, ?, ?, ?, ?) RETURNING id")
                              .bind(clock_.now())
                              .bind(entry.actor)
                              .bind(entry.action)
                              .bind(entry.target)
                              .bind(entry.before)
                              .bind(entry.after)
                              .run(doing));
    id = rows.row(0).integer(0);
    return ok();
  }));
  return id;
}

Result<std::vector<AuditEntry>> PgRegistry::list_audit(const AuditFilter& filter) {
  std::lock_guard lock(mu_);
  Where where = audit_where(filter);
  auto q = query(
      fmt::format("SELECT {} FROM audit_log{} ORDER BY id DESC LIMIT ?", kAuditColumns, where.sql));
  where.bind_to(q);
  q.bind(to_sql_limit(filter.limit));
  CAPF_ASSIGN_OR_RETURN(PgRows rows, q.run("listing the audit log"));
  return read_rows<AuditEntry>(rows, read_audit<PgRows::Row>);
}

}  // namespace capf
