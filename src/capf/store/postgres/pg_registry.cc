// PgRegistry itself: connecting, the schema migrations under an advisory lock, transactions and
// the registry counters. The tables have their own files (pg_devices.cc, pg_ledger.cc,
// pg_events.cc, pg_trust.cc, pg_requests.cc, pg_admin.cc).
#include "capf/store/postgres/pg_registry.h"

#include <utility>

#include <fmt/format.h>

#include "capf/store/migrations.h"

namespace capf {
namespace {

// pg_advisory_xact_lock key of the schema migration: "opencapf" in ASCII. Every node that opens
// the database takes it before reading the schema version, so exactly one applies a migration
// and the others wait for its commit, then find nothing left to do.
constexpr std::int64_t kMigrationLock = 0x6f70656e63617066;

}  // namespace

PgRegistry::PgRegistry(std::unique_ptr<PgConnection> connection, const Clock& clock)
    : connection_(std::move(connection)), clock_(clock) {}

PgRegistry::~PgRegistry() = default;

Result<std::unique_ptr<PgRegistry>> PgRegistry::open(const std::string& url, const Clock& clock,
                                                     const PgOptions& options) {
  auto connection = PgConnection::open(url, options);
  if (!connection) {
    return connection.error();
  }
  const auto context = fmt::format("cannot open the registry in {}", (*connection)->describe());
  std::unique_ptr<PgRegistry> registry(new PgRegistry(std::move(connection).value(), clock));
  if (auto s = registry->migrate(); !s) {
    return s.error().with_context(context);
  }
  return registry;
}

Status PgRegistry::write(std::string_view doing, const std::function<Status()>& fn) {
  std::lock_guard lock(mu_);
  return connection_->in_transaction(doing, fn);
}

Status PgRegistry::migrate() {
  return write("migrating the registry schema", [&]() -> Status {
    CAPF_TRY(query("SELECT pg_advisory_xact_lock(?)")
                 .bind(kMigrationLock)
                 .run("waiting for another node's schema migration"));
    {
      // A database with tables but without ours belongs to some other program.
      CAPF_ASSIGN_OR_RETURN(
          PgRows tables,
          query("SELECT COUNT(*) FILTER (WHERE table_name IN ('schema_version', 'devices')), "
                "COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema()")
              .run("reading the list of tables"));
      if (tables.row(0).integer(1) > 0 && tables.row(0).integer(0) < 2) {
        return make_error(ErrorCode::kDatabase,
                          "the database holds {} tables of another program and no opencapf "
                          "registry: give the URL of an empty database (CREATE DATABASE capf "
                          "OWNER capf) or of an opencapf registry",
                          tables.row(0).integer(1));
      }
    }
    CAPF_TRY(connection_->exec(std::string(kSchemaVersionTable), "creating schema_version"));
    CAPF_ASSIGN_OR_RETURN(int current, schema_version());
    if (current > latest_schema_version()) {
      return make_error(ErrorCode::kDatabase,
                        "registry schema version {} is newer than this opencapf supports ({}): "
                        "upgrade opencapf on this node to the version the other nodes run",
                        current, latest_schema_version());
    }
    for (const Migration& m : migrations()) {
      if (m.version <= current) {
        continue;
      }
      auto doing = fmt::format("applying schema migration {} ({})", m.version, m.description);
      CAPF_TRY(connection_->exec(render_sql(m.sql, SqlDialect::kPostgres), doing));
      CAPF_TRY(query("INSERT INTO schema_version (version, description, applied_at) "
                     "VALUES (?, ?, ?)")
                   .bind(m.version)
                   .bind(m.description)
                   .bind(clock_.now())
                   .run(doing));
    }
    return ok();
  });
}

Result<int> PgRegistry::schema_version() {
  std::lock_guard lock(mu_);
  CAPF_ASSIGN_OR_RETURN(PgRows rows, query("SELECT COALESCE(MAX(version), 0) FROM schema_version")
                                         .run("reading the schema version"));
  return static_cast<int>(rows.row(0).integer(0));
}

Status PgRegistry::transact(const std::function<Status()>& fn) {
  return write("running a registry transaction", fn);
}

Status PgRegistry::read_snapshot(const std::function<Status()>& fn) {
  std::lock_guard lock(mu_);
  return connection_->in_transaction("reading the registry", fn, /*read_only=*/true);
}

Result<std::int64_t> PgRegistry::bump_counter(std::string_view name, std::string_view doing) {
  // The row lock of the UPDATE orders every node's bump: no value is handed out twice.
  CAPF_ASSIGN_OR_RETURN(
      PgRows rows,
      query("UPDATE registry_counters SET value = value + 1 WHERE name = ? RETURNING value")
          .bind(name)
          .run(doing));
  if (rows.size() == 0) {
    return make_error(ErrorCode::kDatabase,
                      "the registry has no {} counter: restore it from a backup", name);
  }
  return rows.row(0).integer(0);
}

}  // namespace capf
