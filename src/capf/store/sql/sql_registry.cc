// SqlRegistry itself: the schema migrations, transactions and the registry counters.
#include "capf/store/sql/sql_registry.h"

#include <utility>

#include <fmt/format.h>

#include "capf/store/sql_where.h"

namespace capf {

SqlRegistry::SqlRegistry(std::unique_ptr<SqlConnection> connection, const Clock& clock,
                         SqlDialect dialect)
    : connection_(std::move(connection)), clock_(clock), dialect_(dialect) {}

SqlRegistry::~SqlRegistry() = default;

Status SqlRegistry::write(std::string_view doing, const std::function<Status()>& fn) {
  std::lock_guard lock(mu_);
  return connection_->in_transaction(doing, fn, /*read_only=*/false);
}

Status SqlRegistry::migrate() {
  return write("migrating the registry schema", [&]() -> Status {
    CAPF_TRY(check_before_migration());
    CAPF_TRY(connection_->exec(std::string(kSchemaVersionTable), "creating schema_version"));
    CAPF_ASSIGN_OR_RETURN(int current, schema_version());
    if (current > latest_schema_version()) {
      return make_error(ErrorCode::kDatabase,
                        "registry schema version {} is newer than this opencapf supports ({}): {}",
                        current, latest_schema_version(), upgrade_advice());
    }
    for (const Migration& m : migrations()) {
      if (m.version <= current) {
        continue;
      }
      auto doing = fmt::format("applying schema migration {} ({})", m.version, m.description);
      CAPF_TRY(connection_->exec(render_sql(m.sql, dialect_), doing));
      CAPF_TRY(query("INSERT INTO schema_version (version, description, applied_at) "
                     "VALUES (?, ?, ?)")
                   ->bind(m.version)
                   .bind(m.description)
                   .bind(clock_.now())
                   .run(doing));
    }
    return ok();
  });
}

Result<int> SqlRegistry::schema_version() {
  std::lock_guard lock(mu_);
  auto q = query("SELECT COALESCE(MAX(version), 0) FROM schema_version");
  CAPF_ASSIGN_OR_RETURN(bool row, q->step("reading the schema version"));
  return row ? static_cast<int>(q->integer(0)) : 0;
}

Status SqlRegistry::transact(const std::function<Status()>& fn) {
  return write("running a registry transaction", fn);
}

Status SqlRegistry::read_snapshot(const std::function<Status()>& fn) {
  std::lock_guard lock(mu_);
  return connection_->in_transaction("reading the registry", fn, /*read_only=*/true);
}

Status SqlRegistry::lock_device_requests(const std::string& /*device_name*/,
                                         std::string_view /*doing*/) {
  return ok();
}

Result<std::int64_t> SqlRegistry::bump_counter(std::string_view name, std::string_view doing) {
  // One statement: the write lock (SQLite) or the row lock (PostgreSQL) orders every bump, so no
  // value is handed out twice.
  auto q = query("UPDATE registry_counters SET value = value + 1 WHERE name = ? RETURNING value");
  CAPF_ASSIGN_OR_RETURN(bool row, q->bind(name).step(doing));
  if (!row) {
    return make_error(ErrorCode::kDatabase,
                      "the registry has no {} counter: restore it from a backup", name);
  }
  return q->integer(0);
}

std::unique_ptr<SqlStatement> SqlRegistry::page_query(std::string_view select_from,
                                                      const Where& where, std::string_view order,
                                                      std::size_t limit) {
  auto q = query(fmt::format("{}{} ORDER BY {} LIMIT ?", select_from, where.sql, order));
  where.bind_to(*q);
  q->bind(to_sql_limit(limit));
  return q;
}

Result<std::int64_t> SqlRegistry::count_rows(std::string_view table, const Where& where,
                                             std::string_view doing) {
  std::lock_guard lock(mu_);
  auto q = query(fmt::format("SELECT COUNT(*) FROM {}{}", table, where.sql));
  where.bind_to(*q);
  CAPF_ASSIGN_OR_RETURN(bool row, q->step(doing));
  return row ? q->integer(0) : std::int64_t{0};
}

}  // namespace capf
