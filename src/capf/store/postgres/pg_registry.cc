// PgRegistry: connecting, the schema migration's advisory lock, what a foreign database looks
// like and the lock between nodes' inserts of certificate requests. Everything else is
// SqlRegistry's (store/sql/).
#include "capf/store/postgres/pg_registry.h"

#include <cstdint>
#include <utility>

#include <fmt/format.h>

namespace capf {
namespace {

// pg_advisory_xact_lock key of the schema migration: "opencapf" in ASCII. Every node that opens
// the database takes it before reading the schema version, so exactly one applies a migration
// and the others wait for its commit, then find nothing left to do.
constexpr std::int64_t kMigrationLock = 0x6f70656e63617066;

}  // namespace

PgRegistry::PgRegistry(PgConnection* connection, const Clock& clock)
    : SqlRegistry(std::unique_ptr<SqlConnection>(connection), clock, SqlDialect::kPostgres) {}

Result<std::unique_ptr<PgRegistry>> PgRegistry::open(const std::string& url, const Clock& clock,
                                                     const PgOptions& options) {
  auto connection = PgConnection::open(url, options);
  if (!connection) {
    return connection.error();
  }
  const auto context = fmt::format("cannot open the registry in {}", (*connection)->describe());
  std::unique_ptr<PgRegistry> registry(
      new PgRegistry(std::move(connection).value().release(), clock));
  if (auto s = registry->migrate(); !s) {
    return s.error().with_context(context);
  }
  return registry;
}

Status PgRegistry::check_before_migration() {
  CAPF_TRY(query("SELECT pg_advisory_xact_lock(?)")
               ->bind(kMigrationLock)
               .run("waiting for another node's schema migration"));
  // A database with tables but without ours belongs to some other program.
  auto tables = query(
      "SELECT COUNT(*) FILTER (WHERE table_name IN ('schema_version', 'devices')), "
      "COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema()");
  CAPF_ASSIGN_OR_RETURN(bool row, tables->step("reading the list of tables"));
  if (row && tables->integer(1) > 0 && tables->integer(0) < 2) {
    return make_error(ErrorCode::kDatabase,
                      "the database holds {} tables of another program and no opencapf "
                      "registry: give the URL of an empty database (CREATE DATABASE capf "
                      "OWNER capf) or of an opencapf registry",
                      tables->integer(1));
  }
  return ok();
}

Status PgRegistry::lock_device_requests(const std::string& device_name, std::string_view doing) {
  // Two inserts racing under READ COMMITTED would each miss the other's new row and leave both
  // open. The lock (key space 2, the device's name hashed) ends with the transaction.
  CAPF_TRY(query("SELECT pg_advisory_xact_lock(2, hashtext(?))")->bind(device_name).run(doing));
  return ok();
}

}  // namespace capf
