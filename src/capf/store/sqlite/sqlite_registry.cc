// SqliteRegistry: opening the file, what a foreign SQLite file looks like, the pragmas and the
// integrity check. Everything else is SqlRegistry's (store/sql/).
#include "capf/store/sqlite/sqlite_registry.h"

#include <utility>

#include <fmt/format.h>

namespace capf {

SqliteRegistry::SqliteRegistry(SqliteConnection* connection, const Clock& clock)
    : SqlRegistry(std::unique_ptr<SqlConnection>(connection), clock, SqlDialect::kSqlite),
      sqlite_(connection) {}

Result<std::unique_ptr<SqliteRegistry>> SqliteRegistry::open(const std::string& path,
                                                             const Clock& clock,
                                                             SqliteOptions options) {
  const auto context = fmt::format("cannot open registry '{}'", path);
  auto connection = SqliteConnection::open(path, options);
  if (!connection) {
    return connection.error().with_context(context);
  }
  std::unique_ptr<SqliteRegistry> registry(
      new SqliteRegistry(std::move(connection).value().release(), clock));
  if (auto s = registry->migrate(); !s) {
    return s.error().with_context(context);
  }
  return registry;
}

Result<SqliteSettings> SqliteRegistry::effective_settings() {
  std::lock_guard lock(mu_);
  return sqlite_->effective_settings();
}

Status SqliteRegistry::check_before_migration() {
  // A database with tables but without schema_version belongs to some other program.
  auto q = query(
      "SELECT SUM(name = 'schema_version'), COUNT(*) FROM sqlite_master "
      "WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'");
  CAPF_ASSIGN_OR_RETURN(bool row, q->step("reading the list of tables"));
  if (row && q->integer(0) == 0 && q->integer(1) > 0) {
    return make_error(ErrorCode::kDatabase,
                      "the file is an SQLite database but not an opencapf registry (it has "
                      "tables and no schema_version): give the path of a registry or of a "
                      "new file");
  }
  return ok();
}

Result<std::vector<std::string>> SqliteRegistry::integrity_problems() {
  std::lock_guard lock(mu_);
  std::vector<std::string> problems;
  {
    // One row "ok", or one row per damaged page, index or constraint.
    auto q = query("PRAGMA integrity_check");
    for (;;) {
      CAPF_ASSIGN_OR_RETURN(bool row, q->step("checking the database file (integrity_check)"));
      if (!row) {
        break;
      }
      if (std::string line = q->text(0); line != "ok") {
        problems.push_back("integrity_check: " + line);
      }
    }
  }
  auto q = query("PRAGMA foreign_key_check");
  for (;;) {
    CAPF_ASSIGN_OR_RETURN(bool row, q->step("checking foreign keys (foreign_key_check)"));
    if (!row) {
      break;
    }
    problems.push_back(
        fmt::format("foreign_key_check: row {} of table {} refers to a missing row "
                    "of {}",
                    q->integer(1), q->text(0), q->text(2)));
  }
  return problems;
}

}  // namespace capf
