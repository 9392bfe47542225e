// PgConnection: one libpq connection to the registry database, with nested transactions
// (savepoints) and reconnection; PgStatement: one statement with '?' placeholders, bound in order;
// PgRows: a result, freed when it goes out of scope. PostgreSQL's side of SqlConnection and
// SqlStatement (store/sql/sql_connection.h). Internal to store/postgres (PgRegistry is the public
// face). Not thread-safe: PgRegistry serialises every use with its mutex. The libpq
// types are only forward-declared here, so that code including pg_registry.h does not see
// libpq-fe.h.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "capf/common/clock.h"
#include "capf/common/result.h"
#include "capf/store/sql/sql_connection.h"

struct pg_conn;
struct pg_result;

namespace capf {

struct PgOptions {
  // A file holding the password (its first line), for servers that ask for one; "" for none
  // (libpq then uses the URL's passfile, PGPASSFILE or ~/.pgpass as usual).
  std::string password_file;
};

// Checks a store URL before anything connects: it must be a libpq connection string
// (postgresql://... or key=value) and must not carry a password. kInvalidArgument naming the fix.
Status check_store_url(const std::string& url);

// A query's result: rows of text columns. Frees the PGresult.
class PgRows {
 public:
  explicit PgRows(pg_result* result);
  ~PgRows();
  PgRows(PgRows&& other) noexcept;
  PgRows& operator=(PgRows&&) = delete;
  PgRows(const PgRows&) = delete;
  PgRows& operator=(const PgRows&) = delete;

  int size() const;
  // Rows changed by an INSERT, UPDATE or DELETE.
  std::int64_t changed() const;

  // One row: its text columns.
  class Row {
   public:
    Row(const PgRows& rows, int row) : rows_(rows), row_(row) {}
    bool is_null(int col) const;
    std::int64_t integer(int col) const;
    TimePoint time(int col) const { return from_unix(integer(col)); }
    std::string text(int col) const;
    std::optional<std::string> opt_text(int col) const;

   private:
    const PgRows& rows_;
    int row_;
  };
  Row row(int i) const { return Row(*this, i); }

 private:
  friend class PgConnection;
  pg_result* result_;
};

class PgConnection;

// One statement: bind() in placeholder order; the first step() or run() sends it.
class PgStatement final : public SqlStatement {
 public:
  PgStatement(PgConnection& connection, std::string_view sql)
      : connection_(connection), sql_(sql) {}

  PgStatement& bind_text(std::string_view text) override;
  PgStatement& bind_integer(std::int64_t value) override;
  PgStatement& bind_null() override;

  Result<bool> step(std::string_view doing) override;
  Result<std::int64_t> run(std::string_view doing) override;

  bool is_null(int col) const override { return rows_->row(row_).is_null(col); }
  std::int64_t integer(int col) const override { return rows_->row(row_).integer(col); }
  std::string text(int col) const override { return rows_->row(row_).text(col); }

 private:
  PgConnection& connection_;
  std::string sql_;
  std::vector<std::optional<std::string>> params_;
  std::optional<PgRows> rows_;  // once sent
  int row_ = -1;
};

class PgConnection final : public SqlConnection {
 public:
  // Connects with the URL as libpq reads it (its environment variables, sslmode, passfile).
  // kInvalidArgument for a malformed URL or one with a password, kUnavailable when the server
  // cannot be reached or refuses the login.
  static Result<std::unique_ptr<PgConnection>> open(const std::string& url,
                                                    const PgOptions& options = {});
  ~PgConnection() override;

  // Runs a statement with '?' placeholders and text parameters (nullopt: NULL).
  Result<PgRows> execute(const std::string& sql,
                         const std::vector<std::optional<std::string>>& params,
                         std::string_view doing);
  // A statement with '?' placeholders (PgStatement).
  std::unique_ptr<SqlStatement> statement(std::string_view sql) override;
  // Runs one or more statements without parameters (migrations, transaction control).
  Status exec(const std::string& sql, std::string_view doing) override;
  // Runs fn in a transaction: BEGIN at the outermost level, a savepoint inside another
  // transaction, so that a failed call undoes only its own writes. Rolls back when fn fails or
  // throws. With read_only, the outermost level is a REPEATABLE READ READ ONLY transaction: one
  // snapshot, writers not blocked.
  Status in_transaction(std::string_view doing, const std::function<Status()>& fn,
                        bool read_only) override;
  // The database name, user and server of this connection, for messages ("capf on
  // 127.0.0.1:5432 as capf").
  std::string describe() const;

 private:
  PgConnection(pg_conn* conn, std::string url, PgOptions options)
      : conn_(conn), url_(std::move(url)), options_(std::move(options)) {}
  // Outside a transaction, reconnects a connection the server dropped.
  Status ensure_connected(std::string_view doing);

  pg_conn* conn_;
  std::string url_;
  PgOptions options_;
  int depth_ = 0;  // nesting of in_transaction()
};

}  // namespace capf
