// SqlConnection and SqlStatement: what SqlRegistry needs of an SQL engine, so that every store
// interface is written once (store/sql/) and each engine is a thin adapter (store/sqlite/,
// store/postgres/). Statements are written with '?' placeholders, bound in order (an engine that
// spells them otherwise, as PostgreSQL's $1, rewrites them); times are Unix seconds.
//
// Errors every engine reports the same way: kAlreadyExists when a statement broke a unique or
// primary key constraint, kUnavailable when the database is locked or unreachable (retry),
// kDatabase otherwise; each message says what was being done.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "capf/common/clock.h"
#include "capf/common/result.h"
#include "capf/store/sql_binder.h"

namespace capf {

// One use of a statement: bind() in placeholder order, then step() through its rows (reading the
// current row's columns) or run() it for the rows it changed.
class SqlStatement : public SqlBinder<SqlStatement> {
 public:
  SqlStatement() = default;
  virtual ~SqlStatement() = default;
  SqlStatement(const SqlStatement&) = delete;
  SqlStatement& operator=(const SqlStatement&) = delete;

  // bind() in placeholder order (SqlBinder), through these three.
  virtual SqlStatement& bind_text(std::string_view text) = 0;
  virtual SqlStatement& bind_integer(std::int64_t value) = 0;
  virtual SqlStatement& bind_null() = 0;

  // The first call runs the statement; each call moves to the next row: true while there is one.
  virtual Result<bool> step(std::string_view doing) = 0;
  // Runs a statement to its end and returns the rows it changed (INSERT, UPDATE, DELETE).
  virtual Result<std::int64_t> run(std::string_view doing) = 0;

  // The current row's columns (after step() returned true).
  virtual bool is_null(int col) const = 0;
  virtual std::int64_t integer(int col) const = 0;
  virtual std::string text(int col) const = 0;
  TimePoint time(int col) const { return from_unix(integer(col)); }
  std::optional<std::string> opt_text(int col) const {
    return is_null(col) ? std::nullopt : std::optional<std::string>(text(col));
  }
};

// One connection to the registry database. Not thread-safe: SqlRegistry serialises every use.
class SqlConnection {
 public:
  SqlConnection() = default;
  virtual ~SqlConnection() = default;
  SqlConnection(const SqlConnection&) = delete;
  SqlConnection& operator=(const SqlConnection&) = delete;

  // A statement for `sql`; an error preparing it is reported by its step() or run().
  virtual std::unique_ptr<SqlStatement> statement(std::string_view sql) = 0;
  // Runs one or more statements without parameters or rows (migrations).
  virtual Status exec(const std::string& sql, std::string_view doing) = 0;
  // Runs fn in a transaction: the outermost level begins one (with read_only, one snapshot that
  // does not block writers), a nested call takes a savepoint, so that a failed call undoes only
  // its own writes. Rolls back when fn fails or throws.
  virtual Status in_transaction(std::string_view doing, const std::function<Status()>& fn,
                                bool read_only) = 0;
  // Whether the COMMIT of the write transactions begun from now on waits until the database has
  // written them to disk (the default), or returns before: such a commit becomes durable with the
  // next synced one (both engines keep commit order: SQLite's WAL, PostgreSQL's WAL), and only a
  // crash of the machine (SQLite) or of the database server (PostgreSQL) before that may lose it.
  // Call between transactions.
  void set_synced_commits(bool synced) { synced_commits_ = synced; }
  // Whether an unsynced commit can be made durable later by sync_log() (DeferredSync): SQLite
  // with fsync on. PostgreSQL commits for other nodes too, and cannot be synced from here.
  virtual bool can_defer_sync() const { return false; }
  // Makes every commit that returned before this call durable (SQLite: fdatasync of the WAL).
  // The one call that is safe from any thread while another uses the connection; one at a time.
  virtual Status sync_log() { return ok(); }

 protected:
  bool synced_commits() const { return synced_commits_; }

 private:
  bool synced_commits_ = true;
};

// The statement's rows through `read` (returning T or Result<T>); the first bad row's error.
template <typename T, typename Read>
Result<std::vector<T>> read_all(SqlStatement& q, std::string_view doing, Read read) {
  std::vector<T> out;
  for (;;) {
    CAPF_ASSIGN_OR_RETURN(bool row, q.step(doing));
    if (!row) {
      return out;
    }
    if constexpr (std::is_same_v<decltype(read(q)), T>) {
      out.push_back(read(q));
    } else {
      CAPF_ASSIGN_OR_RETURN(T value, read(q));
      out.push_back(std::move(value));
    }
  }
}

// The statement's first row through `read`, or nullopt when there is none.
template <typename T, typename Read>
Result<std::optional<T>> read_first(SqlStatement& q, std::string_view doing, Read read) {
  CAPF_ASSIGN_OR_RETURN(bool row, q.step(doing));
  if (!row) {
    return std::optional<T>();
  }
  CAPF_ASSIGN_OR_RETURN(T value, read(q));
  return std::optional<T>(std::move(value));
}

}  // namespace capf
