// Moving a single-node registry up to PostgreSQL (`opencapf store migrate`, docs/cluster.md): every
// table of the SQLite file is copied into an empty PostgreSQL database in one transaction, then the
// row counts of both sides are compared. The copy is generic: the tables and their columns are read
// from the source, both sides having been brought to this build's schema by opening them. Left
// out: schema_version (each side records its own migrations) and the transient device_claims and
// cluster_nodes. Identity columns keep their values and the target's identity sequences are moved
// past them, so that later inserts get fresh ids.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "capf/common/clock.h"
#include "capf/common/result.h"

namespace capf {

struct RegistryMigrationOptions {
  std::string source_path;    // the SQLite registry file; it must exist
  std::string target_url;     // postgresql://USER@HOST:PORT/DATABASE, without a password
  std::string password_file;  // the PostgreSQL password's file; "" for libpq's usual sources
};

struct CopiedTable {
  std::string name;
  std::int64_t source_rows = 0;
  std::int64_t target_rows = 0;  // equal to source_rows, or the migration failed
};

struct RegistryMigrationReport {
  int source_version_before = 0;    // the source's schema version before opening it migrated it
  int schema_version = 0;           // both sides' schema version now
  std::vector<CopiedTable> tables;  // by name
};

// Copies the registry. Errors, one line each naming the fix: kInvalidArgument for a URL with a
// password or a malformed one, kNotFound when there is no source file, kUnavailable when the
// target cannot be reached, kConflict when the target already holds rows (nothing is written),
// kDatabase when a table cannot be copied or its counts differ (the target is rolled back; the
// message names the table). Opening the source brings its schema up to date in place.
Result<RegistryMigrationReport> migrate_registry(const RegistryMigrationOptions& options,
                                                 const Clock& clock);

}  // namespace capf
