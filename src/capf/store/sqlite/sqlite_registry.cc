// SqliteRegistry itself: opening the file, the schema migrations, transactions and the
// integrity check. The tables have their own files (sqlite_devices.cc, sqlite_ledger.cc,
// sqlite_events.cc, sqlite_trust.cc, sqlite_requests.cc, sqlite_admin.cc).
#include "capf/store/sqlite/sqlite_registry.h"

#include <utility>

#include <fmt/format.h>

#include "capf/store/migrations.h"

namespace capf {

SqliteRegistry::SqliteRegistry(std::unique_ptr<SqliteConnection> connection, const Clock& clock)
    : connection_(std::move(connection)), clock_(clock) {}

SqliteRegistry::~SqliteRegistry() = default;

Result<std::unique_ptr<SqliteRegistry>> SqliteRegistry::open(const std::string& path,
                                                             const Clock& clock,
                                                             SqliteOptions options) {
  const auto context = fmt::format("cannot open registry '{}'", path);
  auto connection = SqliteConnection::open(path, options);
  if (!connection) {
    return connection.error().with_context(context);
  }
  std::unique_ptr<SqliteRegistry> registry(
      new SqliteRegistry(std::move(connection).value(), clock));
  if (auto s = registry->migrate(); !s) {
    return s.error().with_context(context);
  }
  return registry;
}

Result<SqliteSettings> SqliteRegistry::effective_settings() {
  std::lock_guard lock(mu_);
  return connection_->effective_settings();
}

Status SqliteRegistry::write(std::string_view doing, const std::function<Status()>& fn) {
  std::lock_guard lock(mu_);
  return connection_->in_transaction(doing, fn);
}

Status SqliteRegistry::migrate() {
  return write("migrating the registry schema", [&]() -> Status {
    {
      // A database with tables but without schema_version belongs to some other program.
      CAPF_ASSIGN_OR_RETURN(
          sqlite3_stmt * stmt,
          connection_->prepare("SELECT SUM(name = 'schema_version'), COUNT(*) FROM sqlite_master "
                               "WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"));
      SqliteQuery q(*connection_, stmt);
      CAPF_ASSIGN_OR_RETURN(bool row, q.step("reading the list of tables"));
      if (row && q.integer(0) == 0 && q.integer(1) > 0) {
        return make_error(ErrorCode::kDatabase,
                          "the file is an SQLite database but not an opencapf registry (it has "
                          "tables and no schema_version): give the path of a registry or of a "
                          "new file");
      }
    }
    CAPF_TRY(connection_->exec(std::string(kSchemaVersionTable), "creating schema_version"));
    CAPF_ASSIGN_OR_RETURN(int current, schema_version());
    if (current > latest_schema_version()) {
      return make_error(ErrorCode::kDatabase,
                        "registry schema version {} is newer than this opencapf supports ({}): "
                        "upgrade opencapf",
                        current, latest_schema_version());
    }
    for (const Migration& m : migrations()) {
      if (m.version <= current) {
        continue;
      }
      auto doing = fmt::format("applying schema migration {} ({})", m.version, m.description);
      CAPF_TRY(connection_->exec(render_sql(m.sql, SqlDialect::kSqlite), doing));
      CAPF_ASSIGN_OR_RETURN(
          sqlite3_stmt * stmt,
          connection_->prepare("INSERT INTO schema_version (version, description, applied_at) "
                               "VALUES (?, ?, ?)"));
      SqliteQuery q(*connection_, stmt);
      CAPF_TRY(q.bind(m.version).bind(m.description).bind(clock_.now()).run(doing));
    }
    return ok();
  });
}

Result<int> SqliteRegistry::schema_version() {
  std::lock_guard lock(mu_);
  CAPF_ASSIGN_OR_RETURN(
      sqlite3_stmt * stmt,
      connection_->prepare("SELECT COALESCE(MAX(version), 0) FROM schema_version"));
  SqliteQuery q(*connection_, stmt);
  CAPF_ASSIGN_OR_RETURN(bool row, q.step("reading the schema version"));
  return row ? static_cast<int>(q.integer(0)) : 0;
}

Status SqliteRegistry::transact(const std::function<Status()>& fn) {
  return write("running a registry transaction", fn);
}

Status SqliteRegistry::read_snapshot(const std::function<Status()>& fn) {
  std::lock_guard lock(mu_);
  return connection_->in_transaction("reading the registry", fn, /*read_only=*/true);
}

Result<std::vector<std::string>> SqliteRegistry::integrity_problems() {
  std::lock_guard lock(mu_);
  std::vector<std::string> problems;
  {
    // One row "ok", or one row per damaged page, index or constraint.
    CAPF_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, connection_->prepare("PRAGMA integrity_check"));
    SqliteQuery q(*connection_, stmt);
    for (;;) {
      CAPF_ASSIGN_OR_RETURN(bool row, q.step("checking the database file (integrity_check)"));
      if (!row)
        break;
      if (std::string line = q.text(0); line != "ok")
        problems.push_back("integrity_check: " + line);
    }
  }
  CAPF_ASSIGN_OR_RETURN(sqlite3_stmt * stmt, connection_->prepare("PRAGMA foreign_key_check"));
  SqliteQuery q(*connection_, stmt);
  for (;;) {
    CAPF_ASSIGN_OR_RETURN(bool row, q.step("checking foreign keys (foreign_key_check)"));
    if (!row)
      break;
    problems.push_back(
        fmt::format("foreign_key_check: row {} of table {} refers to a missing row "
                    "of {}",
                    q.integer(1), q.text(0), q.text(2)));
  }
  return problems;
}

}  // namespace capf
