// SqliteRegistry: the registry in one SQLite file (WAL), the default store. The store interfaces
// are SqlRegistry's (store/sql/); this is SQLite's part: opening the file, the pragmas and the
// integrity check.
//
// Every write runs in a BEGIN IMMEDIATE transaction (a savepoint when nested); when another process
// (the CLI, a second server) holds the write lock for longer than SqliteOptions::busy_timeout_ms
// the call fails with kUnavailable. Other errors from SQLite are kDatabase, with SQLite's message
// and what was being done.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "capf/common/clock.h"
#include "capf/common/result.h"
#include "capf/store/sql/sql_registry.h"
#include "capf/store/sqlite/sqlite_connection.h"

namespace capf {

class SqliteRegistry final : public SqlRegistry {
 public:
  // Opens (creating it if needed) the registry file and brings its schema up to date. Errors:
  // kDatabase when the file cannot be opened, is not an SQLite database or not an opencapf
  // registry, or has a schema newer than this build; kUnavailable when another process keeps it
  // locked. `clock` must outlive the registry.
  static Result<std::unique_ptr<SqliteRegistry>> open(const std::string& path, const Clock& clock,
                                                      SqliteOptions options = {});

  // The pragmas in effect on this connection (synchronous is per connection: another connection
  // to the same file cannot see it).
  Result<SqliteSettings> effective_settings();
  // PRAGMA integrity_check and foreign_key_check.
  Result<std::vector<std::string>> integrity_problems() override;

 private:
  // Takes ownership of `connection`.
  SqliteRegistry(SqliteConnection* connection, const Clock& clock);

  Status check_before_migration() override;
  std::string_view upgrade_advice() const override { return "upgrade opencapf"; }

  SqliteConnection* sqlite_;  // the connection SqlRegistry owns
};

}  // namespace capf
