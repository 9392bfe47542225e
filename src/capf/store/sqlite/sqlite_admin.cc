// SqliteRegistry's AdminTokens and AuditLog: the admin_tokens and audit_log tables (schema
// version 4; admin_tokens.expires from version 6).
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "capf/store/sql_rows.h"
#include "capf/store/sql_where.h"
#include "capf/store/sqlite/sqlite_registry.h"

namespace capf {
Result<AdminToken> SqliteRegistry::insert_token(const AdminToken& token) {
  CAPF_ASSIGN_OR_RETURN(AdminToken stored, token_to_store(token, clock_.now()));
  const std::string doing = fmt::format("recording admin token '{}'", token.name);
  CAPF_TRY(write(doing, [&]() -> Status {
    CAPF_ASSIGN_OR_RETURN(
        sqlite3_stmt * stmt,
        connection_->prepare("INSERT INTO admin_tokens (name, role, token_hash, created, "
                             "last_used, revoked, expires) VALUES (?, ?, ?, ?, NULL, NULL, ?) "
                             "RETURNING id"));
    SqliteQuery q(*connection_, stmt);
    q.bind(stored.name)
        .bind(to_string(stored.role))
        .bind(stored.hash_hex)
        .bind(stored.created)
        .bind(stored.expires);
    auto row = q.step(doing);
    if (!row) {
      if (q.violated_constraint()) {
        return make_error(ErrorCode::kAlreadyExists,
                          "a token with this hash is already stored: generate a new secret");
      }
      return row.error();
    }
    if (!*row) {
      return make_error(ErrorCode::kDatabase, "{}: the insert returned no id", doing);
    }
    stored.id = q.integer(0);
    return ok();
  }));
  return stored;
}

Result<std::optional<AdminToken>> SqliteRegistry::find_token(std::int64_t id) {
  std::lock_guard lock(mu_);
  CAPF_ASSIGN_OR_RETURN(
      sqlite3_stmt * stmt,
      connection_->prepare(fmt::format("SELECT {} FROM admin_tokens WHERE id = ?", kTokenColumns)));
  SqliteQuery q(*connection_, stmt);
  q.bind(id);
  CAPF_ASSIGN_OR_RETURN(bool row, q.step(fmt::format("reading admin token {}", id)));
  if (!row) {
    return std::optional<AdminToken>();
  }
  CAPF_ASSIGN_OR_RETURN(AdminToken t, read_token(q));
  return std::optional<AdminToken>(std::move(t));
}

Result<std::vector<AdminToken>> SqliteRegistry::list_tokens() {
  std::lock_guard lock(mu_);
  CAPF_ASSIGN_OR_RETURN(
      sqlite3_stmt * stmt,
      connection_->prepare(fmt::format("SELECT {} FROM admin_tokens ORDER BY id", kTokenColumns)));
  SqliteQuery q(*connection_, stmt);
  std::vector<AdminToken> out;
  while (true) {
    CAPF_ASSIGN_OR_RETURN(bool row, q.step("listing admin tokens"));
    if (!row) {
      break;
    }
    CAPF_ASSIGN_OR_RETURN(AdminToken t, read_token(q));
    out.push_back(std::move(t));
  }
  return out;
}

Status SqliteRegistry::revoke_token(std::int64_t id) {
  const std::string doing = fmt::format("revoking admin token {}", id);
  return write(doing, [&]() -> Status {
    {
      CAPF_ASSIGN_OR_RETURN(
          sqlite3_stmt * stmt,
          connection_->prepare("UPDATE admin_tokens SET revoked = ? WHERE id = ? AND revoked IS "
                               "NULL"));
      SqliteQuery q(*connection_, stmt);
      CAPF_TRY(q.bind(clock_.now()).bind(id).run(doing));
      if (connection_->changes() > 0) {
        return ok();
      }
    }
    CAPF_ASSIGN_OR_RETURN(sqlite3_stmt * stmt,
                          connection_->prepare("SELECT id FROM admin_tokens WHERE id = ?"));
    SqliteQuery q(*connection_, stmt);
    q.bind(id);
    CAPF_ASSIGN_OR_RETURN(bool row, q.step(doing));
    if (!row) {
      return make_error(ErrorCode::kNotFound,
                        "no admin token {}: list them with `opencapf admin token list`", id);
    }
    return ok();
  });
}

Status SqliteRegistry::touch_token(std::int64_t id, TimePoint when) {
  const std::string doing = fmt::format("noting the use of admin token {}", id);
  return write(doing, [&]() -> Status {
    CAPF_ASSIGN_OR_RETURN(
        sqlite3_stmt * stmt,
        connection_->prepare("UPDATE admin_tokens SET last_used = ? WHERE id = ?"));
    SqliteQuery q(*connection_, stmt);
    CAPF_TRY(q.bind(when).bind(id).run(doing));
    if (connection_->changes() == 0) {
      return make_error(ErrorCode::kNotFound,
                        "no admin token {}: list them with `opencapf admin token list`", id);
    }
    return ok();
  });
}

Result<std::int64_t> SqliteRegistry::append_audit(const AuditEntry& entry) {
  const std::string doing =
      fmt::format("recording {} of {} in the audit log", entry.action, entry.target);
  std::int64_t id = 0;
  CAPF_TRY(write(doing, [&]() -> Status {
    CAPF_ASSIGN_OR_RETURN(
        sqlite3_stmt * stmt,
        connection_->prepare("INSERT INTO audit_log (event_time, actor, action, target, "
                             "before_json, after_json) VALUES (?, ?, ?, ?, ?, ?) RETURNING id"));
    SqliteQuery q(*connection_, stmt);
    q.bind(clock_.now())
        .bind(entry.actor)
        .bind(entry.action)
        .bind(entry.target)
        .bind(entry.before)
        .bind(entry.after);
    CAPF_ASSIGN_OR_RETURN(bool row, q.step(doing));
    if (!row) {
      return make_error(ErrorCode::kDatabase, "{}: the insert returned no id", doing);
    }
    id = q.integer(0);
    return ok();
  }));
  return id;
}

Result<std::vector<AuditEntry>> SqliteRegistry::list_audit(const AuditFilter& filter) {
  std::lock_guard lock(mu_);
  Where where = audit_where(filter);
  CAPF_ASSIGN_OR_RETURN(
      sqlite3_stmt * stmt,
      connection_->prepare(fmt::format("SELECT {} FROM audit_log{} ORDER BY id DESC LIMIT ?",
                                       kAuditColumns, where.sql)));
  SqliteQuery q(*connection_, stmt);
  where.bind_to(q);
  q.bind(to_sql_limit(filter.limit));
  std::vector<AuditEntry> out;
  while (true) {
    CAPF_ASSIGN_OR_RETURN(bool row, q.step("listing the audit log"));
    if (!row) {
      break;
    }
    out.push_back(read_audit(q));
  }
  return out;
}

}  // namespace capf
