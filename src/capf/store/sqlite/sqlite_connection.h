// SqliteConnection: one connection to the registry file, with its pragmas, its cache of prepared
// statements and nested write transactions; SqliteQuery: one use of a cached statement. SQLite's
// side of SqlConnection and SqlStatement (store/sql/sql_connection.h). Internal to store/sqlite
// (SqliteRegistry is the public face). Not thread-safe: SqliteRegistry serialises
// every use with its mutex. The SQLite types are only forward-declared here, so that code including
// sqlite_registry.h does not see sqlite3.h.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "capf/common/clock.h"
#include "capf/common/result.h"
#include "capf/store/sql/sql_connection.h"

struct sqlite3;
struct sqlite3_stmt;

namespace capf {

struct SqliteOptions {
  // PRAGMA synchronous=FULL: a committed write (an issued certificate, a pending operation)
  // survives a power loss. false gives NORMAL, which survives a process crash only.
  bool synchronous_full = true;
  // How long a write waits for another process's write transaction before kUnavailable.
  int busy_timeout_ms = 5000;
};

// What a connection actually runs with (for the startup log and for tests).
struct SqliteSettings {
  std::string journal_mode;  // "wal"
  int synchronous = 0;       // 2 = FULL, 1 = NORMAL
  bool foreign_keys = false;
  int busy_timeout_ms = 0;
};

class SqliteConnection final : public SqlConnection {
 public:
  // Opens (creating) the file and sets WAL, synchronous, foreign keys and the busy timeout.
  // kDatabase when the file cannot be opened, is not a database, or cannot use WAL.
  static Result<std::unique_ptr<SqliteConnection>> open(const std::string& path,
                                                        const SqliteOptions& options);
  ~SqliteConnection() override;

  // The cached prepared statement for `sql`, prepared on first use. The cache holds one statement
  // per distinct SQL text; the registry builds its texts from a fixed set of fragments, so the
  // cache stays small (a few hundred at most).
  Result<sqlite3_stmt*> prepare(const std::string& sql);
  // A use of the cached statement for `sql` (SqliteQuery).
  std::unique_ptr<SqlStatement> statement(std::string_view sql) override;
  // Runs statements that return no rows.
  Status exec(const std::string& sql, std::string_view doing) override;
  // Runs fn in a write transaction: BEGIN IMMEDIATE at the outermost level, a savepoint inside
  // another transaction. Rolls back (to the savepoint) when fn fails or throws. With read_only, the
  // outermost level is a plain BEGIN: fn's reads share one snapshot and writers are not blocked
  // (WAL), which is what a check of the whole registry needs while the server runs.
  Status in_transaction(std::string_view doing, const std::function<Status()>& fn,
                        bool read_only) override;
  // With fsync on (synchronous_full) and a file: the WAL can be synced by sync_log().
  bool can_defer_sync() const override;
  Status sync_log() override;
  // Rows changed by the last INSERT, UPDATE or DELETE.
  std::int64_t changes() const;
  Result<SqliteSettings> effective_settings();

  // The error for a failed SQLite call: kUnavailable when another process held the lock past the
  // busy timeout, kAlreadyExists for a broken unique or primary key, kDatabase otherwise; the
  // message says what was being done and SQLite's reason.
  Error error(int rc, std::string_view doing) const;

 private:
  SqliteConnection(sqlite3* db, SqliteOptions options) : db_(db), options_(options) {}
  Status configure();
  Result<std::string> pragma(const std::string& name);
  // Runs a statement of transaction control (BEGIN, COMMIT, SAVEPOINT, a PRAGMA) through the
  // statement cache; a failure says "<doing>: <step>: <SQLite's reason>".
  Status control(const std::string& sql, std::string_view doing, std::string_view step);

  sqlite3* db_;
  SqliteOptions options_;
  std::unordered_map<std::string, sqlite3_stmt*> statements_;
  int depth_ = 0;  // nesting of in_transaction()
  // PRAGMA synchronous in effect (2 FULL, 1 NORMAL) when options_.synchronous_full.
  int synchronous_level_ = 2;
  std::string wal_path_;  // the WAL file's path (empty: in memory)
  int wal_fd_ = -1;       // sync_log()'s own descriptor of it, opened on first use
};

// One use of a cached prepared statement: binds in order, steps, reads columns; resets the
// statement when it goes out of scope so that the cache can hand it out again. A statement that
// failed to prepare reports the error from step() and run().
class SqliteQuery final : public SqlStatement {
 public:
  SqliteQuery(SqliteConnection& connection, Result<sqlite3_stmt*> prepared);
  ~SqliteQuery() override;

  SqliteQuery& bind_text(std::string_view text) override;
  SqliteQuery& bind_integer(std::int64_t value) override;
  SqliteQuery& bind_null() override;

  Result<bool> step(std::string_view doing) override;
  Result<std::int64_t> run(std::string_view doing) override;

  bool is_null(int col) const override;
  std::int64_t integer(int col) const override;
  std::string text(int col) const override;

 private:
  void note(int rc);

  SqliteConnection& connection_;
  sqlite3_stmt* stmt_ = nullptr;
  std::optional<Error> prepare_error_;
  int next_ = 1;
  int bind_rc_ = 0;  // SQLITE_OK
};

}  // namespace capf
